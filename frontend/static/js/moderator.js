/**
 * moderator.js — the moderator console's entry point: the connection, signing in, the status
 * indicator, and the screens (console/queue.js, console/audit.js, console/tools.js,
 * console/tabs.js), each owning its own state.
 *
 * The secret: typed into a password field, sent only inside the `mod.auth` frame, and kept in
 * this module's memory (never in the URL, localStorage or sessionStorage) so that the console can
 * sign in again by itself after a reconnect. A reload or "Sign out" forgets it. Only the
 * moderator's display name (and the chosen UI language) are remembered.
 *
 * After every (re)connection the console signs in again and reloads the first queue page, so
 * flags raised while it was away are not missed; live `review.flagged` and `review.resolved`
 * frames keep it current in between. Requests are matched to their replies by id
 * (socket.request); a reply saying NOT_MODERATOR makes the console sign in again.
 */

import { byId, setText } from './dom.js';
import { onLanguageChange, setLanguage, t } from './i18n.js';
import { checkName } from './prefs.js';
import { readSettings } from './settings.js';
import { ChatSocket, RequestError, STATUS, StatusIndicator } from './socket.js';
import { announce, errorText, showFieldError, showNotice } from './ui.js';
import { AuditScreen } from './console/audit.js';
import { QueueScreen } from './console/queue.js';
import { applyLimits, checkSecret, inDuration } from './console/rules.js';
import { Tabs } from './console/tabs.js';
import { ToolsScreen } from './console/tools.js';
import { browserUiLanguage, LanguagePicker } from './console/language.js';

const settings = readSettings();
const languages = new Map(settings.languages.map((language) => [language.code, language]));
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
  signout: byId('signout-button'),
  notice: byId('console-notice'),
  announcer: byId('announcer'),
};

/** The moderator secret, in memory only (see the module docstring). */
let secret = null;

const session = {
  name: '',
  signedIn: false,
  everSignedIn: false,
  authGeneration: 0,
  throttledUntil: 0,
};

const socket = new ChatSocket(settings.wsUrl, {
  heartbeatMs: settings.timing.heartbeatSeconds * 1000,
  plannedReconnectMs: settings.timing.plannedReconnectSeconds * 1000,
});

/**
 * Send a moderation request and wait for its reply. Rejects with a RequestError: 'not-sent'
 * (not signed in or not connected), 'closed' (the connection dropped first), 'not-moderator'
 * (the server no longer knows this connection as a moderator: signing in again).
 */
async function ask(frame, options) {
  if (!session.signedIn) throw new RequestError('not signed in', 'not-sent');
  const reply = await socket.request(frame, options);
  if (reply.type === 'error' && reply.code === 'NOT_MODERATOR') {
    session.signedIn = false;
    if (secret !== null && socket.isOpen) sendAuth();
    throw new RequestError('not a moderator', 'not-moderator');
  }
  return reply;
}

/** What to tell the moderator when a request got no reply. */
function unanswered(error, notSentKey) {
  if (!(error instanceof RequestError)) throw error;
  if (error.reason === 'not-moderator') return t('console.resigning');
  if (error.reason === 'closed') return t('console.dropped');
  return t(notSentKey);
}

const context = {
  ui,
  socket,
  languages,
  ask,
  unanswered,
  isSignedIn: () => session.signedIn,
  announce: (text) => announce(ui.announcer, text),
  notice: (text, kind) => showNotice(ui.notice, text, kind),
};

const tabs = new Tabs(context, {
  onSelect: (name) => { if (name === 'audit') audit.loadIfNeeded(); },
  onFilterKey: () => queue.focusFilter(),
});
context.tabs = tabs;
const tools = new ToolsScreen(context);
context.tools = tools;
const audit = new AuditScreen(context, { onDeleteRequest: (room, id) => tools.openDelete(room, id) });
const queue = new QueueScreen(context, {
  onMuteRequest: (room, user) => tools.openMute(room, user),
  onCounts: (pending) => {
    if (!ui.consoleView.hidden) {
      document.title = `${pending > 0 ? `(${pending}) ` : ''}${t('console.title')} · Positive Chat`;
    }
  },
});
tools.onMutesChanged = () => queue.renderMuteBadges();

// ---------------------------------------------------------------- sign-in

let throttleTicker = null;

function renderThrottle() {
  const left = (session.throttledUntil - Date.now()) / 1000;
  if (left <= 0) {
    clearInterval(throttleTicker);
    throttleTicker = null;
    session.throttledUntil = 0;
    ui.signinButton.disabled = false;
    ui.signinError.hidden = true;
    return;
  }
  ui.signinButton.disabled = true;
  setText(ui.signinError, t('signin.throttled', { when: inDuration(left, t) }));
  ui.signinError.hidden = false;
}

function showSignin(message = '', field = null) {
  ui.consoleView.hidden = true;
  ui.signinView.hidden = false;
  document.title = `${t('signin.heading')} · Positive Chat`;
  ui.signinButton.disabled = Date.now() < session.throttledUntil;
  setText(ui.signinButton, t('signin.submit'));
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
  session.signedIn = false;
  session.authGeneration += 1;
  socket.stop(1000, 'signed out');
  queue.reset();
  audit.reset();
  renderStatus();
}

ui.signinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.signinName.value.trim();
  const typed = ui.signinSecret.value;
  const nameOk = showFieldError(ui.signinName, checkName(name, t));
  const secretOk = showFieldError(ui.signinSecret, checkSecret(typed, t));
  if (!nameOk) { ui.signinName.focus(); return; }
  if (!secretOk) { ui.signinSecret.focus(); return; }
  if (Date.now() < session.throttledUntil) { renderThrottle(); return; }
  ui.signinError.hidden = true;
  secret = typed;
  session.name = name;
  remember(NAME_KEY, name); // the name only: never the secret
  ui.signinButton.disabled = true;
  setText(ui.signinButton, t('signin.busy'));
  if (socket.status === STATUS.IDLE || socket.status === STATUS.CLOSED) socket.start();
  else if (socket.isOpen) sendAuth();
});

async function sendAuth() {
  if (secret === null) return;
  session.signedIn = false;
  const generation = ++session.authGeneration;
  renderStatus();
  let reply;
  try {
    reply = await socket.request({ action: 'mod.auth', secret, name: session.name }, { prefix: 'a' });
  } catch (err) {
    if (err instanceof RequestError) return; // signs in again on the next open
    throw err;
  }
  if (generation !== session.authGeneration) return; // an answer to a sign-in since replaced
  if (reply.type === 'review.authenticated') onAuthenticated(reply);
  else if (reply.type === 'error') onAuthError(reply);
}

function onAuthenticated(frame) {
  session.signedIn = true;
  socket.markHealthy();
  ui.signinSecret.value = '';
  if (typeof frame.moderator === 'string' && frame.moderator) session.name = frame.moderator;
  applyLimits(frame.limits);
  setText(ui.moderatorName, session.name);
  const first = !session.everSignedIn || ui.consoleView.hidden;
  session.everSignedIn = true;
  ui.signinView.hidden = true;
  ui.consoleView.hidden = false;
  renderStatus();
  // Anything may have happened while we were away: start the queue (and the audit log) afresh.
  queue.reload();
  audit.reloadIfShown(tabs.current === 'audit');
  if (first) {
    context.notice('');
    tabs.focusCurrent('queue');
  }
}

function onAuthError(frame) {
  const message = errorText(frame);
  const wasSignedIn = session.everSignedIn && !ui.consoleView.hidden;
  switch (frame.code) {
    case 'AUTH_FAILED':
      endSession();
      showSignin(t(wasSignedIn ? 'signin.secretRevoked' : 'signin.secretWrong'), 'secret');
      return;
    case 'AUTH_THROTTLED':
      endSession();
      session.throttledUntil = Date.now() + Math.max(1, Number(frame.retryAfter) || 60) * 1000;
      showSignin('', null);
      renderThrottle();
      clearInterval(throttleTicker);
      throttleTicker = setInterval(renderThrottle, 1000);
      return;
    case 'INVALID_NAME':
      endSession();
      showSignin(t('signin.nameRefused', { message }), 'name');
      return;
    case 'RATE_LIMITED':
      setTimeout(() => { if (socket.isOpen && !session.signedIn) sendAuth(); }, (Number(frame.retryAfter) || 1) * 1000);
      return;
    case 'SERVICE_UNAVAILABLE':
      endSession();
      showSignin(t('signin.unavailable'));
      return;
    default:
      endSession();
      showSignin(t('signin.failed', { message }));
  }
}

ui.signout.addEventListener('click', () => {
  endSession();
  context.notice('');
  showSignin();
});

// ---------------------------------------------------------------- connection status

const statusIndicator = new StatusIndicator(socket, ui, {
  openText: 'status.signingIn',
  offlineDetail: 'status.offlineConsole',
}, t);

function renderStatus() {
  const status = socket.status;
  const { detail } = statusIndicator.render(session.signedIn, renderStatus);
  if (ui.consoleView.hidden && secret !== null && (status === STATUS.WAITING || status === STATUS.OFFLINE)) {
    setText(ui.signinError, status === STATUS.OFFLINE
      ? t('signin.offline')
      : t('signin.unreachable', { detail: detail ? ` (${detail})` : '' }));
    ui.signinError.hidden = false;
  }
  queue.renderFoot();
}

socket.addEventListener('status', (event) => {
  if (event.detail.status !== STATUS.OPEN) session.signedIn = false;
  renderStatus();
});
socket.addEventListener('open', () => sendAuth());
socket.addEventListener('frame', (event) => handleFrame(event.detail.frame));

// ---------------------------------------------------------------- pushed frames

function handleFrame(frame) {
  try {
    if (frame.type === 'review.flagged') queue.onFlagged(frame);
    else if (frame.type === 'review.resolved') onResolved(frame);
    else if (frame.type === 'error') onError(frame);
  } catch (err) {
    console.error(`failed to handle a ${frame.type} frame`, err);
  }
}

/** A decision, deletion or mute by any moderator (ours are answered through `ask`). */
function onResolved(frame, mine = false) {
  const entry = frame.entry;
  if (!entry || typeof entry !== 'object') return;
  if (entry.action === 'approve' || entry.action === 'reject') queue.onResolved(entry, mine);
  else tools.onResolved(entry, mine);
  audit.prepend(entry);
}
context.onResolved = onResolved;

function onError(frame) {
  if (frame.code === 'NOT_MODERATOR') {
    // The server no longer knows this connection as a moderator: sign in again.
    if (secret !== null && socket.isOpen) sendAuth();
    return;
  }
  if (frame.code === 'RATE_LIMITED') {
    context.notice(t('console.slowDown', { when: inDuration(Number(frame.retryAfter) || 1, t) }), 'warn');
    return;
  }
  context.notice(t('console.somethingWrong', { message: errorText(frame) }), 'error');
}

// ---------------------------------------------------------------- start

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage disabled: remembering is a convenience.
  }
}

function recall(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

onLanguageChange(() => {
  renderStatus();
  queue.renderAll();
  audit.renderAll();
  if (ui.consoleView.hidden) document.title = `${t('signin.heading')} · Positive Chat`;
  if (session.throttledUntil) renderThrottle();
});

// The form is filled at once (before anyone can type in it); the catalogue replaces the
// English labels when it arrives.
function start() {
  const picker = new LanguagePicker(settings.languages, (lang) => setLanguage(lang));
  const lang = picker.initial(browserUiLanguage());
  picker.show(lang);
  ui.signinName.value = recall(NAME_KEY);
  showSignin();
  setLanguage(lang);
}

start();
