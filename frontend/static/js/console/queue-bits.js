/**
 * console/queue-bits.js — two small views of the review queue: the summary of its counts (with
 * one chip per room that filters the queue), and the toast a live flag pops up.
 */

import { el, formatNumber, setText } from '../dom.js';
import { t } from '../i18n.js';

const TOAST_MS = 8000;
const MAX_TOASTS = 3;

/**
 * Show `counts` ({pending, rejected, held, rooms}) in the tab badge (`ui.count`) and the summary
 * (`ui.summary`); a room chip calls `onFilter(room)` ('' when it is the filter already).
 */
export function renderCounts(ui, counts, filter, onFilter) {
  const { pending, rejected, held, rooms } = counts;
  setText(ui.count, formatNumber(pending));
  ui.count.dataset.nonzero = String(pending > 0);
  ui.count.setAttribute('aria-label', t('queue.awaiting', { count: pending }));
  const kinds = [];
  if (rejected > 0) kinds.push(t('queue.refusedCount', { count: rejected }));
  if (held > 0) kinds.push(t('queue.heldCount', { count: held }));
  const head = t('queue.awaiting', { count: pending });
  const text = kinds.length > 0
    ? t('queue.summaryWithKinds', { head, kinds: kinds.join(t('list.separator')) })
    : t('queue.summary', { head });
  const roomNames = Object.keys(rooms).filter((room) => Number(rooms[room]) > 0).sort();
  const chips = roomNames.slice(0, 12).map((room) => {
    const chip = el('button', {
      className: 'link-button room-chip',
      attrs: { type: 'button', 'aria-pressed': String(filter === room), 'data-room': room },
    }, [el('bdi', { text: room }), ` (${formatNumber(Number(rooms[room]))})`]);
    chip.addEventListener('click', () => onFilter(filter === room ? '' : room));
    return chip;
  });
  const summary = [el('span', { text })];
  if (chips.length > 1 || (chips.length === 1 && filter)) {
    summary.push(el('span', { className: 'room-chips' }, [t('queue.byRoom'), ...chips]));
  }
  ui.summary.replaceChildren(...summary);
}

/**
 * Pop up `text` in the toast region `region` for a few seconds (the newest three stay); `onShow`
 * (optional) backs a "Show" button that brings the flagged item into view.
 */
export function showToast(region, text, onShow) {
  const show = onShow ? el('button', { className: 'link-button', text: t('queue.toastShow'), attrs: { type: 'button' } }) : null;
  const close = el('button', { className: 'link-button', text: t('queue.toastClose'), attrs: { type: 'button' } });
  // No live role: the page's announcer already says it once.
  const toast = el('div', { className: 'toast' }, [
    el('span', { className: 'toast-text', text }), show, close,
  ]);
  const dismiss = () => toast.remove();
  show?.addEventListener('click', () => {
    dismiss();
    onShow();
  });
  close.addEventListener('click', dismiss);
  region.append(toast);
  while (region.childElementCount > MAX_TOASTS) region.firstElementChild.remove();
  setTimeout(dismiss, TOAST_MS);
}
