/**
 * dom.js — safe DOM building and text rendering shared by every page.
 *
 * Owns: creating elements whose user-supplied strings go in through textContent only (never
 * innerHTML), text direction for right-to-left languages, time formatting in the reader's
 * locale, and counting text the way the server does (code points and UTF-8 bytes).
 */

const RTL_LANGUAGES = new Set(['ar', 'he', 'fa', 'ur']);
const ENCODER = new TextEncoder();

/**
 * Create an element. `options.text` is set with textContent; `options.attrs` with setAttribute
 * (never event-handler attributes); children are nodes or strings (strings become text nodes).
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  const { className, text, attrs, dataset, hidden } = options;
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (/^on/i.test(name)) throw new Error(`refusing event-handler attribute ${name}`);
      if (value !== undefined && value !== null && value !== false) {
        node.setAttribute(name, value === true ? '' : String(value));
      }
    }
  }
  if (dataset) Object.assign(node.dataset, dataset);
  if (hidden) node.hidden = true;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Replace all children of `node` with a single text node. */
/** The element with `id`; a page whose template lacks it fails loudly at start, not later. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page is missing #${id}`);
  return node;
}

export function setText(node, text) {
  node.textContent = text === undefined || text === null ? '' : String(text);
}

/** The `dir` attribute for text in `lang`: "rtl" for Arabic, Hebrew, Persian, Urdu, else "auto". */
export function directionFor(lang) {
  const base = String(lang || '').split('-')[0].toLowerCase();
  return RTL_LANGUAGES.has(base) ? 'rtl' : 'auto';
}

/** A paragraph of user text in `lang`, direction set, inserted as text. */
export function textBlock(text, lang, className) {
  return el('p', { className, text, attrs: { lang: lang || undefined, dir: directionFor(lang) } });
}

/** A user-supplied name isolated from the surrounding text direction. */
export function nameNode(name, className) {
  return el('bdi', { className, text: name });
}

/** Number of Unicode code points (what the server calls characters). */
export function codePointLength(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Number of UTF-8 bytes. */
export function utf8Length(text) {
  return ENCODER.encode(text).length;
}

/** Control characters other than tab and newline (the server refuses them in messages). */
export function hasControlCharacters(text) {
  return /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u.test(text);
}

const formats = new Map();

/** The date-time formats of `locale` (the page's UI language), made once each. */
function formatsOf(locale) {
  if (!formats.has(locale)) {
    formats.set(locale, {
      time: new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }),
      dateTime: new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }),
      full: new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'medium' }),
      number: new Intl.NumberFormat(locale),
    });
  }
  return formats.get(locale);
}

/** The page's UI language (`<html lang>`, set by i18n.js), or the browser's default. */
function pageLocale() {
  return (typeof document !== 'undefined' && document.documentElement.lang) || undefined;
}

/** A <time> element for an epoch-milliseconds timestamp, formatted in the page's language. */
export function timeNode(timestampMs, now = new Date()) {
  const when = new Date(Number(timestampMs));
  if (Number.isNaN(when.getTime())) return el('time', { text: '' });
  const sameDay = when.toDateString() === now.toDateString();
  const locale = formatsOf(pageLocale());
  return el('time', {
    text: (sameDay ? locale.time : locale.dateTime).format(when),
    attrs: { datetime: when.toISOString(), title: locale.full.format(when) },
  });
}

/** Format a number in the page's language (e.g. 1,950). */
export function formatNumber(value) {
  return formatsOf(pageLocale()).number.format(value);
}
