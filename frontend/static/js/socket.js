/**
 * socket.js — a resilient WebSocket client for the Positive Chat protocol (v2).
 *
 * Owns the connection, not the conversation: connecting, an app-level heartbeat (`ping`) well
 * inside API Gateway's 10-minute idle timeout, a planned reconnect before its 2-hour limit,
 * automatic reconnect with exponential backoff and full jitter, dead-connection detection
 * (no answer to a ping), offline/online awareness, and request ids. It knows nothing of rooms:
 * its owner sends `init` on every `open` event and reacts to `frame` and `status` events.
 * Shared by the chat page and the moderator console.
 *
 * Events (EventTarget): `status` {status, retryAt?}, `open`, `frame` {frame}, `close` {code, reason}.
 * `request(frame)` sends a frame with a fresh id and returns a promise of the reply with that id
 * (requests.js); such replies are not emitted as `frame` events.
 */

import { PendingRequests, RequestError } from './requests.js';

export { RequestError };

export const STATUS = Object.freeze({
  IDLE: 'idle', // not started
  CONNECTING: 'connecting', // opening a socket
  OPEN: 'open', // socket open (the owner is joining or joined)
  WAITING: 'waiting', // closed; reconnecting after a backoff delay
  OFFLINE: 'offline', // the browser is offline; reconnecting when it is back
  CLOSED: 'closed', // stopped by the owner
});

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random token of `length` characters from [0-9a-z] (client ids, safe for the protocol). */
export function randomToken(length = 10) {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30000, random = Math.random } = {}) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16)));
}

/**
 * What a page's status indicator says about `socket`: `{ text, detail, kind }`, kind being
 * `ok`, `busy` or `down`. `ready` is the page's own "fully in" state (joined, signed in);
 * `openText` (a catalogue key) is shown while the socket is open but not yet ready; `t`
 * translates catalogue keys (i18n.js).
 */
function describeStatus(socket, { ready, openText, offlineDetail, t }) {
  const status = socket.status;
  if (ready) return { text: t('status.connected'), detail: '', kind: 'ok' };
  if (status === STATUS.OPEN) return { text: t(openText), detail: '', kind: 'busy' };
  if (status === STATUS.CONNECTING) return { text: t('status.connecting'), detail: '', kind: 'busy' };
  if (status === STATUS.WAITING) {
    const seconds = Math.max(0, Math.ceil((socket.retryAt - Date.now()) / 1000));
    return {
      text: t('status.reconnecting'),
      detail: seconds > 0 ? t('status.nextTry', { seconds }) : '',
      kind: 'busy',
    };
  }
  if (status === STATUS.OFFLINE) return { text: t('status.offline'), detail: t(offlineDetail), kind: 'down' };
  return { text: t('status.notConnected'), detail: '', kind: 'down' };
}

/**
 * The connection-status indicator both pages show: its text and detail, the "Retry now" button,
 * and a once-a-second refresh of the countdown while a reconnect waits.
 * `ui` holds the nodes `status`, `statusText`, `statusDetail` and `retryNow`.
 */
export class StatusIndicator {
  #socket;
  #ui;
  #texts;
  #ticker = null;

  /**
   * @param {ChatSocket} socket
   * @param {object} ui  the indicator's nodes
   * @param {{openText: string, offlineDetail: string}} texts  this page's catalogue keys
   * @param {function} t  translates a catalogue key (i18n.js)
   */
  constructor(socket, ui, texts, t) {
    this.#socket = socket;
    this.#ui = ui;
    this.#texts = { ...texts, t };
    ui.retryNow.addEventListener('click', () => socket.reconnectNow());
  }

  /**
   * Show the socket's state now; `ready` says the page's own handshake is done.
   * `onTick` runs on each countdown refresh (the page's full render). Returns describeStatus's answer.
   */
  render(ready, onTick) {
    const socket = this.#socket;
    const ui = this.#ui;
    const described = describeStatus(socket, { ready, ...this.#texts });
    ui.status.dataset.state = described.kind;
    if (ui.statusText.textContent !== described.text) ui.statusText.textContent = described.text;
    ui.statusDetail.textContent = described.detail;
    const waiting = socket.status === STATUS.WAITING;
    ui.retryNow.hidden = !waiting;
    if (waiting && this.#ticker === null) {
      this.#ticker = setInterval(onTick, 1000);
    } else if (!waiting && this.#ticker !== null) {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
    return described;
  }
}

export class ChatSocket extends EventTarget {
  #url;
  #options;
  #ws = null;
  #status = STATUS.IDLE;
  #running = false;
  #attempt = 0;
  #retryAt = null;
  #timers = { retry: null, heartbeat: null, pong: null, planned: null, connect: null };
  #session = randomToken(8);
  #counter = 0;
  #listeners = [];
  #requests = new PendingRequests();

  /**
   * @param {string} url  the WebSocket URL
   * @param {object} options  timing (milliseconds) and injectable globals for tests
   */
  constructor(url, options = {}) {
    super();
    this.#url = url;
    this.#options = {
      heartbeatMs: 270_000,
      pongTimeoutMs: 20_000,
      plannedReconnectMs: 110 * 60_000,
      connectTimeoutMs: 15_000,
      backoffBaseMs: 500,
      backoffCapMs: 30_000,
      ...options,
    };
  }

  get status() { return this.#status; }

  get retryAt() { return this.#retryAt; }

  /** True when a frame can be sent now. */
  get isOpen() { return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN; }

  /** A fresh client id, unique across tabs and reloads: `<prefix>-<session>-<n>`. */
  nextId(prefix = 'c') {
    this.#counter += 1;
    return `${prefix}-${this.#session}-${this.#counter}`;
  }

  /** Start connecting (and keep reconnecting until stop()). */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#listen(window, 'online', () => this.#onOnline());
    this.#listen(window, 'offline', () => this.#onOffline());
    this.#listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.#status === STATUS.WAITING) this.reconnectNow();
    });
    this.#open();
  }

  /** Stop for good: close the socket, cancel every timer. */
  stop(code = 1000, reason = 'client closed') {
    this.#running = false;
    for (const [target, type, handler] of this.#listeners) target.removeEventListener(type, handler);
    this.#listeners = [];
    this.#clearTimers();
    this.#abandon(code, reason);
    this.#setStatus(STATUS.CLOSED);
  }

  /** Skip the backoff delay and connect now (a "retry now" button, the tab becoming visible). */
  reconnectNow() {
    if (!this.#running) return;
    this.#attempt = 0;
    this.#abandon(1000, 'reconnecting');
    this.#open();
  }

  /**
   * Check the connection now (e.g. a message has waited too long for its ack): a ping that gets
   * no answer within the pong timeout drops the socket and reconnects.
   */
  probe() {
    if (this.isOpen && this.#timers.pong === null) this.#ping();
  }

  /** The owner calls this once the server accepted the session (e.g. `joined`): backoff resets. */
  markHealthy() { this.#attempt = 0; }

  /** Send one frame as JSON; false (nothing sent) when the socket is not open. */
  send(frame) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Send `frame` with a fresh id (`<prefix>-...`) and wait for the reply that carries it: a
   * promise of the reply's (last) frame, error frames included. Rejects with a RequestError
   * ('not-sent') when the socket is not open, or ('closed') when it drops before the reply.
   * `onPartial` receives each frame of a multi-frame reply but the last.
   */
  request(frame, { prefix = 'r', onPartial = null } = {}) {
    const id = this.nextId(prefix);
    const reply = this.#requests.add(id, { onPartial });
    if (!this.send({ ...frame, id })) this.#requests.fail(id, new RequestError('not connected', 'not-sent'));
    return reply;
  }

  #listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.#listeners.push([target, type, handler]);
  }

  #emit(type, detail = {}) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  #setStatus(status, retryAt = null) {
    this.#retryAt = retryAt;
    if (status === this.#status && status !== STATUS.WAITING) return;
    this.#status = status;
    this.#emit('status', { status, retryAt });
  }

  #clearTimer(name) {
    if (this.#timers[name] !== null) {
      clearTimeout(this.#timers[name]);
      clearInterval(this.#timers[name]);
      this.#timers[name] = null;
    }
  }

  #clearTimers() { for (const name of Object.keys(this.#timers)) this.#clearTimer(name); }

  #open() {
    this.#clearTimers();
    if (!this.#running) return;
    if (navigator.onLine === false) {
      this.#setStatus(STATUS.OFFLINE);
      return;
    }
    this.#setStatus(STATUS.CONNECTING);
    let ws;
    try {
      ws = new WebSocket(this.#url);
    } catch (err) {
      console.error('cannot open the WebSocket', err);
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    this.#timers.connect = setTimeout(() => this.#onDead(ws, 'connect timeout'), this.#options.connectTimeoutMs);
    ws.addEventListener('open', () => {
      if (ws !== this.#ws) return;
      this.#clearTimer('connect');
      this.#setStatus(STATUS.OPEN);
      this.#timers.heartbeat = setInterval(() => this.#ping(), this.#options.heartbeatMs);
      this.#timers.planned = setTimeout(() => {
        // Reconnect on our terms before API Gateway's 2-hour limit cuts us off.
        this.#abandon(1000, 'planned reconnect');
        this.#open();
      }, this.#options.plannedReconnectMs);
      this.#emit('open');
    });
    ws.addEventListener('message', (event) => {
      if (ws !== this.#ws) return;
      this.#clearTimer('pong'); // any frame proves the connection is alive
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        console.warn('ignoring a frame that is not JSON');
        return;
      }
      if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return;
      if (!this.#requests.settle(frame)) this.#emit('frame', { frame });
    });
    ws.addEventListener('close', (event) => {
      if (ws !== this.#ws) return; // a socket we already gave up on
      this.#ws = null;
      this.#clearTimers();
      this.#requests.failAll();
      this.#emit('close', { code: event.code, reason: event.reason });
      this.#scheduleReconnect();
    });
    // 'error' is always followed by 'close', which does the work.
  }

  #ping() {
    if (!this.send({ action: 'ping', id: this.nextId('p') })) return;
    const ws = this.#ws;
    this.#clearTimer('pong');
    this.#timers.pong = setTimeout(() => this.#onDead(ws, 'no pong'), this.#options.pongTimeoutMs);
  }

  /** The socket stopped answering: drop it without waiting for a close handshake, reconnect. */
  #onDead(ws, reason) {
    if (ws !== this.#ws) return;
    this.#abandon(4000, reason);
    this.#emit('close', { code: 4000, reason });
    this.#scheduleReconnect();
  }

  /** Forget the current socket (its late events are ignored) and close it. */
  #abandon(code, reason) {
    const ws = this.#ws;
    this.#ws = null;
    if (ws) this.#requests.failAll(); // replies on a socket we drop never come
    this.#clearTimer('heartbeat');
    this.#clearTimer('pong');
    this.#clearTimer('planned');
    this.#clearTimer('connect');
    if (ws && ws.readyState <= WebSocket.OPEN) {
      try {
        ws.close(code, reason);
      } catch {
        ws.close();
      }
    }
  }

  #scheduleReconnect() {
    if (!this.#running) return;
    this.#clearTimer('retry');
    if (navigator.onLine === false) {
      this.#setStatus(STATUS.OFFLINE);
      return;
    }
    const delay = backoffDelay(this.#attempt, {
      baseMs: this.#options.backoffBaseMs, capMs: this.#options.backoffCapMs,
    });
    this.#attempt += 1;
    this.#setStatus(STATUS.WAITING, Date.now() + delay);
    this.#timers.retry = setTimeout(() => this.#open(), delay);
  }

  #onOffline() {
    if (!this.#running) return;
    // No frame can get through: drop the socket now rather than wait for TCP to notice.
    this.#clearTimers();
    const hadSocket = this.#ws !== null;
    this.#abandon(1001, 'offline');
    if (hadSocket) this.#emit('close', { code: 1001, reason: 'offline' });
    this.#setStatus(STATUS.OFFLINE);
  }

  #onOnline() {
    if (!this.#running) return;
    this.#attempt = 0;
    if (this.#ws === null) this.#open();
  }
}
