/**
 * console/queue-item.js — one flagged message of the review queue as a list item: room, author,
 * time, language, the text (as text, never HTML), why it was flagged, the sentiment scores and
 * the approve / reject / mute controls. Every string the page adds comes from `t`.
 */

import { el, nameNode, textBlock, timeNode } from '../dom.js';
import { languageLabel } from '../messages.js';
import { LIMITS } from './rules.js';

const SCORE_NAMES = ['Negative', 'Mixed', 'Neutral', 'Positive'];
// Meter colours: a high Negative score shows as bad, a high Positive score as good.
const METER_ZONES = {
  Negative: { low: 0.34, high: 0.66, optimum: 0 },
  Positive: { low: 0.34, high: 0.66, optimum: 1 },
};
let rowCounter = 0;

function whyFlagged(item, t) {
  if (item.flagReason === 'NEGATIVE') return t('queue.whyNegative');
  if (item.flagReason === 'SERVICE_UNAVAILABLE') return t('queue.whyHeld');
  return t('queue.whyOther', { reason: item.flagReason || item.status || '?' });
}

function renderScores(item, t) {
  if (!item.scores || typeof item.scores !== 'object') {
    return el('p', { className: 'flag-scores hint', text: t('queue.notChecked') });
  }
  const scores = SCORE_NAMES
    .filter((name) => Number.isFinite(Number(item.scores[name])))
    .map((name) => {
      const value = Math.min(1, Math.max(0, Number(item.scores[name])));
      const percent = `${Math.round(value * 100)}%`;
      const label = t(`score.${name}`);
      return el('li', {}, [
        el('span', { text: label }),
        el('meter', { attrs: { min: 0, max: 1, value, ...METER_ZONES[name], 'aria-label': t('queue.scoreLabel', { name: label }) }, text: percent }),
        el('span', { className: 'score-value', text: percent }),
      ]);
    });
  return el('div', { className: 'flag-scores' }, [
    el('span', { text: t('queue.sentiment') }),
    el('span', { className: 'sentiment', text: String(item.sentiment || '?'), dataset: { label: String(item.sentiment || '') } }),
    el('ul', { className: 'scores', attrs: { 'aria-label': t('queue.scores') } }, scores),
  ]);
}

/**
 * The row of `item`. `actions`: {approve(), reject(), mute(), select()} for its controls;
 * `context`: {t, languages}.
 */
export function renderItem(item, actions, { t, languages }) {
  rowCounter += 1;
  const reasonId = `flag-reason-${rowCounter}`;
  const headingId = `flag-heading-${rowCounter}`;
  const approve = el('button', { className: 'primary', text: t('queue.approve'), attrs: { type: 'button', 'aria-keyshortcuts': 'a' } });
  const reject = el('button', { className: 'danger', text: t('queue.reject'), attrs: { type: 'button', 'aria-keyshortcuts': 'r' } });
  const mute = el('button', { className: 'link-button', text: t('queue.mute'), attrs: { type: 'button' } });
  const reason = el('input', {
    attrs: { id: reasonId, type: 'text', autocomplete: 'off', maxlength: LIMITS.reasonChars, placeholder: t('queue.reasonPlaceholder') },
  });
  const row = el('li', {
    className: 'flag',
    attrs: { tabindex: '-1', 'aria-labelledby': headingId },
    dataset: { messageId: item.messageId, room: item.room, state: 'idle' },
  }, [
    el('h3', { className: 'visually-hidden', attrs: { id: headingId } },
      [t('queue.itemHeading', { user: item.user, room: item.room })]),
    el('div', { className: 'flag-meta' }, [
      el('span', { className: 'flag-room', attrs: { title: t('field.room') } }, [el('bdi', { text: item.room })]),
      nameNode(item.user, 'flag-author'),
      timeNode(item.createdAt),
      el('span', { className: 'flag-lang', text: languageLabel(item.lang, languages), attrs: { lang: item.lang || undefined } }),
      el('span', { className: 'state-badge flag-muted', dataset: { state: 'muted' }, hidden: true }),
    ]),
    textBlock(item.content, item.lang, 'flag-text'),
    el('div', { className: 'flag-meta' }, [
      el('span', { className: 'flag-why', text: whyFlagged(item, t) }),
      el('span', { className: 'flag-id', text: item.messageId, attrs: { title: t('queue.messageId') } }),
    ]),
    renderScores(item, t),
    el('div', { className: 'flag-actions' }, [
      el('label', { className: 'visually-hidden', text: t('queue.reasonPlaceholder'), attrs: { for: reasonId } }),
      el('div', { className: 'reason' }, [reason]),
      approve,
      reject,
      mute,
    ]),
    el('p', { className: 'flag-result', attrs: { role: 'status' }, hidden: true }),
  ]);
  approve.addEventListener('click', actions.approve);
  reject.addEventListener('click', actions.reject);
  mute.addEventListener('click', actions.mute);
  reason.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      (event.shiftKey ? actions.reject : actions.approve)();
    }
  });
  row.addEventListener('focusin', actions.select);
  row.addEventListener('click', actions.select);
  return row;
}
