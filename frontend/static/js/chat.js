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

import { byId, codePointLength, el, formatNumber, hasControlCharacters, setText, textBlock, utf8Length } from './dom.js';
import { MessageList, isRenderableMessage, languageLabel, renderMessage, renderNotice } from './messages.js';
import {
  checkName, checkRoom, clearSession, initialChoice, loadSession, rememberChoice, roomLink,
  saveSession, showInAddressBar,
} from './prefs.js';
import { readSettings } from './settings.js';
import { ChatSocket, STATUS, StatusIndicator } from './socket.js';

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
  blockedUntil: 0,
  limits: { ...settings.limits },
  gatewayRetries: 0,
  gatewayTimer: null,
  /** @type {{clientId: string, content: string, state: string, messageId?: string, row?: HTMLElement}[]} */
  outbox: [],
};

const socket = new ChatSocket(settings.wsUrl, {
  heartbeatMs: settings.timing.heartbeatSeconds * 1000,
  plannedReconnectMs: settings.timing.plannedReconnectSeconds * 1000,
});
const list = new MessageList({ list: ui.log, scroller: ui.scroller });

// ---------------------------------------------------------------- entry

function showFieldError(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (error) {
    setText(error, message);
    error.hidden = !message;
  }
  return !message;
}

function showEntry(errorMessage = '', field = null) {
  ui.roomView.hidden = true;
  ui.entryView.hidden = false;
  document.title = 'Positive Chat';
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
  const nameOk = showFieldError(ui.entryName, checkName(name));
  const roomOk = showFieldError(ui.entryRoom, checkRoom(room));
  if (!nameOk) { ui.entryName.focus(); return; }
  if (!roomOk) { ui.entryRoom.focus(); return; }
  ui.entryError.hidden = true;
  enterRoom({ name, room, lang: codes.includes(lang) ? lang : 'en' }, { focus: true });
});

// ---------------------------------------------------------------- the room

function enterRoom({ name, room, lang }, { focus = false, outbox = [] } = {}) {
  const changed = room !== state.room || lang !== state.lang;
  Object.assign(state, { name, room, lang, joined: false, focusOnJoin: focus });
  if (changed) resetRoomView();
  for (const saved of outbox) addToOutbox(saved.clientId, saved.content);
  rememberChoice({ name, room, lang });
  persistSession();
  showInAddressBar(room, lang);

  setText(ui.roomName, room);
  ui.roomLang.value = lang;
  ui.switchRoom.value = room;
  document.title = `${room} · Positive Chat`;
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
  ui.members.replaceChildren();
  setText(ui.memberCount, '');
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
  ui.announcer.append(el('p', { text }));
  while (ui.announcer.childElementCount > 3) ui.announcer.firstElementChild.remove();
}

function renderLogTop() {
  ui.loadOlder.hidden = !state.hasOlder;
  ui.loadOlder.disabled = state.olderId !== null;
  setText(ui.loadOlder, state.olderId !== null ? 'Loading older messages…' : 'Load older messages');
  ui.historyStart.hidden = state.hasOlder || !state.joined;
  setText(ui.historyStart, list.size === 0
    ? `No messages in ${state.room} yet. Say hello!`
    : `This is the beginning of ${state.room}.`);
}

function renderTopics(topics) {
  const names = topics.filter((t) => t && typeof t.topic === 'string').slice(0, 3);
  ui.roomTopics.replaceChildren(...names.map((t) => el('li', {
    text: t.topic,
    attrs: { title: Number.isFinite(t.count) ? `${t.count} mentions` : undefined },
  })));
  ui.roomTopics.hidden = names.length === 0;
}

function renderMembers(members) {
  const seen = new Map();
  for (const member of members) {
    if (member && typeof member.user === 'string' && !seen.has(member.user)) seen.set(member.user, member);
  }
  const rows = [...seen.values()]
    .sort((a, b) => (a.user === state.name ? -1 : b.user === state.name ? 1 : a.user.localeCompare(b.user)))
    .map((member) => el('li', {}, [
      el('bdi', { className: 'member-name', text: member.user }),
      member.user === state.name ? el('span', { className: 'msg-you', text: '(you)' }) : null,
      el('span', {
        className: 'member-lang',
        text: languageLabel(member.lang, languages),
        attrs: { lang: member.lang },
      }),
    ]));
  ui.members.replaceChildren(...rows);
  setText(ui.memberCount, `(${rows.length})`);
}

// ---------------------------------------------------------------- connection status

const statusIndicator = new StatusIndicator(socket, ui, {
  openText: 'Joining…',
  offlineDetail: 'messages will be sent when you are back online',
});

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
  if (frame.limits && typeof frame.limits === 'object') Object.assign(state.limits, frame.limits);
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
    if (frame.id === state.olderId) state.olderId = null;
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
    if (atBottom) list.scrollToBottom();
  } else {
    insertAll();
    state.hasOlder = Boolean(frame.hasMore);
    list.scrollToBottom();
  }
  renderLogTop();
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
  if (own || atBottom) {
    list.scrollToBottom();
  } else {
    state.unseen += 1;
    setText(ui.pill, state.unseen === 1 ? '1 new message ↓' : `${state.unseen} new messages ↓`);
    ui.pill.hidden = false;
  }
  renderLogTop();
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
  const notice = frame.notice || 'Please find a better way to express this.';
  giveBackDraft(item, `${notice} Your message was not sent; it is still here so you can rephrase it.`, 'rejected');
}

function onHeld(frame) {
  const item = outboxItem(frame.id);
  if (!item) return;
  item.messageId = frame.messageId;
  item.notice = frame.notice || 'Held for review: it will appear once it has been checked.';
  setOutboxState(item, 'held');
}

function onPresence(frame) {
  if (!forThisRoom(frame)) return;
  if (Array.isArray(frame.members)) renderMembers(frame.members);
  if (typeof frame.user !== 'string' || frame.user === state.name) return;
  let text = '';
  if (frame.event === 'join') text = `${frame.user} joined`;
  else if (frame.event === 'leave') text = `${frame.user} left`;
  if (!text) return;
  const atBottom = list.isNearBottom();
  list.appendNotice(renderNotice(text));
  announce(text);
  if (atBottom) list.scrollToBottom();
}

/** A moderator deleted a message: it leaves the page (and the resume point moves if needed). */
function onDeleted(frame) {
  if (!forThisRoom(frame) || typeof frame.messageId !== 'string') return;
  if (list.remove(frame.messageId)) {
    announce('A moderator removed a message.');
    renderLogTop();
  }
}

function onTopics(frame) {
  if (forThisRoom(frame) && Array.isArray(frame.topics)) renderTopics(frame.topics);
}

const FIELD_OF_CODE = { INVALID_NAME: 'name', INVALID_ROOM: 'room', UNSUPPORTED_LANGUAGE: 'lang' };

function retryText(frame) {
  const seconds = Math.max(1, Math.ceil(Number(frame.retryAfter) || 1));
  return seconds === 1 ? 'in a second' : `in ${formatNumber(seconds)} seconds`;
}

function onError(frame) {
  const message = typeof frame.message === 'string' && frame.message ? frame.message : frame.code;
  if (frame.id && frame.id === state.initId) {
    const field = FIELD_OF_CODE[frame.code] || (['user', 'room', 'lang'].includes(frame.field)
      ? { user: 'name', room: 'room', lang: 'lang' }[frame.field] : null);
    if (field) {
      leaveRoom({ notify: false });
      showEntry(`The server refused to join: ${message}.`, field);
      return;
    }
    const delay = frame.code === 'RATE_LIMITED' ? (Number(frame.retryAfter) || 1) * 1000 : 3000;
    setText(ui.statusDetail, `could not join (${message}); trying again`);
    setTimeout(() => { if (socket.isOpen && !state.joined) sendInit(); }, delay);
    return;
  }
  if (frame.id && frame.id === state.olderId) {
    state.olderId = null;
    renderLogTop();
    setText(ui.historyStart, `Could not load older messages (${message}).`);
    ui.historyStart.hidden = false;
    return;
  }
  const item = frame.id ? outboxItem(frame.id) : null;
  if (!item) {
    if (frame.code === 'NOT_JOINED' && socket.isOpen) { sendInit(); return; }
    showNotice(`Something went wrong: ${message}`, 'error');
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
      giveBackDraft(item, `You are sending messages too fast. You can send again ${retryText(frame)}.`, 'warn');
      return;
    case 'MUTED':
      removeFromOutbox(item);
      blockSending(Number(frame.retryAfter) || 1);
      giveBackDraft(item, `A moderator has muted you in this room. You can send again ${retryText(frame)}.`, 'warn');
      return;
    case 'SERVICE_UNAVAILABLE':
      removeFromOutbox(item);
      giveBackDraft(item, 'The message could not be sent right now (a service is unavailable). Please try again.', 'error');
      return;
    default:
      removeFromOutbox(item);
      giveBackDraft(item, `The message was not sent: ${message}`, 'error');
  }
}

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
      el('span', { className: 'msg-you', text: '(you)' }),
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
  let label = 'Sending…';
  if (item.state === 'sent') label = 'Sent';
  else if (item.state === 'held') label = 'Held for review';
  else if (!state.joined) label = socket.status === STATUS.OFFLINE ? 'Waiting for network…' : 'Waiting for connection…';
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
  setText(ui.statusDetail, busy ? 'the server is busy; sending again shortly' : 'sending again shortly');
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
  setText(ui.notice, text);
  ui.notice.dataset.kind = kind;
  ui.notice.hidden = !text;
}

/** A message that did not go out: back into the box to rephrase, with the reason beside it. */
function giveBackDraft(item, notice, kind) {
  if (ui.input.value.trim() === '') {
    ui.input.value = item.content;
    autosize();
    updateCounter();
    showNotice(notice, kind);
    ui.input.focus();
    ui.input.setSelectionRange(ui.input.value.length, ui.input.value.length);
    return;
  }
  // The box holds something new: keep the old text visible, one click from the box.
  const edit = el('button', { className: 'link-button', text: 'Edit', attrs: { type: 'button' } });
  const row = el('li', { className: `msg msg-own msg-failed msg-${kind}` }, [
    el('div', { className: 'msg-meta' }, [
      el('bdi', { className: 'msg-author', text: state.name }),
      el('span', { className: 'badge badge-untranslated', text: 'Not sent' }),
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
  if (charsLeft < 0) setText(ui.counter, `${formatNumber(-charsLeft)} characters over the limit`);
  else if (bytesLeft < 0) setText(ui.counter, 'Too long: please shorten the message');
  else setText(ui.counter, `${formatNumber(charsLeft)} characters left`);
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
    showNotice('Please wait a moment before sending again.', 'warn');
    return;
  }
  if (codePointLength(content) > state.limits.contentChars || utf8Length(content) > state.limits.contentBytes) {
    showNotice(`Messages are at most ${formatNumber(state.limits.contentChars)} characters.`, 'error');
    return;
  }
  if (hasControlCharacters(content)) {
    showNotice('The message holds invisible control characters; please remove them.', 'error');
    return;
  }
  const item = addToOutbox(socket.nextId('m'), content);
  ui.input.value = '';
  showNotice('');
  autosize();
  updateCounter();
  persistSession();
  list.scrollToBottom();
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
});

// ---------------------------------------------------------------- history and scrolling

function requestOlder() {
  if (!state.joined || !state.hasOlder || state.olderId !== null || !list.oldestId) return;
  state.olderId = socket.nextId('h');
  socket.send({ action: 'history', before: list.oldestId, limit: state.limits.historyPage, id: state.olderId });
  renderLogTop();
}

ui.loadOlder.addEventListener('click', requestOlder);

ui.scroller.addEventListener('scroll', () => {
  if (ui.scroller.scrollTop < 120) requestOlder();
  if (!ui.pill.hidden && list.isNearBottom()) {
    state.unseen = 0;
    ui.pill.hidden = true;
  }
}, { passive: true });

ui.pill.addEventListener('click', () => {
  list.scrollToBottom();
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
    if (unsent.length > 0) giveBackDraft(unsent[0], `Not sent to ${state.room}.`, 'warn');
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
  if (!showFieldError(ui.switchRoom, checkRoom(room))) { ui.switchRoom.focus(); return; }
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
    setText(ui.copyLink, 'Link copied');
  } catch {
    setText(ui.copyLink, 'Copy failed');
    announce(`Room link: ${link}`);
  }
  setTimeout(() => setText(ui.copyLink, 'Copy room link'), 2000);
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

// ---------------------------------------------------------------- start

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
