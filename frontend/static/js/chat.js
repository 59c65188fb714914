/**
 * chat.js — the chat page: entry, the room, sending, history, and resuming after reconnects.
 *
 * Owns the page's behaviour on top of socket.js (the connection), messages.js (rows and the
 * ordered list), prefs.js (URL, remembered choice, this tab's session) and dom.js (text only).
 *
 * Delivery model: a message you send goes to the outbox (shown as pending) with a client id and
 * is sent whenever the room is joined; the server acks it once (the same ack for a resent id), so
 * after any reconnect every unacked message is resent with the same id and nothing is doubled.
 * On reconnect `init` carries `after` = the newest message shown, so the room resumes with no gap;
 * rows are keyed by message id, so nothing is shown twice.
 */

import { byId, codePointLength, el, hasControlCharacters, setText, textBlock, utf8Length } from './dom.js';
import { onLanguageChange, setLanguage, t } from './i18n.js';
import { roster } from './members.js';
import { MessageList, isRenderableMessage, languageLabel, renderMessage, renderNotice } from './messages.js';
import {
  adoptLimits, checkName, checkRoom, clearDraft, clearSession, initialChoice, loadDraft, loadSession,
  rememberChoice, roomLink, saveDraft, saveSession, showInAddressBar,
} from './prefs.js';
import { readSettings } from './settings.js';
import { ChatSocket, RequestError, STATUS, StatusIndicator } from './socket.js';
import { announce as announceIn, showFieldError, showNotice as showNoticeIn } from './ui.js';

const settings = readSettings();
const languages = new Map(settings.languages.map((language) => [language.code, language]));
const codes = settings.languages.map((language) => language.code);

const ui = {
  entryView: byId('entry-view'),
  entryForm: byId('entry-form'),
  entryName: byId('entry-name'),
  entryRoom: byId('entry-room'),
  entryLang: byId('entry-lang'),
  entryError: byId('entry-error'),
  roomView: byId('room-view'),
  roomName: byId('room-name'),
  roomTopics: byId('room-topics'),
  roomLang: byId('room-lang'),
  status: byId('connection-status'),
  statusText: byId('status-text'),
  statusDetail: byId('status-detail'),
  retryNow: byId('retry-now'),
  scroller: byId('log-scroller'),
  loadOlder: byId('load-older'),
  historyStart: byId('history-start'),
  log: byId('message-log'),
  outbox: byId('outbox'),
  pill: byId('new-messages'),
  composer: byId('composer'),
  input: byId('composer-input'),
  notice: byId('composer-notice'),
  counter: byId('composer-counter'),
  send: byId('send-button'),
  members: byId('member-list'),
  memberCount: byId('member-count'),
  switchForm: byId('switch-form'),
  switchRoom: byId('switch-room'),
  copyLink: byId('copy-link'),
  leave: byId('leave-button'),
  sidebar: byId('sidebar'),
  sidebarToggle: byId('sidebar-toggle'),
  sidebarClose: byId('sidebar-close'),
  announcer: byId('announcer'),
};

const state = {
  name: '',
  room: '',
  lang: '',
  joined: false,
  initId: null,
  olderId: null,
  hasOlder: false,
  forceLatest: false,
  focusOnJoin: false,
  unseen: 0,
  olderError: '',
  /** the refused message whose text is in the box: {messageId, content} (see onDecided) */
  refused: null,
  draftRoom: '',
  blockedUntil: 0,
  limits: { ...settings.limits },
  gatewayRetries: 0,
  gatewayTimer: null,
  /** @type {{clientId: string, content: string, state: string, messageId?: string, row?: HTMLElement}[]} */
  outbox: [],
  /** the room's latest presence frame (the "Here now" list is drawn from it) */
  presence: null,
};

const socket = new ChatSocket(settings.wsUrl, {
  heartbeatMs: settings.timing.heartbeatSeconds * 1000,
  plannedReconnectMs: settings.timing.plannedReconnectSeconds * 1000,
});
const list = new MessageList({ list: ui.log, scroller: ui.scroller });

// ---------------------------------------------------------------- entry

function showEntry(errorMessage = '', field = null) {
  ui.roomView.hidden = true;
  ui.entryView.hidden = false;
  document.title = 'Positive Chat';
  setLanguage(ui.entryLang.value);
  setText(ui.entryError, errorMessage);
  ui.entryError.hidden = !errorMessage;
  const focus = field === 'room' ? ui.entryRoom : field === 'lang' ? ui.entryLang : ui.entryName;
  if (field) showFieldError(focus, errorMessage);
  (field || !ui.entryName.value ? focus : ui.entryForm.querySelector('button[type="submit"]')).focus();
}

ui.entryForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.entryName.value.trim();
  const room = ui.entryRoom.value.trim();
  const lang = ui.entryLang.value;
  const nameOk = showFieldError(ui.entryName, checkName(name, t));
  const roomOk = showFieldError(ui.entryRoom, checkRoom(room, t));
  if (!nameOk) { ui.entryName.focus(); return; }
  if (!roomOk) { ui.entryRoom.focus(); return; }
  ui.entryError.hidden = true;
  enterRoom({ name, room, lang: codes.includes(lang) ? lang : 'en' }, { focus: true });
});

// The reading language is the page's language too: picking one switches the labels at once.
ui.entryLang.addEventListener('change', () => setLanguage(ui.entryLang.value));

// ---------------------------------------------------------------- the room

function enterRoom({ name, room, lang }, { focus = false, outbox = [] } = {}) {
  const changed = room !== state.room || lang !== state.lang;
  Object.assign(state, { name, room, lang, joined: false, focusOnJoin: focus });
  if (changed) resetRoomView();
  if (room !== state.draftRoom) restoreDraft(room);
  setLanguage(lang);
  for (const saved of outbox) addToOutbox(saved.clientId, saved.content);
  rememberChoice({ name, room, lang });
  persistSession();
  showInAddressBar(room, lang);

  setText(ui.roomName, room);
  ui.roomLang.value = lang;
  ui.switchRoom.value = room;
  document.title = `${room} · Positive Chat`;
  ui.entryRoom.value = room;
  ui.entryView.hidden = true;
  ui.roomView.hidden = false;
  if (focus) ui.input.focus();

  if (socket.status === STATUS.IDLE || socket.status === STATUS.CLOSED) socket.start();
  else if (socket.isOpen) sendInit();
  renderStatus();
}

function resetRoomView() {
  list.clear();
  state.hasOlder = false;
  state.olderId = null;
  state.unseen = 0;
  ui.pill.hidden = true;
  ui.roomTopics.replaceChildren();
  ui.roomTopics.hidden = true;
  renderMembers(null);
  renderLogTop();
}

function sendInit() {
  state.initId = socket.nextId('j');
  state.joined = false;
  const frame = { action: 'init', v: 2, room: state.room, lang: state.lang, user: state.name, id: state.initId };
  if (list.newestId && !state.forceLatest) frame.after = list.newestId;
  state.forceLatest = false;
  socket.send(frame);
  renderStatus();
}

function persistSession() {
  saveSession({
    name: state.name,
    room: state.room,
    lang: state.lang,
    outbox: state.outbox
      .filter((item) => item.state === 'queued' || item.state === 'sending')
      .map(({ clientId, content }) => ({ clientId, content })),
  });
}

function announce(text) {
  announceIn(ui.announcer, text);
}

function renderLogTop() {
  ui.loadOlder.hidden = !state.hasOlder;
  ui.loadOlder.disabled = state.olderId !== null;
  setText(ui.loadOlder, t(state.olderId !== null ? 'room.loadingOlder' : 'room.loadOlder'));
  if (state.olderError) {
    setText(ui.historyStart, t('room.olderFailed', { message: state.olderError }));
    ui.historyStart.hidden = false;
    return;
  }
  ui.historyStart.hidden = state.hasOlder || !state.joined;
  setText(ui.historyStart, t(list.size === 0 ? 'room.empty' : 'room.beginning', { room: state.room }));
}

function renderTopics(topics) {
  const names = topics.filter((topic) => topic && typeof topic.topic === 'string').slice(0, 3);
  ui.roomTopics.replaceChildren(...names.map((topic) => el('li', {
    text: topic.topic,
    attrs: { title: Number.isFinite(topic.count) ? t('room.mentions', { count: topic.count }) : undefined },
  })));
  ui.roomTopics.hidden = names.length === 0;
}

/** The "Here now" list from the room's latest presence frame (null: nobody known yet). */
function renderMembers(frame) {
  state.presence = frame;
  if (frame === null) {
    ui.members.replaceChildren();
    setText(ui.memberCount, '');
    return;
  }
  const { listed, total, more } = roster(frame, state.name);
  const rows = listed.map((member) => el('li', {}, [
    el('bdi', { className: 'member-name', text: member.user }),
    member.user === state.name ? el('span', { className: 'msg-you', text: t('room.you') }) : null,
    el('span', {
      className: 'member-lang',
      text: languageLabel(member.lang, languages),
      attrs: { lang: member.lang },
    }),
  ]));
  // A large room's frame lists at most 100 members: the others are a number, shown as text.
  if (more > 0) rows.push(el('li', { className: 'member-more', text: t('room.moreMembers', { count: more }) }));
  ui.members.replaceChildren(...rows);
  setText(ui.memberCount, t('room.memberCount', { count: total }));
}

// ---------------------------------------------------------------- connection status

const statusIndicator = new StatusIndicator(socket, ui, {
  openText: 'status.joining',
  offlineDetail: 'status.offlineChat',
}, t);

function renderStatus() {
  statusIndicator.render(state.joined, renderStatus);
  for (const item of state.outbox) renderOutboxState(item);
}

socket.addEventListener('status', (event) => {
  if (event.detail.status !== STATUS.OPEN) state.joined = false;
  renderStatus();
});
socket.addEventListener('open', () => sendInit());
socket.addEventListener('frame', (event) => handleFrame(event.detail.frame));

// ---------------------------------------------------------------- frames

const HANDLERS = {
  joined: onJoined,
  history: onHistory,
  message: onMessage,
  ack: onAck,
  rejected: onRejected,
  held: onHeld,
  presence: onPresence,
  topics: onTopics,
  deleted: onDeleted,
  'review.decided': onDecided,
  error: onError,
  pong: () => {},
  left: () => {},
};

function handleFrame(frame) {
  if (frame && frame.type === undefined && typeof frame.message === 'string') {
    onGatewayError(frame);
    return;
  }
  const handler = HANDLERS[frame.type];
  if (!handler) return; // a newer server's frame this page does not know yet
  try {
    handler(frame);
  } catch (err) {
    console.error(`failed to handle a ${frame.type} frame`, err);
  }
}

function onJoined(frame) {
  if (frame.id !== state.initId) return; // the answer to an init we have since replaced
  state.joined = true;
  socket.markHealthy();
  if (frame.limits && typeof frame.limits === 'object') {
    Object.assign(state.limits, frame.limits);
    adoptLimits(frame.limits);
  }
  renderStatus();
  renderLogTop();
  updateCounter();
  flushOutbox();
  if (state.focusOnJoin) {
    state.focusOnJoin = false;
    ui.input.focus();
  }
}

function forThisRoom(frame) {
  return state.joined && (frame.room === undefined || frame.room === state.room);
}

function onHistory(frame) {
  if (!forThisRoom(frame) || !Array.isArray(frame.messages)) return;
  const messages = frame.messages.filter(isRenderableMessage);
  const insertAll = () => {
    for (const message of messages) {
      list.insert(message.messageId, renderMessage(message, renderContext()));
      settleOutbox(message);
    }
  };
  // A large page may come as several frames (each under API Gateway's 32 KB frame size); only
  // the last one (`final` not false) ends the request.
  const final = frame.final !== false;
  if (frame.mode === 'before') {
    list.keepPosition(insertAll);
    if (!final) return;
    state.hasOlder = Boolean(frame.hasMore);
  } else if (frame.mode === 'after') {
    const atBottom = list.isNearBottom();
    insertAll();
    if (final && frame.hasMore) {
      // Too much was missed to page forward: start again from the latest page (older ones stay
      // reachable through "load older", so there is no gap).
      state.forceLatest = true;
      resetRoomView();
      sendInit();
      return;
    }
    renderLogTop();
    if (atBottom) stickToBottom();
    return;
  } else {
    insertAll();
    state.hasOlder = Boolean(frame.hasMore);
  }
  renderLogTop();
  stickToBottom(); // after the top line changed, so the newest message is fully in view
}

function renderContext() {
  return { languages, selfUser: state.name, now: new Date() };
}

function onMessage(frame) {
  if (!forThisRoom(frame) || !isRenderableMessage(frame)) return;
  const atBottom = list.isNearBottom();
  const own = settleOutbox(frame);
  const row = renderMessage(frame, renderContext());
  const added = list.has(frame.messageId) ? (list.replace(frame.messageId, row), false) : list.insert(frame.messageId, row);
  if (Array.isArray(frame.roomTopics) && frame.roomTopics.length > 0) {
    renderTopics(frame.roomTopics.map((topic) => ({ topic })));
  }
  if (!added) return;
  if (!own) announce(`${frame.user}: ${frame.text ?? frame.content}`.slice(0, 300));
  renderLogTop();
  if (own || atBottom) {
    stickToBottom();
  } else {
    state.unseen += 1;
    setText(ui.pill, t('room.newMessages', { count: state.unseen }));
    ui.pill.hidden = false;
  }
}

function onAck(frame) {
  const item = outboxItem(frame.id);
  if (!item) return;
  state.gatewayRetries = 0;
  item.messageId = frame.messageId;
  if (list.has(frame.messageId)) removeFromOutbox(item);
  else setOutboxState(item, 'sent');
}

function onRejected(frame) {
  const item = outboxItem(frame.id);
  if (!item) return;
  removeFromOutbox(item);
  // The server's sentence comes in the reader's language; the words around it are ours.
  const notice = frame.notice || t('notice.refusedDefault');
  item.messageId = typeof frame.messageId === 'string' ? frame.messageId : undefined;
  giveBackDraft(item, `${notice} ${t('notice.refused')}`, 'rejected');
}

function onHeld(frame) {
  const item = outboxItem(frame.id);
  if (!item) return;
  item.messageId = frame.messageId;
  item.notice = frame.notice || t('notice.heldDefault');
  setOutboxState(item, 'held');
}

function onPresence(frame) {
  if (!forThisRoom(frame)) return;
  if (Array.isArray(frame.members)) renderMembers(frame);
  if (typeof frame.user !== 'string' || frame.user === state.name) return;
  let text = '';
  if (frame.event === 'join') text = t('room.joined', { user: frame.user });
  else if (frame.event === 'leave') text = t('room.left', { user: frame.user });
  if (!text) return;
  const atBottom = list.isNearBottom();
  list.appendNotice(renderNotice(text));
  announce(text);
  if (atBottom) stickToBottom();
}

/** A moderator deleted a message: it leaves the page (and the resume point moves if needed). */
function onDeleted(frame) {
  if (!forThisRoom(frame) || typeof frame.messageId !== 'string') return;
  if (list.remove(frame.messageId)) {
    announce(t('room.removed'));
    renderLogTop();
  }
}

function onTopics(frame) {
  if (forThisRoom(frame) && Array.isArray(frame.topics)) renderTopics(frame.topics);
}

const FIELD_OF_CODE = { INVALID_NAME: 'name', INVALID_ROOM: 'room', UNSUPPORTED_LANGUAGE: 'lang' };

/** "in 5 seconds", or in whole minutes past 90 s ("in 5 minutes", not "in 298 seconds"). */
function retryText(frame) {
  const seconds = Math.max(1, Math.ceil(Number(frame.retryAfter) || 1));
  return seconds < 90 ? t('time.inSeconds', { count: seconds }) : t('time.inMinutes', { count: Math.ceil(seconds / 60) });
}

function onError(frame) {
  const message = typeof frame.message === 'string' && frame.message ? frame.message : frame.code;
  if (frame.id && frame.id === state.initId) {
    if (frame.code === 'NAME_TAKEN') {
      // Someone in the room already goes by this name: keep the room, ask for another name.
      const { name, room } = state;
      leaveRoom({ notify: false });
      ui.entryName.value = name;
      ui.entryRoom.value = room;
      showEntry(t('entry.nameTaken', { name, room }), 'name');
      ui.entryName.select();
      return;
    }
    const field = FIELD_OF_CODE[frame.code] || (['user', 'room', 'lang'].includes(frame.field)
      ? { user: 'name', room: 'room', lang: 'lang' }[frame.field] : null);
    if (field) {
      leaveRoom({ notify: false });
      showEntry(t('entry.refused', { message }), field);
      return;
    }
    const delay = frame.code === 'RATE_LIMITED' ? (Number(frame.retryAfter) || 1) * 1000 : 3000;
    setText(ui.statusDetail, t('status.couldNotJoin', { message }));
    setTimeout(() => { if (socket.isOpen && !state.joined) sendInit(); }, delay);
    return;
  }
  const item = frame.id ? outboxItem(frame.id) : null;
  if (!item) {
    if (frame.code === 'NOT_JOINED' && socket.isOpen) { sendInit(); return; }
    showNotice(t('notice.wrong', { message }), 'error');
    return;
  }
  switch (frame.code) {
    case 'IN_PROGRESS': // the same id is being processed: ask again shortly
      setTimeout(() => { if (state.joined && item.state === 'sending') sendItem(item); }, 1500);
      return;
    case 'NOT_JOINED':
      setOutboxState(item, 'queued');
      if (socket.isOpen) sendInit();
      return;
    case 'RATE_LIMITED':
      removeFromOutbox(item);
      blockSending(Number(frame.retryAfter) || 1);
      giveBackDraft(item, t('notice.tooFast', { when: retryText(frame) }), 'warn');
      return;
    case 'MUTED':
      removeFromOutbox(item);
      blockSending(Number(frame.retryAfter) || 1);
      giveBackDraft(item, t('notice.muted', { when: retryText(frame) }), 'warn');
      return;
    case 'SERVICE_UNAVAILABLE':
      removeFromOutbox(item);
      giveBackDraft(item, t('notice.unavailable'), 'error');
      return;
    default:
      removeFromOutbox(item);
      giveBackDraft(item, t('notice.notSent', { message }), 'error');
  }
}

/**
 * A moderator decided on one of our refused or held messages (`review.decided`): say so, and
 * after an approval drop the draft (it is posted now: sending it again would post it twice).
 */
function onDecided(frame) {
  if (!forThisRoom(frame) || typeof frame.messageId !== 'string') return;
  const approved = frame.decision === 'approved';
  if (frame.decision !== 'approved' && frame.decision !== 'rejected') return;
  let ours = false;
  const held = state.outbox.find((item) => item.messageId === frame.messageId);
  if (held) {
    ours = true;
    removeFromOutbox(held); // approved: the room's `message` frame shows it now
  }
  for (const row of ui.outbox.querySelectorAll(`li.msg-failed[data-message-id="${CSS.escape(frame.messageId)}"]`)) {
    ours = true;
    if (approved) row.remove(); else setText(row.querySelector('.badge'), t('outbox.rejected'));
  }
  if (state.refused && state.refused.messageId === frame.messageId) {
    ours = true;
    if (approved && ui.input.value === state.refused.content) {
      ui.input.value = '';
      autosize();
      updateCounter();
      clearDraft(state.room);
    }
    state.refused = approved ? null : state.refused;
  }
  if (!ours) return;
  const text = t(approved ? 'notice.approved' : 'notice.rejected');
  showNotice(text, approved ? 'info' : 'rejected');
  announce(text);
}

// ---------------------------------------------------------------- drafts

/** Keep what is typed for this room (and which refused message it is) across reloads. */
function storeDraft() {
  if (!state.room) return;
  const text = ui.input.value;
  const refusedId = state.refused && state.refused.content === text ? state.refused.messageId : undefined;
  saveDraft(state.room, { text, refusedId });
}

/** Entering `room`: bring back what was typed there before. */
function restoreDraft(room) {
  state.draftRoom = room;
  const draft = loadDraft(room);
  if (!draft) return;
  ui.input.value = draft.text;
  state.refused = draft.refusedId ? { messageId: draft.refusedId, content: draft.text } : null;
  autosize();
  updateCounter();
}

// ---------------------------------------------------------------- staying at the bottom

// While the reader is at the bottom, the newest message stays fully in view: on a new message,
// and whenever anything changes size (the top line, the composer's notice, a phone's keyboard).
let pinned = true;

function stickToBottom() {
  pinned = true;
  list.scrollToBottom();
}

const resizeWatcher = new ResizeObserver(() => { if (pinned) list.scrollToBottom(); });
for (const node of [ui.scroller, ui.log, ui.outbox, ui.historyStart.parentElement]) resizeWatcher.observe(node);

// ---------------------------------------------------------------- outbox (pending messages)

function outboxItem(clientId) {
  return state.outbox.find((item) => item.clientId === clientId) || null;
}

function addToOutbox(clientId, content) {
  if (outboxItem(clientId)) return null;
  const item = { clientId, content, state: 'queued' };
  item.row = el('li', { className: 'msg msg-own msg-pending', dataset: { clientId } }, [
    el('div', { className: 'msg-meta' }, [
      el('bdi', { className: 'msg-author', text: state.name }),
      el('span', { className: 'msg-you', text: t('room.you') }),
      el('span', { className: 'badge badge-pending pending-state' }),
    ]),
    textBlock(content, state.lang, 'msg-text'),
    el('p', { className: 'pending-notice', hidden: true }),
  ]);
  state.outbox.push(item);
  ui.outbox.append(item.row);
  renderOutboxState(item);
  return item;
}

function renderOutboxState(item) {
  let label = t('outbox.sending');
  if (item.state === 'sent') label = t('outbox.sent');
  else if (item.state === 'held') label = t('outbox.held');
  else if (!state.joined) label = t(socket.status === STATUS.OFFLINE ? 'outbox.waitingNetwork' : 'outbox.waitingConnection');
  setText(item.row.querySelector('.pending-state'), label);
  item.row.dataset.state = item.state;
  const notice = item.row.querySelector('.pending-notice');
  setText(notice, item.notice || '');
  notice.hidden = !item.notice;
}

function setOutboxState(item, newState) {
  item.state = newState;
  renderOutboxState(item);
  persistSession();
}

function removeFromOutbox(item) {
  state.outbox = state.outbox.filter((other) => other !== item);
  item.row?.remove();
  persistSession();
}

/** A published message may be one of ours: drop its pending row. True if it was ours. */
function settleOutbox(message) {
  const item = state.outbox.find((candidate) => (message.clientId && candidate.clientId === message.clientId)
    || (candidate.messageId && candidate.messageId === message.messageId));
  if (item) removeFromOutbox(item);
  return Boolean(item) || message.user === state.name;
}

// A message normally gets its ack within a second or two; past this, check the connection is
// still alive (a dead one is replaced and the message resent with the same id).
const ACK_PROBE_MS = 8000;
// No answer at all this long after sending (the gateway lost it, or answered only with a bare
// error): send it again with the same client id; the server answers a resend once, never twice.
const ACK_RESEND_MS = 30000;
// API Gateway's own answers carry no client id ("Too Many Requests", "Internal server error"):
// every message still waiting is resent after a growing pause.
const GATEWAY_RETRY_MS = [1000, 2000, 4000, 8000, 15000];

function sendItem(item) {
  if (socket.send({ action: 'message', content: item.content, id: item.clientId })) {
    setOutboxState(item, 'sending');
    const sentAt = Date.now();
    item.sentAt = sentAt;
    setTimeout(() => { if (item.state === 'sending') socket.probe(); }, ACK_PROBE_MS);
    setTimeout(() => {
      if (item.state === 'sending' && item.sentAt === sentAt && state.joined) sendItem(item);
    }, ACK_RESEND_MS);
  }
}

/** A bare API Gateway error frame: resend what is still waiting, after a growing pause. */
function onGatewayError(frame) {
  const waiting = state.outbox.filter((item) => item.state === 'sending');
  if (waiting.length === 0) return;
  const delay = GATEWAY_RETRY_MS[Math.min(state.gatewayRetries, GATEWAY_RETRY_MS.length - 1)];
  state.gatewayRetries += 1;
  const busy = frame.message === 'Too Many Requests';
  setText(ui.statusDetail, t(busy ? 'status.busy' : 'status.retrying'));
  clearTimeout(state.gatewayTimer);
  state.gatewayTimer = setTimeout(() => {
    if (!state.joined) return;
    for (const item of state.outbox) if (item.state === 'sending') sendItem(item);
  }, delay + Math.floor(Math.random() * 250));
}

function flushOutbox() {
  for (const item of state.outbox) {
    if (item.state === 'queued' || item.state === 'sending') sendItem(item);
  }
}

// ---------------------------------------------------------------- composer

function showNotice(text, kind = 'info') {
  showNoticeIn(ui.notice, text, kind);
}

/** A message that did not go out: back into the box to rephrase, with the reason beside it. */
function giveBackDraft(item, notice, kind) {
  if (ui.input.value.trim() === '') {
    ui.input.value = item.content;
    state.refused = kind === 'rejected' && item.messageId ? { messageId: item.messageId, content: item.content } : null;
    autosize();
    updateCounter();
    storeDraft();
    showNotice(notice, kind);
    ui.input.focus();
    ui.input.setSelectionRange(ui.input.value.length, ui.input.value.length);
    return;
  }
  // The box holds something new: keep the old text visible, one click from the box.
  const edit = el('button', { className: 'link-button', text: t('outbox.edit'), attrs: { type: 'button' } });
  const row = el('li', {
    className: `msg msg-own msg-failed msg-${kind}`,
    dataset: item.messageId ? { messageId: item.messageId } : {},
  }, [
    el('div', { className: 'msg-meta' }, [
      el('bdi', { className: 'msg-author', text: state.name }),
      el('span', { className: 'badge badge-untranslated', text: t('outbox.notSent') }),
    ]),
    textBlock(item.content, state.lang, 'msg-text'),
    el('p', { className: 'pending-notice', text: notice }),
    edit,
  ]);
  edit.addEventListener('click', () => {
    ui.input.value = ui.input.value.trim() ? `${ui.input.value}\n${item.content}` : item.content;
    row.remove();
    autosize();
    updateCounter();
    storeDraft();
    ui.input.focus();
  });
  ui.outbox.append(row);
  showNotice(notice, kind);
}

let unblockTimer = null;

function blockSending(seconds) {
  state.blockedUntil = Date.now() + seconds * 1000;
  clearTimeout(unblockTimer);
  unblockTimer = setTimeout(() => {
    state.blockedUntil = 0;
    if (ui.notice.dataset.kind === 'warn') showNotice('');
    updateCounter();
  }, seconds * 1000);
  updateCounter();
}

function updateCounter() {
  const text = ui.input.value;
  const chars = codePointLength(text);
  const bytes = utf8Length(text);
  const charsLeft = state.limits.contentChars - chars;
  const bytesLeft = state.limits.contentBytes - bytes;
  const over = charsLeft < 0 || bytesLeft < 0;
  const near = charsLeft <= 200 || bytesLeft <= 400;
  ui.counter.hidden = !near;
  ui.counter.dataset.over = String(over);
  if (charsLeft < 0) setText(ui.counter, t('composer.over', { count: -charsLeft }));
  else if (bytesLeft < 0) setText(ui.counter, t('composer.tooLongBytes'));
  else setText(ui.counter, t('composer.left', { count: charsLeft }));
  ui.send.disabled = over || text.trim() === '' || Date.now() < state.blockedUntil;
}

function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
}

function submitMessage() {
  const content = ui.input.value;
  if (content.trim() === '') return;
  if (Date.now() < state.blockedUntil) {
    showNotice(t('composer.wait'), 'warn');
    return;
  }
  if (codePointLength(content) > state.limits.contentChars || utf8Length(content) > state.limits.contentBytes) {
    showNotice(t('composer.maxChars', { max: state.limits.contentChars }), 'error');
    return;
  }
  if (hasControlCharacters(content)) {
    showNotice(t('composer.control'), 'error');
    return;
  }
  const item = addToOutbox(socket.nextId('m'), content);
  ui.input.value = '';
  state.refused = null;
  clearDraft(state.room);
  showNotice('');
  autosize();
  updateCounter();
  persistSession();
  stickToBottom();
  if (state.joined) sendItem(item);
}

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  submitMessage();
});

ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    submitMessage();
  } else if (event.key === 'Escape' && !ui.notice.hidden) {
    showNotice('');
  }
});

ui.input.addEventListener('input', () => {
  autosize();
  updateCounter();
  storeDraft();
});

// ---------------------------------------------------------------- history and scrolling

async function requestOlder() {
  if (!state.joined || !state.hasOlder || state.olderId !== null || !list.oldestId) return;
  const frame = { action: 'history', before: list.oldestId, limit: state.limits.historyPage };
  const reply = socket.request(frame, { prefix: 'h', onPartial: onHistory });
  state.olderId = 'waiting';
  state.olderError = '';
  renderLogTop();
  try {
    const answer = await reply;
    if (answer.type === 'history') onHistory(answer);
    else if (answer.type === 'error') state.olderError = answer.message || answer.code;
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    // The connection dropped: the resumed room offers "load older" again.
  } finally {
    state.olderId = null;
    renderLogTop();
  }
}

ui.loadOlder.addEventListener('click', requestOlder);

ui.scroller.addEventListener('scroll', () => {
  pinned = list.isNearBottom(4);
  if (ui.scroller.scrollTop < 120) requestOlder();
  if (!ui.pill.hidden && list.isNearBottom()) {
    state.unseen = 0;
    ui.pill.hidden = true;
  }
}, { passive: true });

ui.pill.addEventListener('click', () => {
  stickToBottom();
  state.unseen = 0;
  ui.pill.hidden = true;
  ui.input.focus();
});

// ---------------------------------------------------------------- switching and leaving

function switchTo(room, lang) {
  if (room === state.room && lang === state.lang) return;
  if (room !== state.room) {
    // Unsent messages were meant for the old room: give the first back as a draft.
    const unsent = state.outbox.filter((item) => item.state === 'queued' || item.state === 'sending');
    for (const item of unsent) removeFromOutbox(item);
    if (unsent.length > 0) giveBackDraft(unsent[0], t('notice.notSentTo', { room: state.room }), 'warn');
    ui.outbox.replaceChildren(...state.outbox.map((item) => item.row));
  }
  enterRoom({ name: state.name, room, lang }, { focus: false });
}

ui.roomLang.addEventListener('change', () => {
  if (codes.includes(ui.roomLang.value)) switchTo(state.room, ui.roomLang.value);
});

ui.switchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const room = ui.switchRoom.value.trim();
  if (!showFieldError(ui.switchRoom, checkRoom(room, t))) { ui.switchRoom.focus(); return; }
  switchTo(room, state.lang);
  setSidebar(false);
  ui.input.focus();
});

function leaveRoom({ notify = true } = {}) {
  if (notify && socket.isOpen) socket.send({ action: 'leave', id: socket.nextId('l') });
  socket.stop(1000, 'left the room');
  clearSession();
  state.outbox = [];
  ui.outbox.replaceChildren();
  state.room = '';
  state.joined = false;
  resetRoomView();
  renderStatus();
}

ui.leave.addEventListener('click', () => {
  leaveRoom();
  ui.entryName.value = state.name;
  showEntry();
});

ui.copyLink.addEventListener('click', async () => {
  const link = roomLink(state.room, state.lang);
  try {
    await navigator.clipboard.writeText(link);
    setText(ui.copyLink, t('room.linkCopied'));
  } catch {
    setText(ui.copyLink, t('room.copyFailed'));
    announce(t('room.linkIs', { link }));
  }
  setTimeout(() => setText(ui.copyLink, t('room.copyLink')), 2000);
});

function setSidebar(open) {
  ui.sidebar.classList.toggle('open', open);
  ui.sidebarToggle.setAttribute('aria-expanded', String(open));
  if (open) ui.sidebar.querySelector('h2')?.focus();
}

ui.sidebarToggle.addEventListener('click', () => setSidebar(!ui.sidebar.classList.contains('open')));
ui.sidebarClose.addEventListener('click', () => {
  setSidebar(false);
  ui.sidebarToggle.focus();
});
ui.sidebar.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && ui.sidebar.classList.contains('open')) {
    setSidebar(false);
    ui.sidebarToggle.focus();
  }
});

// ---------------------------------------------------------------- language

onLanguageChange(() => {
  renderStatus();
  renderLogTop();
  updateCounter();
  if (!ui.pill.hidden) setText(ui.pill, t('room.newMessages', { count: state.unseen }));
  if (state.presence) renderMembers(state.presence);
});

// ---------------------------------------------------------------- start

// Synchronous on purpose: the form is filled before anyone can type in it, and the catalogue
// (loaded by showEntry / enterRoom) replaces the English labels when it arrives.
function start() {
  const choice = initialChoice(codes);
  ui.entryName.value = choice.name;
  ui.entryRoom.value = choice.room;
  ui.entryLang.value = choice.lang;
  updateCounter();
  const session = loadSession();
  if (session && codes.includes(session.lang) && (!choice.fromUrl || choice.room === session.room)) {
    // A reload of a tab that was in a room: go straight back, unsent messages included.
    const lang = new URLSearchParams(window.location.search).get('lang');
    enterRoom(
      { name: session.name, room: session.room, lang: codes.includes(lang) ? lang : session.lang },
      { focus: true, outbox: session.outbox },
    );
    return;
  }
  showEntry();
}

start();
