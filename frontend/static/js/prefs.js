/**
 * prefs.js — what the page remembers and what a shared link says.
 *
 * Owns: the entry choice (name, room, language) from the URL (?room=&lang=&name=), then the
 * last choice (localStorage), then defaults; the current tab's session (sessionStorage: the
 * room it is in and its unsent messages, so a reload resumes); validation of names and rooms
 * with the server's rules (docs/protocol.md), so mistakes are caught before a round trip.
 */

const PREFS_KEY = 'positive-chat.entry';
const SESSION_KEY = 'positive-chat.session';

const NAME_PATTERN = /^[\p{L}\p{M}\p{N} _.'-]+$/u;
const ROOM_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u;

export const DEFAULT_ROOM = 'lobby';

function readJson(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) || 'null');
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null; // storage disabled or corrupt: behave as if nothing was stored
  }
}

function writeJson(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key); else storage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: remembering is a convenience, never a failure.
  }
}

function codePoints(text) { return [...text].length; }

/** The name and room limits of protocol v2; the page follows the server's `joined` limits. */
export const NAME_LIMITS = { nameChars: 32, roomChars: 64 };

/** Follow the limits the server sent (`joined`'s `limits`): only known, positive numbers. */
export function adoptLimits(limits) {
  for (const key of Object.keys(NAME_LIMITS)) {
    const value = Number(limits && limits[key]);
    if (Number.isInteger(value) && value > 0) NAME_LIMITS[key] = value;
  }
}

const english = (key, vars = {}) => ({
  'check.nameEmpty': 'Please enter a name.',
  'check.nameTooLong': `Names are at most ${vars.max} characters.`,
  'check.nameChars': "Use letters, digits, spaces and _ - . ' only.",
  'check.roomEmpty': 'Please enter a room.',
  'check.roomTooLong': `Room names are at most ${vars.max} characters.`,
  'check.roomChars': 'Start with a letter or digit; then letters, digits, _ - . only.',
})[key];

/** An error message for a display name, or '' when it is valid; `t` translates (i18n.js). */
export function checkName(raw, t = english) {
  const name = String(raw || '').trim();
  if (!name) return t('check.nameEmpty');
  if (codePoints(name) > NAME_LIMITS.nameChars) return t('check.nameTooLong', { max: NAME_LIMITS.nameChars });
  if (!NAME_PATTERN.test(name)) return t('check.nameChars');
  return '';
}

/** An error message for a room name, or '' when it is valid; `t` translates (i18n.js). */
export function checkRoom(raw, t = english) {
  const room = String(raw || '').trim();
  if (!room) return t('check.roomEmpty');
  if (codePoints(room) > NAME_LIMITS.roomChars) return t('check.roomTooLong', { max: NAME_LIMITS.roomChars });
  if (!ROOM_PATTERN.test(room)) return t('check.roomChars');
  return '';
}

/** The best served language for this browser (navigator.languages), else English. */
export function browserLanguage(codes) {
  for (const wanted of navigator.languages || [navigator.language]) {
    if (!wanted) continue;
    const exact = codes.find((code) => code.toLowerCase() === wanted.toLowerCase());
    if (exact) return exact;
    if (/^zh-(tw|hk|mo|hant)/i.test(wanted) && codes.includes('zh-TW')) return 'zh-TW';
    const base = wanted.split('-')[0].toLowerCase();
    if (base === 'nb' || base === 'nn') return codes.includes('no') ? 'no' : 'en';
    if (codes.includes(base)) return base;
  }
  return codes.includes('en') ? 'en' : codes[0];
}

/** The entry form's initial values: URL first, then the last choice, then defaults. */
export function initialChoice(codes, search = window.location.search) {
  const params = new URLSearchParams(search);
  const saved = readJson(localStorage, PREFS_KEY) || {};
  const pick = (...values) => values.find((v) => typeof v === 'string' && v.trim() !== '');
  const lang = pick(params.get('lang'), saved.lang);
  return {
    name: pick(params.get('name'), saved.name) || '',
    room: pick(params.get('room'), saved.room) || DEFAULT_ROOM,
    lang: codes.includes(lang) ? lang : browserLanguage(codes),
    fromUrl: params.has('room'),
  };
}

export function rememberChoice({ name, room, lang }) {
  writeJson(localStorage, PREFS_KEY, { name, room, lang });
}

/** The shareable link of a room (the name stays private). */
export function roomLink(room, lang, base = window.location.href) {
  const url = new URL(base);
  url.search = new URLSearchParams({ room, lang }).toString();
  url.hash = '';
  return url.toString();
}

/** Put the room and language in the address bar without reloading. */
export function showInAddressBar(room, lang) {
  try {
    window.history.replaceState(null, '', roomLink(room, lang));
  } catch {
    // e.g. a file: URL in a sandbox; the link button still works.
  }
}

/** This tab's session: {name, room, lang, outbox: [{clientId, content}]} or null. */
export function loadSession() {
  const session = readJson(sessionStorage, SESSION_KEY);
  if (!session || !session.name || !session.room || !session.lang) return null;
  session.outbox = Array.isArray(session.outbox)
    ? session.outbox.filter((m) => m && typeof m.clientId === 'string' && typeof m.content === 'string')
    : [];
  return session;
}

export function saveSession(session) { writeJson(sessionStorage, SESSION_KEY, session); }

export function clearSession() { writeJson(sessionStorage, SESSION_KEY, null); }

const DRAFT_PREFIX = 'positive-chat.draft.';

/** The unsent text typed in `room` (kept across reloads), or null: {text, refusedId?}. */
export function loadDraft(room) {
  const draft = readJson(localStorage, DRAFT_PREFIX + room);
  return draft && typeof draft.text === 'string' && draft.text !== '' ? draft : null;
}

/** Keep the text typed in `room` (an empty text forgets it). */
export function saveDraft(room, draft) {
  writeJson(localStorage, DRAFT_PREFIX + room, draft && draft.text ? draft : null);
}

export function clearDraft(room) { writeJson(localStorage, DRAFT_PREFIX + room, null); }
