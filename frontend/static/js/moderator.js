/**
 * moderator.js — the moderator console: sign-in, the live review queue, decisions, delete and
 * mute, and the audit log (protocol v2, "Moderation frames" in docs/protocol.md).
 *
 * Owns the console's behaviour on top of socket.js (the connection, reconnects) and dom.js (text
 * only: every user-supplied string goes in through textContent, never as HTML).
 *
 * The secret: typed into a password field, sent only inside the `mod.auth` frame, and kept in
 * this module's memory (never in the URL, localStorage or sessionStorage) so that the console can
 * sign in again by itself after a reconnect. A reload or "Sign out" forgets it. Only the
 * moderator's display name is remembered.
 *
 * After every (re)connection the console signs in again and reloads the first queue page, so
 * flags raised while it was away are not missed; live `review.flagged` and `review.resolved`
 * frames keep it current in between.
 */

import { byId, el, formatNumber, hasControlCharacters, nameNode, setText, textBlock, timeNode } from './dom.js';
import { languageLabel } from './messages.js';
import { checkName, checkRoom } from './prefs.js';
import { readSettings } from './settings.js';
import { ChatSocket, STATUS, StatusIndicator } from './socket.js';

const settings = readSettings();
const languages = new Map(settings.languages.map((language) => [language.code, language]));

// Limits of the moderation frames (docs/protocol.md).
const SECRET_MAX_CHARS = 1024;
const REASON_MAX_CHARS = 500;
const MUTE_MAX_MINUTES = 7 * 24 * 60;
const PAGE_SIZE = 50;
const MESSAGE_ID = /^\d{14}-[0-9A-HJKMNP-TV-Z]{10}$/;
// A decided item stays on screen this long (with its outcome) before it leaves the queue.
const DECIDED_LINGER_MS = 4000;
const NAME_KEY = 'positive-chat.moderator-name';

const ui = {
  signinView: byId('signin-view'),
  signinForm: byId('signin-form'),
  signinName: byId('signin-name'),
  signinSecret: byId('signin-secret'),
  signinError: byId('signin-error'),
  signinButton: byId('signin-button'),
  consoleView: byId('console-view'),
  moderatorName: byId('moderator-name'),
  status: byId('connection-status'),
  statusText: byId('status-text'),
  statusDetail: byId('status-detail'),
  retryNow: byId('retry-now'),
  helpButton: byId('help-button'),
  signout: byId('signout-button'),
  tabs: {
    queue: byId('tab-queue'),
    audit: byId('tab-audit'),
    tools: byId('tab-tools'),
  },
  panels: {
    queue: byId('queue-panel'),
    audit: byId('audit-panel'),
    tools: byId('tools-panel'),
  },
  queueCount: byId('queue-count'),
  notice: byId('console-notice'),
  queueSummary: byId('queue-summary'),
  filterForm: byId('filter-form'),
  filterRoom: byId('filter-room'),
  filterClear: byId('filter-clear'),
  queueList: byId('queue-list'),
  queueEmpty: byId('queue-empty'),
  queueMore: byId('queue-more'),
  auditRefresh: byId('audit-refresh'),
  auditBody: byId('audit-body'),
  auditEmpty: byId('audit-empty'),
  auditMore: byId('audit-more'),
  deleteForm: byId('delete-form'),
  deleteRoom: byId('delete-room'),
  deleteMessage: byId('delete-message'),
  deleteReason: byId('delete-reason'),
  deleteResult: byId('delete-result'),
  muteForm: byId('mute-form'),
  muteRoom: byId('mute-room'),
  muteUser: byId('mute-user'),
  muteMinutes: byId('mute-minutes'),
  muteReason: byId('mute-reason'),
  muteResult: byId('mute-result'),
  actionList: byId('action-list'),
  actionEmpty: byId('action-empty'),
  helpDialog: byId('help-dialog'),
  helpClose: byId('help-close'),
  announcer: byId('announcer'),
};

/** The moderator secret, in memory only (see the module docstring). */
let secret = null;

const state = {
  name: '',
  signedIn: false,
  everSignedIn: false,
  authId: null,
  throttledUntil: 0,
  tab: 'queue',
  filter: '',
  queueId: null,
  queueAfter: null,
  queueHasMore: false,
  queueLoaded: false,
  counts: { pending: 0, rejected: 0, held: 0, rooms: {} },
  selected: null,
  auditId: null,
  auditAfter: null,
  auditHasMore: false,
  auditLoaded: false,
  /** client id -> what it asked for: {kind: 'decide'|'delete'|'mute', ...} */
  requests: new Map(),
  /** message ids whose approve/reject this console has already counted */
  resolved: new Set(),
  /** `${room}\n${user}` -> mute end (epoch ms) */
  mutes: new Map(),
};

/** messageId -> {item, row, state} for every queue item on screen, in id (time) order. */
const queue = new Map();

const socket = new ChatSocket(settings.wsUrl, {
  heartbeatMs: settings.timing.heartbeatSeconds * 1000,
  plannedReconnectMs: settings.timing.plannedReconnectSeconds * 1000,
});

// ---------------------------------------------------------------- small helpers

function announce(text) {
  ui.announcer.append(el('p', { text }));
  while (ui.announcer.childElementCount > 3) ui.announcer.firstElementChild.remove();
}

function showFieldError(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (error) {
    setText(error, message);
    error.hidden = !message;
  }
  return !message;
}

function showNotice(text, kind = 'info') {
  setText(ui.notice, text);
  ui.notice.dataset.kind = kind;
  ui.notice.hidden = !text;
}

/** "in 12 seconds" / "in 10 minutes" for a delay in seconds. */
function inDuration(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return s === 1 ? 'in 1 second' : `in ${formatNumber(s)} seconds`;
  const minutes = Math.ceil(s / 60);
  return `in ${formatNumber(minutes)} minutes`;
}

/** An error message for an optional reason, or '' when it is fine. */
function checkReason(reason) {
  if ([...reason].length > REASON_MAX_CHARS) return `Reasons are at most ${REASON_MAX_CHARS} characters.`;
  if (hasControlCharacters(reason)) return 'The reason holds invisible control characters.';
  return '';
}

function errorText(frame) {
  return typeof frame.message === 'string' && frame.message ? frame.message : String(frame.code || 'error');
}

function readRememberedName() {
  try {
    return localStorage.getItem(NAME_KEY) || '';
  } catch {
    return '';
  }
}

function rememberName(name) {
  try {
    localStorage.setItem(NAME_KEY, name); // the name only: never the secret
  } catch {
    // Storage disabled: remembering is a convenience.
  }
}

function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

// ---------------------------------------------------------------- sign-in

let throttleTicker = null;

function renderThrottle() {
  const left = (state.throttledUntil - Date.now()) / 1000;
  if (left <= 0) {
    clearInterval(throttleTicker);
    throttleTicker = null;
    state.throttledUntil = 0;
    ui.signinButton.disabled = false;
    ui.signinError.hidden = true;
    return;
  }
  ui.signinButton.disabled = true;
  setText(ui.signinError, `Too many failed sign-ins. You can try again ${inDuration(left)}.`);
  ui.signinError.hidden = false;
}

function showSignin(message = '', field = null) {
  ui.consoleView.hidden = true;
  ui.signinView.hidden = false;
  document.title = 'Moderator sign-in · Positive Chat';
  ui.signinButton.disabled = Date.now() < state.throttledUntil;
  setText(ui.signinButton, 'Sign in');
  // A message about one field shows beside that field only.
  setText(ui.signinError, field ? '' : message);
  ui.signinError.hidden = !message || Boolean(field);
  if (field === 'name') {
    showFieldError(ui.signinName, message);
    ui.signinName.focus();
  } else if (field === 'secret') {
    showFieldError(ui.signinSecret, message);
    ui.signinSecret.focus();
    ui.signinSecret.select();
  } else if (!ui.signinName.value) {
    ui.signinName.focus();
  } else {
    ui.signinSecret.focus();
  }
}

/** Forget the session: the socket, the secret and everything shown. */
function endSession() {
  secret = null;
  ui.signinSecret.value = '';
  state.signedIn = false;
  state.authId = null;
  socket.stop(1000, 'signed out');
  resetQueue();
  resetAudit();
  state.requests.clear();
  state.resolved.clear();
  renderStatus();
}

ui.signinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.signinName.value.trim();
  const typed = ui.signinSecret.value;
  const nameOk = showFieldError(ui.signinName, checkName(name));
  let secretProblem = '';
  if (typed === '') secretProblem = 'Please enter the moderator secret.';
  else if ([...typed].length > SECRET_MAX_CHARS) secretProblem = `The secret is at most ${SECRET_MAX_CHARS} characters.`;
  const secretOk = showFieldError(ui.signinSecret, secretProblem);
  if (!nameOk) { ui.signinName.focus(); return; }
  if (!secretOk) { ui.signinSecret.focus(); return; }
  if (Date.now() < state.throttledUntil) { renderThrottle(); return; }
  ui.signinError.hidden = true;
  secret = typed;
  state.name = name;
  rememberName(name);
  ui.signinButton.disabled = true;
  setText(ui.signinButton, 'Signing in…');
  if (socket.status === STATUS.IDLE || socket.status === STATUS.CLOSED) socket.start();
  else if (socket.isOpen) sendAuth();
});

function sendAuth() {
  if (secret === null) return;
  state.authId = socket.nextId('a');
  state.signedIn = false;
  socket.send({ action: 'mod.auth', secret, name: state.name, id: state.authId });
  renderStatus();
}

function onAuthenticated(frame) {
  if (frame.id !== state.authId) return;
  state.signedIn = true;
  socket.markHealthy();
  ui.signinSecret.value = '';
  if (typeof frame.moderator === 'string' && frame.moderator) state.name = frame.moderator;
  setText(ui.moderatorName, state.name);
  const first = !state.everSignedIn || ui.consoleView.hidden;
  state.everSignedIn = true;
  ui.signinView.hidden = true;
  ui.consoleView.hidden = false;
  document.title = 'Moderator console · Positive Chat';
  renderStatus();
  // Anything may have happened while we were away: start the queue (and the audit log) afresh.
  resetQueue();
  requestQueue();
  if (state.auditLoaded || state.tab === 'audit') {
    resetAudit();
    requestAudit();
  }
  if (first) {
    showNotice('');
    ui.tabs.queue.focus();
  }
}

function onAuthError(frame) {
  const message = errorText(frame);
  const wasSignedIn = state.everSignedIn && !ui.consoleView.hidden;
  switch (frame.code) {
    case 'AUTH_FAILED':
      endSession();
      showSignin(wasSignedIn
        ? 'The moderator secret was not accepted any more. Please sign in again.'
        : 'That moderator secret is not right.', 'secret');
      return;
    case 'AUTH_THROTTLED':
      endSession();
      state.throttledUntil = Date.now() + Math.max(1, Number(frame.retryAfter) || 60) * 1000;
      showSignin('', null);
      renderThrottle();
      clearInterval(throttleTicker);
      throttleTicker = setInterval(renderThrottle, 1000);
      return;
    case 'INVALID_NAME':
      endSession();
      showSignin(`The server refused this name: ${message}.`, 'name');
      return;
    case 'RATE_LIMITED':
      setTimeout(() => { if (socket.isOpen && !state.signedIn) sendAuth(); }, (Number(frame.retryAfter) || 1) * 1000);
      return;
    case 'SERVICE_UNAVAILABLE':
      endSession();
      showSignin('Moderation is not available right now. Please try again later.');
      return;
    default:
      endSession();
      showSignin(`Sign-in failed: ${message}.`);
  }
}

ui.signout.addEventListener('click', () => {
  endSession();
  showNotice('');
  showSignin();
});

// ---------------------------------------------------------------- connection status

const statusIndicator = new StatusIndicator(socket, ui, {
  openText: 'Signing in…',
  offlineDetail: 'the queue resumes when you are back online',
});

function renderStatus() {
  const status = socket.status;
  const { detail } = statusIndicator.render(state.signedIn, renderStatus);
  if (ui.consoleView.hidden && secret !== null && (status === STATUS.WAITING || status === STATUS.OFFLINE)) {
    setText(ui.signinError, status === STATUS.OFFLINE
      ? 'You are offline: signing in as soon as the network is back.'
      : `Cannot reach the server: trying again${detail ? ` (${detail})` : ''}.`);
    ui.signinError.hidden = false;
  }
  renderQueueFoot();
}

socket.addEventListener('status', (event) => {
  if (event.detail.status !== STATUS.OPEN) state.signedIn = false;
  renderStatus();
});
socket.addEventListener('open', () => sendAuth());
socket.addEventListener('close', () => {
  // Answers to frames sent on the old socket will never come: say so rather than spin forever.
  // (Queue items are reloaded after the next sign-in, so only the forms need telling.)
  for (const request of state.requests.values()) {
    failRequest(request, 'The connection dropped before the server answered: check the audit log before retrying.');
  }
  state.requests.clear();
  state.queueId = null;
  state.auditId = null;
});
socket.addEventListener('frame', (event) => handleFrame(event.detail.frame));

// ---------------------------------------------------------------- frames

const HANDLERS = {
  'review.authenticated': onAuthenticated,
  'review.queue': onQueue,
  'review.flagged': onFlagged,
  'review.resolved': onResolved,
  'review.audit': onAudit,
  error: onError,
  pong: () => {},
};

function handleFrame(frame) {
  const handler = HANDLERS[frame.type];
  if (!handler) return; // chat frames, or a newer server's frame
  try {
    handler(frame);
  } catch (err) {
    console.error(`failed to handle a ${frame.type} frame`, err);
  }
}

function onError(frame) {
  if (frame.id && frame.id === state.authId) { onAuthError(frame); return; }
  if (frame.code === 'NOT_MODERATOR') {
    // The server no longer knows this connection as a moderator: sign in again.
    for (const request of state.requests.values()) failRequest(request, 'Not sent: signing in again.');
    state.requests.clear();
    state.queueId = null;
    state.auditId = null;
    if (secret !== null && socket.isOpen) sendAuth();
    return;
  }
  if (frame.id && frame.id === state.queueId) {
    state.queueId = null;
    if (frame.code === 'INVALID_ROOM' || frame.field === 'room') {
      showFieldError(ui.filterRoom, errorText(frame));
      ui.filterRoom.focus();
    } else {
      showNotice(`The queue could not be loaded: ${errorText(frame)}.`, 'error');
    }
    renderQueueFoot();
    return;
  }
  if (frame.id && frame.id === state.auditId) {
    state.auditId = null;
    showNotice(`The audit log could not be loaded: ${errorText(frame)}.`, 'error');
    renderAuditFoot();
    return;
  }
  const request = frame.id ? state.requests.get(frame.id) : undefined;
  if (request) {
    state.requests.delete(frame.id);
    if (request.kind === 'decide') onDecisionError(request, frame);
    else if (request.kind === 'delete') onDeleteError(frame);
    else if (request.kind === 'mute') onMuteError(frame);
    return;
  }
  if (frame.code === 'RATE_LIMITED') {
    showNotice(`Slow down a little: try again ${inDuration(Number(frame.retryAfter) || 1)}.`, 'warn');
    return;
  }
  showNotice(`Something went wrong: ${errorText(frame)}`, 'error');
}

function failRequest(request, text) {
  if (request.kind === 'decide') {
    const entry = queue.get(request.messageId);
    if (entry) setItemState(entry, 'idle', text);
  } else if (request.kind === 'delete') {
    setResult(ui.deleteResult, text, 'error');
  } else if (request.kind === 'mute') {
    setResult(ui.muteResult, text, 'error');
  }
}

// ---------------------------------------------------------------- the queue

function isQueueItem(item) {
  return Boolean(item) && typeof item.room === 'string' && typeof item.messageId === 'string'
    && item.messageId !== '' && typeof item.user === 'string' && typeof item.content === 'string';
}

function resetQueue() {
  for (const entry of queue.values()) clearTimeout(entry.timer);
  queue.clear();
  ui.queueList.replaceChildren();
  state.queueId = null;
  state.queueAfter = null;
  state.queueHasMore = false;
  state.queueLoaded = false;
  state.selected = null;
  renderQueueFoot();
}

function requestQueue() {
  if (!state.signedIn || state.queueId !== null) return;
  const frame = { action: 'mod.queue', limit: PAGE_SIZE, id: socket.nextId('q') };
  if (state.filter) frame.room = state.filter;
  if (state.queueAfter) frame.after = state.queueAfter;
  if (socket.send(frame)) state.queueId = frame.id;
  renderQueueFoot();
}

function onQueue(frame) {
  if (frame.id !== state.queueId) return; // an answer to a page we no longer want
  const items = Array.isArray(frame.items) ? frame.items.filter(isQueueItem) : [];
  for (const item of items) addItem(item, { live: false });
  if (items.length > 0) {
    const last = items[items.length - 1].messageId;
    if (state.queueAfter === null || last > state.queueAfter) state.queueAfter = last;
  }
  // A page may come as several frames (each under 32 KB); only the last has `final` true.
  if (frame.final === false) return;
  state.queueId = null;
  state.queueLoaded = true;
  state.queueHasMore = Boolean(frame.hasMore);
  if (frame.counts && typeof frame.counts === 'object') {
    state.counts = {
      pending: Number(frame.counts.pending) || 0,
      rejected: Number(frame.counts.rejected) || 0,
      held: Number(frame.counts.held) || 0,
      rooms: { ...(frame.counts.rooms || {}) },
    };
  }
  if (state.selected === null) selectFirst();
  renderCounts();
  renderQueueFoot();
}

function matchesFilter(item) {
  return !state.filter || item.room === state.filter;
}

function onFlagged(frame) {
  const item = frame.item;
  if (!isQueueItem(item) || state.resolved.has(item.messageId)) return;
  const counts = state.counts;
  if (!queue.has(item.messageId)) {
    counts.pending += 1;
    if (item.status === 'held') counts.held += 1; else counts.rejected += 1;
    counts.rooms[item.room] = (Number(counts.rooms[item.room]) || 0) + 1;
  }
  // While older pages are still unloaded, the new flag belongs after them: "load more" brings it.
  if (matchesFilter(item) && state.queueLoaded && !state.queueHasMore) {
    if (addItem(item, { live: true })) {
      if (state.queueAfter === null || item.messageId > state.queueAfter) state.queueAfter = item.messageId;
      if (state.selected === null) select(item.messageId, { focus: false });
    }
  }
  announce(`New flagged message in ${item.room} from ${item.user}.`);
  renderCounts();
  renderQueueFoot();
}

const STATUS_COUNT = { rejected: 'rejected', held: 'held' };

/** Count an approve/reject once, whoever made it. */
function countResolution(entry) {
  if (state.resolved.has(entry.messageId)) return;
  state.resolved.add(entry.messageId);
  const counts = state.counts;
  counts.pending = Math.max(0, counts.pending - 1);
  const known = queue.get(entry.messageId);
  const key = known ? STATUS_COUNT[known.item.status] : null;
  if (key) counts[key] = Math.max(0, counts[key] - 1);
  if (typeof entry.room === 'string' && counts.rooms[entry.room] !== undefined) {
    counts.rooms[entry.room] = Math.max(0, Number(counts.rooms[entry.room]) - 1);
    if (counts.rooms[entry.room] === 0) delete counts.rooms[entry.room];
  }
}

function onResolved(frame) {
  const entry = frame.entry;
  if (!entry || typeof entry !== 'object') return;
  const request = frame.id ? state.requests.get(frame.id) : undefined;
  if (request) state.requests.delete(frame.id);
  const mine = Boolean(request);
  switch (entry.action) {
    case 'approve':
    case 'reject': {
      countResolution(entry);
      const item = queue.get(entry.messageId);
      if (item) {
        const verb = entry.action === 'approve' ? 'Approved' : 'Rejected';
        const outcome = entry.action === 'approve' ? `${verb}: published to ${entry.room}.` : `${verb}: it stays hidden.`;
        const by = mine ? outcome : `${verb} by ${entry.moderator}.`;
        decided(item, entry.action === 'approve' ? 'approved' : 'rejected', by);
        if (mine) announce(outcome);
      }
      renderCounts();
      break;
    }
    case 'delete':
      recordAction('deleted', entry);
      if (mine) {
        setResult(ui.deleteResult, `Deleted message ${entry.messageId} from ${entry.room}.`, 'ok');
        ui.deleteMessage.value = '';
        ui.deleteReason.value = '';
      }
      break;
    case 'mute':
    case 'unmute': {
      const until = entry.action === 'mute' ? Number(entry.until) || 0 : 0;
      state.mutes.set(`${entry.room}\n${entry.user}`, until);
      recordAction(entry.action === 'mute' ? 'muted' : 'unmuted', entry);
      if (mine) {
        setResult(ui.muteResult, entry.action === 'mute'
          ? `${entry.user} is muted in ${entry.room} until ${new Date(until).toLocaleTimeString()}.`
          : `${entry.user} can write in ${entry.room} again.`, 'ok');
        ui.muteReason.value = '';
      }
      renderMuteBadges();
      break;
    }
    default:
      break;
  }
  if (state.auditLoaded) prependAudit(entry);
}

function renderCounts() {
  const { pending, rejected, held, rooms } = state.counts;
  setText(ui.queueCount, formatNumber(pending));
  ui.queueCount.dataset.nonzero = String(pending > 0);
  ui.queueCount.setAttribute('aria-label', `${pending} awaiting review`);
  const parts = [`${formatNumber(pending)} awaiting review`];
  const kinds = [];
  if (rejected > 0) kinds.push(`${formatNumber(rejected)} refused as negative`);
  if (held > 0) kinds.push(`${formatNumber(held)} held (services unavailable)`);
  if (kinds.length > 0) parts.push(kinds.join(', '));
  const roomNames = Object.keys(rooms).filter((room) => Number(rooms[room]) > 0).sort();
  const chips = roomNames.slice(0, 12).map((room) => {
    const chip = el('button', {
      className: 'link-button room-chip',
      attrs: { type: 'button', 'aria-pressed': String(state.filter === room), 'data-room': room },
    }, [el('bdi', { text: room }), ` (${formatNumber(Number(rooms[room]))})`]);
    chip.addEventListener('click', () => applyFilter(state.filter === room ? '' : room));
    return chip;
  });
  const summary = [el('span', { text: `${parts.join(': ')}.` })];
  if (chips.length > 1 || (chips.length === 1 && state.filter)) {
    summary.push(el('span', { className: 'room-chips' }, ['By room:', ...chips]));
  }
  ui.queueSummary.replaceChildren(...summary);
  if (!ui.consoleView.hidden) document.title = `${pending > 0 ? `(${pending}) ` : ''}Moderator console · Positive Chat`;
}

function renderQueueFoot() {
  const shown = [...queue.values()].filter((entry) => entry.state !== 'gone').length;
  ui.queueEmpty.hidden = !state.queueLoaded || shown > 0 || state.queueHasMore;
  setText(ui.queueEmpty, state.filter ? `Nothing to review in ${state.filter}.` : 'Nothing to review. 🎉');
  ui.queueMore.hidden = !state.queueHasMore;
  ui.queueMore.disabled = state.queueId !== null || !state.signedIn;
  setText(ui.queueMore, state.queueId !== null && state.queueLoaded ? 'Loading…' : 'Load more');
}

ui.queueMore.addEventListener('click', requestQueue);

// ---------------------------------------------------------------- one queue item

const FLAG_REASONS = {
  NEGATIVE: 'Why flagged: the sentiment check found it negative',
  SERVICE_UNAVAILABLE: 'Why flagged: held, the language services were unavailable so it was not checked',
};
const SCORE_NAMES = ['Negative', 'Mixed', 'Neutral', 'Positive'];
// Meter colours: a high Negative score shows as bad, a high Positive score as good.
const METER_ZONES = {
  Negative: { low: 0.34, high: 0.66, optimum: 0 },
  Positive: { low: 0.34, high: 0.66, optimum: 1 },
};
let rowCounter = 0;

function renderScores(item) {
  if (!item.scores || typeof item.scores !== 'object') {
    return el('p', { className: 'flag-scores hint', text: 'Sentiment: not checked yet' });
  }
  const scores = SCORE_NAMES
    .filter((name) => Number.isFinite(Number(item.scores[name])))
    .map((name) => {
      const value = Math.min(1, Math.max(0, Number(item.scores[name])));
      const percent = `${Math.round(value * 100)}%`;
      return el('li', {}, [
        el('span', { text: name }),
        el('meter', { attrs: { min: 0, max: 1, value, ...METER_ZONES[name], 'aria-label': `${name} score` }, text: percent }),
        el('span', { className: 'score-value', text: percent }),
      ]);
    });
  return el('div', { className: 'flag-scores' }, [
    el('span', { text: 'Sentiment: ' }),
    el('span', { className: 'sentiment', text: String(item.sentiment || 'unknown'), dataset: { label: String(item.sentiment || '') } }),
    el('ul', { className: 'scores', attrs: { 'aria-label': 'Sentiment scores' } }, scores),
  ]);
}

function renderItem(item) {
  rowCounter += 1;
  const reasonId = `flag-reason-${rowCounter}`;
  const headingId = `flag-heading-${rowCounter}`;
  const approve = el('button', { className: 'primary', text: 'Approve', attrs: { type: 'button', 'aria-keyshortcuts': 'a' } });
  const reject = el('button', { className: 'danger', text: 'Reject', attrs: { type: 'button', 'aria-keyshortcuts': 'r' } });
  const mute = el('button', { className: 'link-button', text: 'Mute author…', attrs: { type: 'button' } });
  const reason = el('input', {
    attrs: { id: reasonId, type: 'text', autocomplete: 'off', maxlength: REASON_MAX_CHARS, placeholder: 'Reason (optional)' },
  });
  const row = el('li', {
    className: 'flag',
    attrs: { tabindex: '-1', 'aria-labelledby': headingId },
    dataset: { messageId: item.messageId, room: item.room, state: 'idle' },
  }, [
    el('h3', { className: 'visually-hidden', attrs: { id: headingId } },
      [`Flagged message from ${item.user} in ${item.room}`]),
    el('div', { className: 'flag-meta' }, [
      el('span', { className: 'flag-room', attrs: { title: 'Room' } }, [el('bdi', { text: item.room })]),
      nameNode(item.user, 'flag-author'),
      timeNode(item.createdAt),
      el('span', { className: 'flag-lang', text: languageLabel(item.lang, languages), attrs: { lang: item.lang || undefined } }),
      el('span', { className: 'state-badge flag-muted', dataset: { state: 'muted' }, hidden: true }),
    ]),
    textBlock(item.content, item.lang, 'flag-text'),
    el('div', { className: 'flag-meta' }, [
      el('span', { className: 'flag-why', text: FLAG_REASONS[item.flagReason] || `Why flagged: ${item.flagReason || item.status || 'unknown'}` }),
      el('span', { className: 'flag-id', text: item.messageId, attrs: { title: 'Message id' } }),
    ]),
    renderScores(item),
    el('div', { className: 'flag-actions' }, [
      el('label', { className: 'visually-hidden', text: 'Reason (optional)', attrs: { for: reasonId } }),
      el('div', { className: 'reason' }, [reason]),
      approve,
      reject,
      mute,
    ]),
    el('p', { className: 'flag-result', attrs: { role: 'status' }, hidden: true }),
  ]);
  approve.addEventListener('click', () => decide(item.messageId, 'approve'));
  reject.addEventListener('click', () => decide(item.messageId, 'reject'));
  mute.addEventListener('click', () => openMuteForm(item.room, item.user));
  reason.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      decide(item.messageId, event.shiftKey ? 'reject' : 'approve');
    }
  });
  row.addEventListener('focusin', () => select(item.messageId, { focus: false }));
  row.addEventListener('click', () => select(item.messageId, { focus: false }));
  return row;
}

/** Show one item in message-id (time) order; false if it is already shown. */
function addItem(item, { live }) {
  if (queue.has(item.messageId)) return false;
  const row = renderItem(item);
  if (live) row.classList.add('flag-new');
  const entry = { item, row, state: 'idle', timer: null };
  const next = [...queue.keys()].find((id) => id > item.messageId);
  if (next === undefined) ui.queueList.append(row);
  else ui.queueList.insertBefore(row, queue.get(next).row);
  queue.set(item.messageId, entry);
  renderMuteBadge(entry);
  return true;
}

function setItemState(entry, newState, text = '') {
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
function decided(entry, outcome, text) {
  if (entry.state === 'approved' || entry.state === 'rejected' || entry.state === 'elsewhere') {
    if (outcome !== 'elsewhere') return; // already showing an outcome
  }
  const wasSelected = state.selected === entry.item.messageId;
  const hadFocus = entry.row.contains(document.activeElement);
  setItemState(entry, outcome, text);
  if (wasSelected) selectNext(entry.item.messageId, { focus: hadFocus });
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => removeItem(entry), outcome === 'elsewhere' ? DECIDED_LINGER_MS * 2 : DECIDED_LINGER_MS);
}

function removeItem(entry) {
  if (queue.get(entry.item.messageId) !== entry) return;
  const hadFocus = entry.row.contains(document.activeElement);
  if (state.selected === entry.item.messageId) selectNext(entry.item.messageId, { focus: hadFocus });
  queue.delete(entry.item.messageId);
  entry.row.remove();
  if (hadFocus && !ui.queueList.contains(document.activeElement)) ui.queueList.focus();
  renderQueueFoot();
}

function decide(messageId, decision) {
  const entry = queue.get(messageId);
  if (!entry || entry.state !== 'idle') return;
  select(messageId, { focus: false });
  const input = entry.row.querySelector('.reason input');
  const reason = input.value.trim();
  const problem = checkReason(reason);
  if (problem) {
    setItemState(entry, 'idle', problem);
    input.focus();
    return;
  }
  if (!state.signedIn) {
    setItemState(entry, 'idle', 'Not connected: the decision was not sent. Try again once the console is connected.');
    return;
  }
  const frame = {
    action: decision === 'approve' ? 'mod.approve' : 'mod.reject',
    room: entry.item.room,
    messageId,
    id: socket.nextId('d'),
  };
  if (reason) frame.reason = reason;
  if (!socket.send(frame)) {
    setItemState(entry, 'idle', 'Not connected: the decision was not sent.');
    return;
  }
  state.requests.set(frame.id, { kind: 'decide', messageId, decision });
  setItemState(entry, 'busy', decision === 'approve' ? 'Approving…' : 'Rejecting…');
}

function onDecisionError(request, frame) {
  const entry = queue.get(request.messageId);
  switch (frame.code) {
    case 'ALREADY_DECIDED': {
      const verb = request.decision === 'approve' ? 'approval' : 'rejection';
      const text = `Another moderator decided first, so your ${verb} was not applied. Server: “${errorText(frame)}”.`;
      showNotice(text, 'warn');
      if (entry) decided(entry, 'elsewhere', 'Another moderator decided first.');
      return;
    }
    case 'NOT_FOUND':
      if (entry) decided(entry, 'elsewhere', 'This message no longer exists.');
      return;
    case 'RATE_LIMITED':
      if (entry) setItemState(entry, 'idle', `Slow down a little: try again ${inDuration(Number(frame.retryAfter) || 1)}.`);
      return;
    default:
      if (entry) setItemState(entry, 'idle', `Not done: ${errorText(frame)}.`);
  }
}

// ---------------------------------------------------------------- selection and shortcuts

function visibleIds() {
  return [...queue.entries()].filter(([, entry]) => entry.state === 'idle' || entry.state === 'busy').map(([id]) => id);
}

function select(messageId, { focus }) {
  const entry = queue.get(messageId);
  if (!entry) return;
  if (state.selected !== messageId) {
    const previous = state.selected ? queue.get(state.selected) : null;
    if (previous) previous.row.removeAttribute('aria-current');
    state.selected = messageId;
    entry.row.setAttribute('aria-current', 'true');
  }
  if (focus) {
    entry.row.focus();
    entry.row.scrollIntoView({ block: 'nearest' });
  }
}

function selectFirst() {
  const [first] = visibleIds();
  if (first) select(first, { focus: false });
}

function selectNext(fromId, { focus }) {
  const ids = visibleIds().filter((id) => id !== fromId);
  const next = ids.find((id) => id > fromId) || ids[ids.length - 1];
  if (next) {
    select(next, { focus });
  } else {
    const previous = state.selected ? queue.get(state.selected) : null;
    if (previous) previous.row.removeAttribute('aria-current');
    state.selected = null;
  }
}

function move(step) {
  const ids = visibleIds();
  if (ids.length === 0) return;
  const current = state.selected ? queue.get(state.selected) : null;
  if (current && !current.row.contains(document.activeElement) && ids.includes(state.selected)) {
    select(state.selected, { focus: true }); // first bring the selected item into view
    return;
  }
  const at = ids.indexOf(state.selected);
  const index = at === -1 ? 0 : Math.min(ids.length - 1, Math.max(0, at + step));
  select(ids[index], { focus: true });
}

document.addEventListener('keydown', (event) => {
  if (ui.consoleView.hidden || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (ui.helpDialog.open) {
    if (event.key === '?') { event.preventDefault(); ui.helpDialog.close(); }
    return;
  }
  if (isTyping(event.target)) {
    if (event.key === 'Escape') {
      // Leave the field so the shortcuts work again.
      event.target.blur();
      const entry = state.selected ? queue.get(state.selected) : null;
      if (state.tab === 'queue' && entry) entry.row.focus(); else ui.tabs[state.tab].focus();
    }
    return;
  }
  const key = event.key;
  if (key === '?') {
    event.preventDefault();
    openHelp();
    return;
  }
  if (key === '/') {
    event.preventDefault();
    selectTab('queue');
    ui.filterRoom.focus();
    ui.filterRoom.select();
    return;
  }
  if (state.tab !== 'queue') return;
  if (key === 'j') { event.preventDefault(); move(1); }
  else if (key === 'k') { event.preventDefault(); move(-1); }
  else if ((key === 'a' || key === 'r') && state.selected) {
    event.preventDefault();
    decide(state.selected, key === 'a' ? 'approve' : 'reject');
  }
});

// ---------------------------------------------------------------- filter

function applyFilter(room) {
  state.filter = room;
  ui.filterRoom.value = room;
  ui.filterClear.hidden = !room;
  showFieldError(ui.filterRoom, '');
  resetQueue();
  requestQueue();
  renderCounts();
}

ui.filterForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.filterRoom.value.trim();
  if (room && !showFieldError(ui.filterRoom, checkRoom(room))) { ui.filterRoom.focus(); return; }
  applyFilter(room);
});

ui.filterClear.addEventListener('click', () => {
  applyFilter('');
  ui.filterRoom.focus();
});

// ---------------------------------------------------------------- audit log

const ACTION_LABELS = {
  approve: 'Approved', reject: 'Rejected', delete: 'Deleted', mute: 'Muted', unmute: 'Unmuted', signin: 'Signed in',
};

function resetAudit() {
  ui.auditBody.replaceChildren();
  state.auditId = null;
  state.auditAfter = null;
  state.auditHasMore = false;
  state.auditLoaded = false;
  renderAuditFoot();
}

function requestAudit() {
  if (!state.signedIn || state.auditId !== null) return;
  const frame = { action: 'mod.audit', limit: PAGE_SIZE, id: socket.nextId('au') };
  if (state.auditAfter) frame.after = state.auditAfter;
  if (socket.send(frame)) state.auditId = frame.id;
  renderAuditFoot();
}

function auditRow(entry) {
  const target = [];
  if (typeof entry.user === 'string' && entry.user) target.push(nameNode(entry.user, 'audit-user'));
  if (entry.action === 'mute' && entry.until) target.push(' until ', timeNode(entry.until));
  if (typeof entry.messageId === 'string' && entry.messageId) {
    if (target.length) target.push(' ');
    target.push(el('span', { className: 'flag-id', text: entry.messageId }));
    if (entry.action === 'approve') {
      const remove = el('button', { className: 'link-button', text: 'Delete…', attrs: { type: 'button' } });
      remove.addEventListener('click', () => openDeleteForm(entry.room, entry.messageId));
      target.push(' ', remove);
    }
  }
  return el('tr', { dataset: { entryId: String(entry.entryId || ''), action: String(entry.action || '') } }, [
    el('td', {}, [timeNode(entry.at)]),
    el('td', {}, [nameNode(String(entry.moderator ?? ''), 'audit-moderator')]),
    el('td', {}, [el('span', {
      className: 'audit-action',
      text: ACTION_LABELS[entry.action] || String(entry.action || ''),
      dataset: { action: String(entry.action || '') },
    })]),
    el('td', {}, [el('bdi', { text: entry.room ?? '' })]),
    el('td', {}, target),
    el('td', { text: entry.reason ?? '' }),
  ]);
}

function onAudit(frame) {
  if (frame.id !== state.auditId) return;
  const entries = Array.isArray(frame.entries) ? frame.entries.filter((e) => e && typeof e === 'object') : [];
  const shown = new Set([...ui.auditBody.children].map((row) => row.dataset.entryId));
  for (const entry of entries) {
    if (!shown.has(String(entry.entryId))) ui.auditBody.append(auditRow(entry));
  }
  if (entries.length > 0) state.auditAfter = String(entries[entries.length - 1].entryId);
  if (frame.final === false) return; // more frames of this page follow
  state.auditId = null;
  state.auditLoaded = true;
  state.auditHasMore = Boolean(frame.hasMore);
  renderAuditFoot();
}

function prependAudit(entry) {
  const id = String(entry.entryId || '');
  if ([...ui.auditBody.children].some((row) => row.dataset.entryId === id)) return;
  ui.auditBody.prepend(auditRow(entry));
  renderAuditFoot();
}

function renderAuditFoot() {
  ui.auditEmpty.hidden = !state.auditLoaded || ui.auditBody.childElementCount > 0;
  ui.auditMore.hidden = !state.auditHasMore;
  ui.auditMore.disabled = state.auditId !== null;
}

ui.auditMore.addEventListener('click', requestAudit);
ui.auditRefresh.addEventListener('click', () => {
  resetAudit();
  requestAudit();
});

// ---------------------------------------------------------------- delete and mute

function setResult(node, text, kind) {
  setText(node, text);
  node.dataset.kind = kind;
}

function openDeleteForm(room, messageId) {
  selectTab('tools');
  ui.deleteRoom.value = room || '';
  ui.deleteMessage.value = messageId || '';
  setResult(ui.deleteResult, '', 'info');
  ui.deleteReason.focus();
}

function openMuteForm(room, user) {
  selectTab('tools');
  ui.muteRoom.value = room || '';
  ui.muteUser.value = user || '';
  setResult(ui.muteResult, '', 'info');
  ui.muteMinutes.focus();
  ui.muteMinutes.select();
}

ui.deleteForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.deleteRoom.value.trim();
  const messageId = ui.deleteMessage.value.trim();
  const reason = ui.deleteReason.value.trim();
  const roomOk = showFieldError(ui.deleteRoom, checkRoom(room));
  const idOk = showFieldError(ui.deleteMessage, MESSAGE_ID.test(messageId)
    ? '' : 'A message id looks like 01763900000000-7Q2K9XJ4WM.');
  const reasonProblem = checkReason(reason);
  if (!roomOk) { ui.deleteRoom.focus(); return; }
  if (!idOk) { ui.deleteMessage.focus(); return; }
  if (reasonProblem) { setResult(ui.deleteResult, reasonProblem, 'error'); ui.deleteReason.focus(); return; }
  const frame = { action: 'mod.delete', room, messageId, id: socket.nextId('x') };
  if (reason) frame.reason = reason;
  if (!state.signedIn || !socket.send(frame)) {
    setResult(ui.deleteResult, 'Not connected: nothing was deleted. Try again once the console is connected.', 'error');
    return;
  }
  state.requests.set(frame.id, { kind: 'delete' });
  setResult(ui.deleteResult, 'Deleting…', 'info');
});

function onDeleteError(frame) {
  const message = errorText(frame);
  switch (frame.code) {
    case 'INVALID_ROOM':
      showFieldError(ui.deleteRoom, message);
      setResult(ui.deleteResult, '', 'info');
      ui.deleteRoom.focus();
      return;
    case 'NOT_FOUND':
      showFieldError(ui.deleteMessage, 'There is no message with this id in this room.');
      setResult(ui.deleteResult, 'Nothing was deleted.', 'error');
      ui.deleteMessage.focus();
      return;
    case 'NOT_PUBLISHED':
      setResult(ui.deleteResult, 'This message still awaits review: reject it in the queue instead.', 'error');
      return;
    case 'ALREADY_DECIDED':
      setResult(ui.deleteResult, `Already done: ${message}.`, 'error');
      return;
    default:
      if (frame.field === 'messageId') showFieldError(ui.deleteMessage, message);
      setResult(ui.deleteResult, `Nothing was deleted: ${message}.`, 'error');
  }
}

ui.muteForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.muteRoom.value.trim();
  const user = ui.muteUser.value.trim();
  const minutesText = ui.muteMinutes.value.trim();
  const minutes = Number(minutesText);
  const reason = ui.muteReason.value.trim();
  const roomOk = showFieldError(ui.muteRoom, checkRoom(room));
  const userOk = showFieldError(ui.muteUser, checkName(user));
  const minutesOk = showFieldError(ui.muteMinutes,
    /^\d+$/.test(minutesText) && minutes <= MUTE_MAX_MINUTES
      ? '' : `Whole minutes from 0 (lifts a mute) to ${formatNumber(MUTE_MAX_MINUTES)} (a week).`);
  const reasonProblem = checkReason(reason);
  if (!roomOk) { ui.muteRoom.focus(); return; }
  if (!userOk) { ui.muteUser.focus(); return; }
  if (!minutesOk) { ui.muteMinutes.focus(); return; }
  if (reasonProblem) { setResult(ui.muteResult, reasonProblem, 'error'); ui.muteReason.focus(); return; }
  const frame = { action: 'mod.mute', room, user, minutes, id: socket.nextId('u') };
  if (reason) frame.reason = reason;
  if (!state.signedIn || !socket.send(frame)) {
    setResult(ui.muteResult, 'Not connected: nobody was muted. Try again once the console is connected.', 'error');
    return;
  }
  state.requests.set(frame.id, { kind: 'mute' });
  setResult(ui.muteResult, minutes === 0 ? 'Lifting the mute…' : 'Muting…', 'info');
});

function onMuteError(frame) {
  const message = errorText(frame);
  const field = { INVALID_ROOM: ui.muteRoom, INVALID_NAME: ui.muteUser }[frame.code]
    || { room: ui.muteRoom, user: ui.muteUser, minutes: ui.muteMinutes }[frame.field];
  if (field) {
    showFieldError(field, message);
    field.focus();
  }
  setResult(ui.muteResult, `Nobody was muted: ${message}.`, 'error');
}

/** The session's deletions and mutes, newest first, with their state. */
function recordAction(kind, entry) {
  const label = { deleted: 'Deleted', muted: 'Muted', unmuted: 'Unmuted' }[kind];
  const parts = [el('span', { className: 'state-badge', text: label, dataset: { state: kind } })];
  if (kind === 'deleted') {
    parts.push(el('span', { className: 'flag-id', text: entry.messageId }), ' in ', el('bdi', { text: entry.room }));
  } else {
    parts.push(nameNode(entry.user, 'flag-author'), ' in ', el('bdi', { text: entry.room }));
    if (kind === 'muted' && entry.until) parts.push(' until ', timeNode(entry.until));
  }
  parts.push(el('span', { className: 'hint', text: `by ${entry.moderator}` }));
  ui.actionList.prepend(el('li', { dataset: { state: kind } }, parts));
  while (ui.actionList.childElementCount > 50) ui.actionList.lastElementChild.remove();
  ui.actionEmpty.hidden = true;
}

function renderMuteBadge(entry) {
  const until = state.mutes.get(`${entry.item.room}\n${entry.item.user}`) || 0;
  const badge = entry.row.querySelector('.flag-muted');
  if (until > Date.now()) {
    badge.replaceChildren('Author muted until ', timeNode(until));
    badge.hidden = false;
  } else {
    badge.hidden = true;
  }
}

function renderMuteBadges() {
  for (const entry of queue.values()) renderMuteBadge(entry);
}

// ---------------------------------------------------------------- tabs and help

const TAB_ORDER = ['queue', 'audit', 'tools'];

function selectTab(name, { focus = false } = {}) {
  state.tab = name;
  for (const tab of TAB_ORDER) {
    const on = tab === name;
    ui.tabs[tab].setAttribute('aria-selected', String(on));
    ui.tabs[tab].tabIndex = on ? 0 : -1;
    ui.panels[tab].hidden = !on;
  }
  if (focus) ui.tabs[name].focus();
  if (name === 'audit' && !state.auditLoaded) requestAudit();
}

for (const name of TAB_ORDER) {
  ui.tabs[name].addEventListener('click', () => selectTab(name));
  ui.tabs[name].addEventListener('keydown', (event) => {
    const at = TAB_ORDER.indexOf(name);
    let next = null;
    if (event.key === 'ArrowRight') next = TAB_ORDER[(at + 1) % TAB_ORDER.length];
    else if (event.key === 'ArrowLeft') next = TAB_ORDER[(at + TAB_ORDER.length - 1) % TAB_ORDER.length];
    else if (event.key === 'Home') next = TAB_ORDER[0];
    else if (event.key === 'End') next = TAB_ORDER[TAB_ORDER.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next, { focus: true });
    }
  });
}

let focusBeforeHelp = null;

function openHelp() {
  focusBeforeHelp = document.activeElement;
  ui.helpDialog.showModal();
  ui.helpClose.focus();
}

ui.helpButton.addEventListener('click', openHelp);
ui.helpClose.addEventListener('click', () => ui.helpDialog.close());
ui.helpDialog.addEventListener('close', () => {
  if (focusBeforeHelp instanceof HTMLElement && document.contains(focusBeforeHelp)) focusBeforeHelp.focus();
  focusBeforeHelp = null;
});

// ---------------------------------------------------------------- start

ui.signinName.value = readRememberedName();
showSignin();
renderCounts();
