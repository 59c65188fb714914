/**
 * i18n.js — the page's own words in the reader's language.
 *
 * Owns: the UI languages and which one serves a reading language (`pt-PT` → `pt`, `zh-TW` →
 * `zh`, anything else → English), the catalogues (one per language under static/i18n/, each a
 * JSON object exported as a module so the Content-Security-Policy needs no connect-src for them),
 * `Translator` (a key → text with {placeholders}; a plural entry is an object keyed by
 * Intl.PluralRules categories; a missing key falls back to English, then to the key itself),
 * and the page-wide current language: `setLanguage(lang)` loads its catalogue, sets
 * `<html lang dir>`, fills every `[data-i18n]` node and tells listeners (`onLanguageChange`).
 * The pure parts (Translator, uiLanguageFor, format) are unit-tested with `node --test`.
 */

import englishCatalogue from '../i18n/en.js';

export const UI_LANGUAGES = Object.freeze(['en', 'es', 'fr', 'de', 'it', 'pt', 'ja', 'zh', 'ar', 'hi']);
export const RTL_UI_LANGUAGES = Object.freeze(['ar']);
const FALLBACK = 'en';

/** The UI language that serves the reading language `code` (English when none does). */
export function uiLanguageFor(code) {
  const base = String(code || '').split('-')[0].toLowerCase();
  return UI_LANGUAGES.includes(base) ? base : FALLBACK;
}

/** The text direction of a UI language. */
export function directionOf(uiLang) {
  return RTL_UI_LANGUAGES.includes(uiLang) ? 'rtl' : 'ltr';
}

/** Replace each {name} in `template` with vars[name] (numbers in the locale's digits). */
export function format(template, vars = {}, locale = FALLBACK) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    return typeof value === 'number' ? new Intl.NumberFormat(locale).format(value) : String(value);
  });
}

export class Translator {
  /**
   * @param {string} lang  the UI language (a BCP 47 code)
   * @param {object} catalogue  key → text (or {one, other, ...} for plurals)
   * @param {object} fallback  the English catalogue
   */
  constructor(lang, catalogue, fallback = catalogue) {
    this.lang = lang;
    this.dir = directionOf(lang);
    this.catalogue = catalogue || {};
    this.fallback = fallback || {};
    this.plurals = new Intl.PluralRules(lang);
    this.t = this.t.bind(this);
  }

  /** The text of `key` with `vars` filled in; `vars.count` picks a plural form. */
  t(key, vars = {}) {
    const own = this.catalogue[key];
    const entry = own !== undefined ? own : this.fallback[key];
    if (entry === undefined) return key;
    let template = entry;
    if (typeof entry === 'object' && entry !== null) {
      const category = Number.isFinite(vars.count) ? this.plurals.select(vars.count) : 'other';
      template = entry[category] ?? entry.other ?? '';
      if (own === undefined || template === '') template = (this.fallback[key] || {}).other ?? template;
    }
    return format(template, vars, this.lang);
  }
}

// ---------------------------------------------------------------- the page's current language

// English is bundled with this module: the page speaks it from the first instant, and it is
// every other catalogue's fallback. Other catalogues load on demand.
const english = englishCatalogue;
const loaded = new Map([[FALLBACK, Promise.resolve(english)]]);
let current = new Translator(FALLBACK, english, english);
let requested = 0;
const listeners = [];

async function catalogueOf(lang) {
  if (!loaded.has(lang)) {
    loaded.set(lang, import(`../i18n/${lang}.js`).then((module) => module.default));
  }
  return loaded.get(lang);
}

/** Translate with the current language (English until another is set). */
export function t(key, vars) {
  return current.t(key, vars);
}

/** The current UI language ('en' until set). */
export function currentLanguage() {
  return current.lang;
}

/** Call `listener(translator)` after every language change. */
export function onLanguageChange(listener) {
  listeners.push(listener);
}

/**
 * Fill every `[data-i18n]` node under `root` with its text, and every `[data-i18n-attr]`
 * ("placeholder:key; aria-label:key") with its attributes.
 */
export function translateTree(root, translate = t) {
  for (const node of root.querySelectorAll('[data-i18n]')) {
    node.textContent = translate(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((part) => part.trim());
      if (attr && key) node.setAttribute(attr, translate(key));
    }
  }
}

/** Switch the page to the UI language serving `code`; resolves once the page shows it. */
export async function setLanguage(code) {
  const lang = uiLanguageFor(code);
  const request = ++requested; // quick successive switches: the last one wins
  if (current.lang === lang && lang === document.documentElement.lang) return current;
  let catalogue = english;
  try {
    catalogue = await catalogueOf(lang);
  } catch (err) {
    console.warn(`no catalogue for ${lang}: showing English`, err);
  }
  if (request !== requested) return current;
  current = new Translator(catalogue === english ? FALLBACK : lang, catalogue, english);
  document.documentElement.lang = current.lang;
  document.documentElement.dir = current.dir;
  translateTree(document);
  for (const listener of listeners) listener(current);
  return current;
}
