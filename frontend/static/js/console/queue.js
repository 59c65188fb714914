/**
 * console/queue.js — the review queue screen: pages of flagged messages, live flags (with a
 * toast), decisions (approve / reject), the room filter, the counts, newest-first or
 * oldest-first order (remembered), selection and the j / k / a / r / ? / slash shortcuts.
 *
 * State lives here, in `#entries` (messageId → {item, row, state, timer}) kept in display
 * order in the DOM, and a few fields; requests go through `context.ask` (matched by id).
 */

import { byId, setText } from '../dom.js';
import { t } from '../i18n.js';
import { checkRoom } from '../prefs.js';
import { errorText, showFieldError } from '../ui.js';
import { renderCounts, showToast } from './queue-bits.js';
import { renderItem } from './queue-item.js';
import {
  LIMITS, checkReason, countDecided, countFlagged, countsFrom, inDuration, insertionIndex, isQueueItem,
} from './rules.js';

// A decided item stays on screen this long (with its outcome) before it leaves the queue.
const DECIDED_LINGER_MS = 4000;
const ORDER_KEY = 'positive-chat.queue-order';

export class QueueScreen {
  #context;
  #hooks;
  #ui;
  #entries = new Map();
  #filter = '';
  #after = null;
  #hasMore = false;
  #loaded = false;
  #loading = false;
  #generation = 0;
  #counts = countsFrom(null);
  #selected = null;
  #resolved = new Set();
  #newestFirst = true;

  /** `hooks`: {onMuteRequest(room, user), onCounts(pending)}. */
  constructor(context, hooks) {
    this.#context = context;
    this.#hooks = hooks;
    this.#ui = {
      count: byId('queue-count'),
      summary: byId('queue-summary'),
      filterForm: byId('filter-form'),
      filterRoom: byId('filter-room'),
      filterClear: byId('filter-clear'),
      list: byId('queue-list'),
      empty: byId('queue-empty'),
      more: byId('queue-more'),
      order: byId('queue-order'),
      toasts: byId('toasts'),
    };
    try { this.#newestFirst = localStorage.getItem(ORDER_KEY) !== 'oldest'; } catch { /* default */ }
    this.#wire();
  }

  get selected() { return this.#selected; }

  #wire() {
    const ui = this.#ui;
    ui.more.addEventListener('click', () => this.#request());
    ui.filterForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const room = ui.filterRoom.value.trim();
      if (room && !showFieldError(ui.filterRoom, checkRoom(room, t))) { ui.filterRoom.focus(); return; }
      this.applyFilter(room);
    });
    ui.filterClear.addEventListener('click', () => {
      this.applyFilter('');
      ui.filterRoom.focus();
    });
    ui.order.addEventListener('click', () => this.setOrder(!this.#newestFirst));
    document.addEventListener('keydown', (event) => this.#onKey(event));
    this.#renderOrder();
  }

  // ---------------------------------------------------------------- loading

  /** Forget everything shown (signing out, a new filter, a fresh sign-in). */
  reset() {
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
    this.#ui.list.replaceChildren();
    this.#generation += 1;
    this.#loading = false;
    this.#after = null;
    this.#hasMore = false;
    this.#loaded = false;
    this.#selected = null;
    this.#resolved.clear();
    this.renderFoot();
  }

  /** Start afresh from the first page (after every sign-in). */
  reload() {
    this.reset();
    this.#request();
  }

  async #request() {
    if (!this.#context.isSignedIn() || this.#loading) return;
    const generation = this.#generation;
    const frame = { action: 'mod.queue', limit: LIMITS.pageSize };
    if (this.#filter) frame.room = this.#filter;
    if (this.#after) frame.after = this.#after;
    this.#loading = true;
    this.renderFoot();
    let reply;
    try {
      // A page may come as several frames (each under 32 KB); only the last has `final` true.
      reply = await this.#context.ask(frame, {
        prefix: 'q', onPartial: (part) => { if (generation === this.#generation) this.#addPage(part); },
      });
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#loading = false;
      this.#context.notice(t('queue.loadFailed', { message: this.#context.unanswered(err, 'console.notConnected') }), 'error');
      this.renderFoot();
      return;
    }
    if (generation !== this.#generation) return; // an answer to a page we no longer want
    this.#loading = false;
    if (reply.type === 'error') this.#onLoadError(reply);
    else this.#onPage(reply);
    this.renderFoot();
  }

  #onLoadError(frame) {
    if (frame.code === 'INVALID_ROOM' || frame.field === 'room') {
      showFieldError(this.#ui.filterRoom, errorText(frame));
      this.#ui.filterRoom.focus();
    } else {
      this.#context.notice(t('queue.loadFailed', { message: errorText(frame) }), 'error');
    }
  }

  #addPage(frame) {
    const items = Array.isArray(frame.items) ? frame.items.filter(isQueueItem) : [];
    for (const item of items) this.#add(item, { live: false });
    if (items.length > 0) {
      const last = items[items.length - 1].messageId;
      if (this.#after === null || last > this.#after) this.#after = last;
    }
  }

  #onPage(frame) {
    this.#addPage(frame);
    this.#loaded = true;
    this.#hasMore = Boolean(frame.hasMore);
    if (frame.counts && typeof frame.counts === 'object') this.#counts = countsFrom(frame.counts);
    if (this.#selected === null) this.#selectFirst();
    this.renderCounts();
  }

  // ---------------------------------------------------------------- live frames

  /** A message was just flagged (`review.flagged`): count it, show it, toast it. */
  onFlagged(frame) {
    const item = frame.item;
    if (!isQueueItem(item) || this.#resolved.has(item.messageId)) return;
    if (!this.#entries.has(item.messageId)) countFlagged(this.#counts, item);
    // While older pages are still unloaded, the new flag belongs after them: "load more" brings it.
    const shown = this.#matchesFilter(item) && this.#loaded && !this.#hasMore
      && this.#add(item, { live: true });
    if (shown) {
      if (this.#after === null || item.messageId > this.#after) this.#after = item.messageId;
      if (this.#selected === null) this.select(item.messageId, { focus: false });
    }
    const text = t('queue.flaggedLive', { room: item.room, user: item.user });
    this.#context.announce(text);
    showToast(this.#ui.toasts, text, shown ? () => {
      this.#context.tabs.select('queue');
      this.select(item.messageId, { focus: true });
    } : null);
    this.renderCounts();
    this.renderFoot();
  }

  /** An approve or reject by anyone (`mine`: the answer to this console's own decision). */
  onResolved(entry, mine) {
    this.#countResolution(entry);
    const known = this.#entries.get(entry.messageId);
    if (known) {
      const approved = entry.action === 'approve';
      const outcome = approved ? t('queue.approvedMine', { room: entry.room }) : t('queue.rejectedMine');
      const by = t(approved ? 'queue.approvedBy' : 'queue.rejectedBy', { moderator: entry.moderator });
      this.#decided(known, approved ? 'approved' : 'rejected', mine ? outcome : by);
      if (mine) this.#context.announce(outcome);
    }
    this.renderCounts();
  }

  #countResolution(entry) {
    if (this.#resolved.has(entry.messageId)) return;
    this.#resolved.add(entry.messageId);
    const known = this.#entries.get(entry.messageId);
    countDecided(this.#counts, entry.room, known ? known.item.status : null);
  }

  // ---------------------------------------------------------------- rows

  #matchesFilter(item) {
    return !this.#filter || item.room === this.#filter;
  }

  /** Show one item in display order; false if it is already shown. */
  #add(item, { live }) {
    if (this.#entries.has(item.messageId)) return false;
    const entry = { item, row: null, state: 'idle', timer: null };
    entry.row = this.#render(item);
    if (live) entry.row.classList.add('flag-new');
    const ids = this.#displayIds();
    const at = insertionIndex(ids, item.messageId, this.#newestFirst);
    if (at === -1) this.#ui.list.append(entry.row);
    else this.#ui.list.insertBefore(entry.row, this.#entries.get(ids[at]).row);
    this.#entries.set(item.messageId, entry);
    this.#context.tools.renderMuteBadge(entry);
    return true;
  }

  #render(item) {
    const id = item.messageId;
    return renderItem(item, {
      approve: () => this.decide(id, 'approve'),
      reject: () => this.decide(id, 'reject'),
      mute: () => this.#hooks.onMuteRequest(item.room, item.user),
      select: () => this.select(id, { focus: false }),
    }, { t, languages: this.#context.languages });
  }

  /** Message ids in the order they are shown. */
  #displayIds() {
    return [...this.#ui.list.children].map((row) => row.dataset.messageId).filter((id) => this.#entries.has(id));
  }

  #setState(entry, newState, text = '') {
    entry.state = newState;
    entry.row.dataset.state = newState;
    const busy = newState !== 'idle';
    for (const control of entry.row.querySelectorAll('.flag-actions button, .flag-actions input')) {
      if (!control.classList.contains('link-button')) control.disabled = busy;
    }
    const result = entry.row.querySelector('.flag-result');
    setText(result, text);
    result.hidden = !text;
  }

  /** An item someone decided: show the outcome, move on, and drop it after a moment. */
  #decided(entry, outcome, text) {
    if (entry.state === 'approved' || entry.state === 'rejected' || entry.state === 'elsewhere') {
      if (outcome !== 'elsewhere') return; // already showing an outcome
    }
    const wasSelected = this.#selected === entry.item.messageId;
    const hadFocus = entry.row.contains(document.activeElement);
    this.#setState(entry, outcome, text);
    if (wasSelected) this.#selectNext(entry.item.messageId, { focus: hadFocus });
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#remove(entry), outcome === 'elsewhere' ? DECIDED_LINGER_MS * 2 : DECIDED_LINGER_MS);
  }

  #remove(entry) {
    if (this.#entries.get(entry.item.messageId) !== entry) return;
    const hadFocus = entry.row.contains(document.activeElement);
    if (this.#selected === entry.item.messageId) this.#selectNext(entry.item.messageId, { focus: hadFocus });
    this.#entries.delete(entry.item.messageId);
    entry.row.remove();
    if (hadFocus && !this.#ui.list.contains(document.activeElement)) this.#ui.list.focus();
    this.renderFoot();
  }

  // ---------------------------------------------------------------- decisions

  /** Approve or reject `messageId` with the reason typed beside it. */
  async decide(messageId, decision) {
    const entry = this.#entries.get(messageId);
    if (!entry || entry.state !== 'idle') return;
    this.select(messageId, { focus: false });
    const input = entry.row.querySelector('.reason input');
    const reason = input.value.trim();
    const problem = checkReason(reason, t);
    if (problem) {
      this.#setState(entry, 'idle', problem);
      input.focus();
      return;
    }
    const frame = { action: decision === 'approve' ? 'mod.approve' : 'mod.reject', room: entry.item.room, messageId };
    if (reason) frame.reason = reason;
    const asked = this.#context.ask(frame, { prefix: 'd' });
    this.#setState(entry, 'busy', t(decision === 'approve' ? 'queue.approving' : 'queue.rejecting'));
    let reply;
    try {
      reply = await asked;
    } catch (err) {
      if (this.#entries.get(messageId) === entry) {
        this.#setState(entry, 'idle', this.#context.unanswered(err, 'queue.decisionNotSent'));
      }
      return;
    }
    if (reply.type === 'review.resolved') this.#context.onResolved(reply, true);
    else if (reply.type === 'error') this.#onDecisionError(messageId, decision, reply);
  }

  #onDecisionError(messageId, decision, frame) {
    const entry = this.#entries.get(messageId);
    switch (frame.code) {
      case 'ALREADY_DECIDED':
        this.#context.notice(t(decision === 'approve' ? 'queue.lostApproval' : 'queue.lostRejection',
          { message: errorText(frame) }), 'warn');
        if (entry) this.#decided(entry, 'elsewhere', t('queue.decidedElsewhere'));
        return;
      case 'NOT_FOUND':
        if (entry) this.#decided(entry, 'elsewhere', t('queue.gone'));
        return;
      case 'RATE_LIMITED':
        if (entry) this.#setState(entry, 'idle', t('console.slowDown', { when: inDuration(Number(frame.retryAfter) || 1, t) }));
        return;
      default:
        if (entry) this.#setState(entry, 'idle', t('queue.notDone', { message: errorText(frame) }));
    }
  }

  // ---------------------------------------------------------------- selection and shortcuts

  #visibleIds() {
    return this.#displayIds().filter((id) => {
      const { state } = this.#entries.get(id);
      return state === 'idle' || state === 'busy';
    });
  }

  select(messageId, { focus }) {
    const entry = this.#entries.get(messageId);
    if (!entry) return;
    if (this.#selected !== messageId) {
      const previous = this.#selected ? this.#entries.get(this.#selected) : null;
      if (previous) previous.row.removeAttribute('aria-current');
      this.#selected = messageId;
      entry.row.setAttribute('aria-current', 'true');
    }
    if (focus) {
      entry.row.focus();
      entry.row.scrollIntoView({ block: 'nearest' });
    }
  }

  #selectFirst() {
    const [first] = this.#visibleIds();
    if (first) this.select(first, { focus: false });
  }

  /** After `fromId` leaves: the next one shown below it, else the one above. */
  #selectNext(fromId, { focus }) {
    const all = this.#displayIds();
    const at = all.indexOf(fromId);
    const visible = new Set(this.#visibleIds());
    visible.delete(fromId);
    const below = all.slice(at + 1).find((id) => visible.has(id));
    const above = all.slice(0, Math.max(0, at)).reverse().find((id) => visible.has(id));
    const next = below || above;
    if (next) {
      this.select(next, { focus });
    } else {
      const previous = this.#selected ? this.#entries.get(this.#selected) : null;
      if (previous) previous.row.removeAttribute('aria-current');
      this.#selected = null;
    }
  }

  #move(step) {
    const ids = this.#visibleIds();
    if (ids.length === 0) return;
    const current = this.#selected ? this.#entries.get(this.#selected) : null;
    if (current && !current.row.contains(document.activeElement) && ids.includes(this.#selected)) {
      this.select(this.#selected, { focus: true }); // first bring the selected item into view
      return;
    }
    const at = ids.indexOf(this.#selected);
    const index = at === -1 ? 0 : Math.min(ids.length - 1, Math.max(0, at + step));
    this.select(ids[index], { focus: true });
  }

  #onKey(event) {
    const { ui, tabs } = this.#context;
    if (ui.consoleView.hidden || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (tabs.helpOpen) {
      if (event.key === '?') { event.preventDefault(); tabs.closeHelp(); }
      return;
    }
    if (isTyping(event.target)) {
      if (event.key === 'Escape') {
        // Leave the field so the shortcuts work again.
        event.target.blur();
        const entry = this.#selected ? this.#entries.get(this.#selected) : null;
        if (tabs.current === 'queue' && entry) entry.row.focus(); else tabs.focusCurrent();
      }
      return;
    }
    const key = event.key;
    if (key === '?') { event.preventDefault(); tabs.openHelp(); return; }
    if (key === '/') { event.preventDefault(); this.focusFilter(); return; }
    if (tabs.current !== 'queue') return;
    if (key === 'j') { event.preventDefault(); this.#move(1); }
    else if (key === 'k') { event.preventDefault(); this.#move(-1); }
    else if ((key === 'a' || key === 'r') && this.#selected) {
      event.preventDefault();
      this.decide(this.#selected, key === 'a' ? 'approve' : 'reject');
    }
  }

  // ---------------------------------------------------------------- filter and order

  focusFilter() {
    this.#context.tabs.select('queue');
    this.#ui.filterRoom.focus();
    this.#ui.filterRoom.select();
  }

  applyFilter(room) {
    this.#filter = room;
    this.#ui.filterRoom.value = room;
    this.#ui.filterClear.hidden = !room;
    showFieldError(this.#ui.filterRoom, '');
    this.reload();
    this.renderCounts();
  }

  /** Newest first (the default) or oldest first; remembered, and applied to what is shown. */
  setOrder(newestFirst) {
    this.#newestFirst = newestFirst;
    try { localStorage.setItem(ORDER_KEY, newestFirst ? 'newest' : 'oldest'); } catch { /* default */ }
    const rows = [...this.#entries.keys()].sort().map((id) => this.#entries.get(id).row);
    if (newestFirst) rows.reverse();
    this.#ui.list.append(...rows);
    this.#renderOrder();
  }

  #renderOrder() {
    // The button shows the order in force; pressing it switches to the other one.
    this.#ui.order.dataset.order = this.#newestFirst ? 'newest' : 'oldest';
    setText(this.#ui.order, `${t(this.#newestFirst ? 'queue.orderNewest' : 'queue.orderOldest')} ⇅`);
  }

  // ---------------------------------------------------------------- counts and footer

  renderCounts() {
    renderCounts(this.#ui, this.#counts, this.#filter, (room) => this.applyFilter(room));
    this.#hooks.onCounts(this.#counts.pending);
  }

  renderFoot() {
    const ui = this.#ui;
    const shown = [...this.#entries.values()].filter((entry) => entry.state !== 'gone').length;
    ui.empty.hidden = !this.#loaded || shown > 0 || this.#hasMore;
    setText(ui.empty, this.#filter ? t('queue.emptyRoom', { room: this.#filter }) : t('queue.empty'));
    ui.more.hidden = !this.#hasMore;
    ui.more.disabled = this.#loading || !this.#context.isSignedIn();
    setText(ui.more, this.#loading && this.#loaded ? t('console.loading') : t('console.loadMore'));
  }

  /** Re-render every text after a language change (typed reasons are kept). */
  renderAll() {
    for (const entry of this.#entries.values()) {
      const typed = entry.row.querySelector('.reason input').value;
      const result = entry.row.querySelector('.flag-result').textContent;
      const row = this.#render(entry.item);
      row.querySelector('.reason input').value = typed;
      if (entry.row.getAttribute('aria-current')) row.setAttribute('aria-current', 'true');
      entry.row.replaceWith(row);
      entry.row = row;
      this.#setState(entry, entry.state, result);
      this.#context.tools.renderMuteBadge(entry);
    }
    this.#renderOrder();
    this.renderCounts();
    this.renderFoot();
  }

  renderMuteBadges() {
    for (const entry of this.#entries.values()) this.#context.tools.renderMuteBadge(entry);
  }
}

function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}
