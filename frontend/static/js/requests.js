/**
 * requests.js — matching the server's replies to the frames that asked for them, by `id`.
 *
 * Owns: `PendingRequests`, a table of requests waiting for their reply. Every v2 client frame may
 * carry an `id` that the server echoes in the frame that answers (docs/protocol.md). A reply may
 * come as several frames (a page over 32 KB): each frame with `final: false` goes to the
 * request's `onPartial`, and the last one resolves its promise. When the connection drops, the
 * replies will never come: `failAll` rejects every pending request with a `RequestError`.
 * No DOM, no socket: unit-tested with `node --test`.
 */

/** A request that got no reply: `reason` is 'not-sent' (no connection) or 'closed'. */
export class RequestError extends Error {
  constructor(message, reason) {
    super(message);
    this.name = 'RequestError';
    this.reason = reason;
  }
}

export class PendingRequests {
  #pending = new Map();

  /** How many requests wait for a reply. */
  get size() { return this.#pending.size; }

  /** True when a request with this id waits for its reply. */
  has(id) { return this.#pending.has(id); }

  /**
   * Wait for the reply to `id`: a promise of its (last) frame. `onPartial(frame)` receives each
   * frame of a multi-frame reply before the last one.
   */
  add(id, { onPartial = null } = {}) {
    if (typeof id !== 'string' || id === '') throw new TypeError('a request needs a non-empty string id');
    if (this.#pending.has(id)) throw new Error(`a request with id ${id} is already waiting`);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onPartial });
    });
  }

  /** Give `frame` to the request it answers; true when it was one (the caller drops it then). */
  settle(frame) {
    const id = frame && typeof frame.id === 'string' ? frame.id : null;
    const waiting = id === null ? undefined : this.#pending.get(id);
    if (!waiting) return false;
    if (frame.final === false) {
      if (waiting.onPartial) waiting.onPartial(frame);
      return true;
    }
    this.#pending.delete(id);
    waiting.resolve(frame);
    return true;
  }

  /** Reject one waiting request (e.g. it could not be sent); false when it was not waiting. */
  fail(id, error) {
    const waiting = this.#pending.get(id);
    if (!waiting) return false;
    this.#pending.delete(id);
    waiting.reject(error);
    return true;
  }

  /** Reject every waiting request with a RequestError of `reason` ('closed' by default). */
  failAll(message = 'the connection closed before the reply', reason = 'closed') {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of waiting) reject(new RequestError(message, reason));
  }
}
