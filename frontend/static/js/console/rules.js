/**
 * console/rules.js — the moderator console's pure rules: the moderation frames' limits, input
 * checks, durations as people say them, the queue's order and its counts.
 *
 * No DOM, no socket: unit-tested with `node --test` (tests/js). Texts come from the caller's
 * translate function `t(key, vars)` (i18n.js), so these rules speak the reader's language.
 */

/**
 * Limits of the moderation frames. The server sends them on `review.authenticated`
 * (`applyLimits`); these defaults (docs/protocol.md, "Moderation frames") serve until then, e.g.
 * for the secret's length before signing in.
 */
export const LIMITS = {
  secretChars: 1024,
  reasonChars: 500,
  muteMaxMinutes: 7 * 24 * 60,
  pageSize: 50,
};

/** Take the server's limits: known keys with positive whole numbers only; returns LIMITS. */
export function applyLimits(limits) {
  if (limits && typeof limits === 'object') {
    for (const key of Object.keys(LIMITS)) {
      const value = limits[key];
      if (Number.isSafeInteger(value) && value > 0) LIMITS[key] = value;
    }
  }
  return LIMITS;
}

const MESSAGE_ID = /^\d{14}-[0-9A-HJKMNP-TV-Z]{10}$/;

/** True for a well-formed message id (`01763900000000-7Q2K9XJ4WM`). */
export function isMessageId(text) {
  return MESSAGE_ID.test(String(text));
}

/** An error message for an optional reason, or '' when it is fine. */
export function checkReason(reason, t) {
  if ([...reason].length > LIMITS.reasonChars) return t('console.reasonTooLong', { max: LIMITS.reasonChars });
  if (/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u.test(reason)) return t('console.reasonControl');
  return '';
}

/** An error message for the typed secret, or '' when it can be sent. */
export function checkSecret(secret, t) {
  if (secret === '') return t('signin.secretMissing');
  if ([...secret].length > LIMITS.secretChars) return t('signin.secretTooLong', { max: LIMITS.secretChars });
  return '';
}

/** The mute length typed (whole minutes, 0 lifts a mute), or null when it is not one. */
export function parseMinutes(text) {
  const trimmed = String(text).trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const minutes = Number(trimmed);
  return minutes <= LIMITS.muteMaxMinutes ? minutes : null;
}

/**
 * A wait of `seconds` as people say it: under 90 s in seconds, else in whole minutes (rounded
 * up), so a mute of 298 s reads "in 5 minutes".
 */
export function inDuration(seconds, t) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 90) return t('time.inSeconds', { count: s });
  return t('time.inMinutes', { count: Math.ceil(s / 60) });
}

/**
 * Where a new queue item goes among the ids shown, in display order: the index of the id it
 * goes before, or -1 for the end. `newestFirst` puts higher (later) ids first.
 */
export function insertionIndex(shownIds, messageId, newestFirst) {
  const index = shownIds.findIndex((id) => (newestFirst ? id < messageId : id > messageId));
  return index;
}

/** The queue counts from a `review.queue` frame's `counts`. */
export function countsFrom(raw) {
  const counts = raw && typeof raw === 'object' ? raw : {};
  return {
    pending: Number(counts.pending) || 0,
    rejected: Number(counts.rejected) || 0,
    held: Number(counts.held) || 0,
    rooms: { ...(counts.rooms && typeof counts.rooms === 'object' ? counts.rooms : {}) },
  };
}

/** Count one newly flagged item (status `rejected` or `held`) into `counts` (changed in place). */
export function countFlagged(counts, item) {
  counts.pending += 1;
  if (item.status === 'held') counts.held += 1; else counts.rejected += 1;
  counts.rooms[item.room] = (Number(counts.rooms[item.room]) || 0) + 1;
}

/** Count one decided item out of `counts` (changed in place); `status` is its queue status. */
export function countDecided(counts, room, status) {
  counts.pending = Math.max(0, counts.pending - 1);
  if (status === 'rejected' || status === 'held') counts[status] = Math.max(0, counts[status] - 1);
  if (typeof room === 'string' && counts.rooms[room] !== undefined) {
    counts.rooms[room] = Math.max(0, Number(counts.rooms[room]) - 1);
    if (counts.rooms[room] === 0) delete counts.rooms[room];
  }
}

/** True for an object with what a queue row needs. */
export function isQueueItem(item) {
  return Boolean(item) && typeof item.room === 'string' && typeof item.messageId === 'string'
    && item.messageId !== '' && typeof item.user === 'string' && typeof item.content === 'string';
}
