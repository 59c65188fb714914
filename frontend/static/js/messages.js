/**
 * messages.js — rendering chat messages and keeping an ordered, de-duplicated message list.
 *
 * Owns: one protocol-v2 `message` object → one list item (author, time in the reader's locale,
 * the text in the reader's language with the original on demand, a clear mark when no
 * translation was available, topics), and `MessageList`, which keeps rows in message-id order
 * with at most one row per message id and knows whether the reader is at the bottom.
 * Every user-supplied string goes in as text (dom.js), never as HTML.
 */

import { el, nameNode, textBlock, timeNode } from './dom.js';
import { currentLanguage, t } from './i18n.js';

/** Describe a language code for people: "Français" (native name), or the code if unknown. */
export function languageLabel(code, languages) {
  const known = languages.get(code);
  return known ? known.native : String(code || '?');
}

const displayNames = new Map();

/**
 * A language's name in the page's language ("anglais" on a French page), for sentences such as
 * "Translated from …"; the native name when the browser cannot name it.
 */
export function languageName(code, languages) {
  const ui = currentLanguage();
  try {
    if (!displayNames.has(ui)) displayNames.set(ui, new Intl.DisplayNames([ui], { type: 'language' }));
    const name = displayNames.get(ui).of(code);
    if (name && name !== code) return name;
  } catch {
    // Not a well-formed code: fall back to what the server calls it.
  }
  return languageLabel(code, languages);
}

/** True when `frame` has what a message row needs. */
export function isRenderableMessage(frame) {
  return Boolean(frame) && typeof frame.messageId === 'string' && frame.messageId !== ''
    && typeof frame.user === 'string'
    && (typeof frame.text === 'string' || typeof frame.content === 'string');
}

/** One message as a list item. `context`: {languages: Map, selfUser, now}. */
export function renderMessage(frame, context) {
  const { languages, selfUser } = context;
  const text = typeof frame.text === 'string' ? frame.text : frame.content;
  const textLang = frame.textLang || frame.lang;
  const original = typeof frame.content === 'string' ? frame.content : text;
  const sourceLabel = languageName(frame.lang, languages);
  const own = selfUser !== undefined && frame.user === selfUser;

  const badges = [];
  // Your own words need no translation: no "not translated" mark on your messages.
  const untranslated = frame.translation === 'unavailable' && !own;
  if (untranslated) {
    badges.push(el('span', {
      className: 'badge badge-untranslated',
      text: t('msg.notTranslated', { lang: sourceLabel }),
      attrs: { title: t('msg.notTranslatedTitle') },
    }));
  } else if (frame.translation === 'translated') {
    badges.push(el('span', { className: 'badge', text: t('msg.translatedFrom', { lang: sourceLabel }) }));
  }
  if (frame.status === 'approved') {
    badges.push(el('span', { className: 'badge badge-approved', text: t('msg.approved') }));
  }

  const meta = el('div', { className: 'msg-meta' }, [
    nameNode(frame.user, 'msg-author'),
    own ? el('span', { className: 'msg-you', text: t('room.you') }) : null,
    timeNode(frame.timestamp, context.now),
    ...badges,
  ]);

  const body = [meta, textBlock(text, textLang, 'msg-text')];
  if (frame.translation === 'translated' && original !== text) {
    body.push(el('details', { className: 'msg-original' }, [
      el('summary', { text: t('msg.original', { lang: sourceLabel }) }),
      textBlock(original, frame.lang, 'msg-text msg-original-text'),
    ]));
  }
  const topics = frame.topics && typeof frame.topics === 'object' ? Object.keys(frame.topics) : [];
  if (topics.length > 0) {
    body.push(el('ul', { className: 'msg-topics', attrs: { 'aria-label': t('msg.topics') } },
      topics.slice(0, 8).map((topic) => el('li', { text: topic }))));
  }
  return el('li', {
    className: `msg${own ? ' msg-own' : ''}${untranslated ? ' msg-untranslated' : ''}`,
    dataset: { messageId: frame.messageId },
  }, body);
}

/** A short notice line (someone joined or left, the start of the room). */
export function renderNotice(text, className = '') {
  return el('li', { className: `notice ${className}`.trim(), text });
}

/** The message list of one room: ordered by message id, one row per id. */
export class MessageList {
  #list;
  #scroller;
  #ids = []; // sorted ascending (message ids are time-ordered strings)
  #rows = new Map();

  constructor({ list, scroller }) {
    this.#list = list;
    this.#scroller = scroller;
  }

  get size() { return this.#ids.length; }

  get oldestId() { return this.#ids[0] ?? null; }

  get newestId() { return this.#ids[this.#ids.length - 1] ?? null; }

  has(messageId) { return this.#rows.has(messageId); }

  /** Insert a rendered row in id order; returns false (and changes nothing) for a duplicate. */
  insert(messageId, row) {
    if (this.#rows.has(messageId)) return false;
    let low = 0;
    let high = this.#ids.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#ids[mid] < messageId) low = mid + 1; else high = mid;
    }
    const nextId = this.#ids[low];
    this.#ids.splice(low, 0, messageId);
    this.#rows.set(messageId, row);
    if (nextId === undefined) this.#list.append(row);
    else this.#list.insertBefore(row, this.#rows.get(nextId));
    return true;
  }

  /** Replace the row of a message already shown (e.g. approved after review). */
  replace(messageId, row) {
    const old = this.#rows.get(messageId);
    if (!old) return this.insert(messageId, row);
    old.replaceWith(row);
    this.#rows.set(messageId, row);
    return true;
  }

  /** Remove the row of a message (a moderator deleted it); false if it was not shown. */
  remove(messageId) {
    const row = this.#rows.get(messageId);
    if (!row) return false;
    row.remove();
    this.#rows.delete(messageId);
    this.#ids.splice(this.#ids.indexOf(messageId), 1);
    return true;
  }

  /** Append a notice after everything shown so far. */
  appendNotice(row) { this.#list.append(row); }

  clear() {
    this.#ids = [];
    this.#rows.clear();
    this.#list.replaceChildren();
  }

  /** True when the reader is at (or within `slack` px of) the bottom. */
  isNearBottom(slack = 64) {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= slack;
  }

  scrollToBottom() { this.#scroller.scrollTop = this.#scroller.scrollHeight; }

  /** Run `change` (which adds rows above) without moving what the reader is looking at. */
  keepPosition(change) {
    const s = this.#scroller;
    const fromBottom = s.scrollHeight - s.scrollTop;
    change();
    s.scrollTop = s.scrollHeight - fromBottom;
  }
}
