/**
 * console/language.js — the console's UI language: the browser's, or the one picked (remembered).
 *
 * The console has no reading language of its own, so it speaks the browser's preferred language
 * (when a catalogue serves it) until the moderator picks another in a `select.ui-lang` (one on
 * the sign-in form, one in the console's top bar; they stay in step).
 */

import { el } from '../dom.js';
import { UI_LANGUAGES, uiLanguageFor } from '../i18n.js';

const LANG_KEY = 'positive-chat.ui-lang';

/** The first of the browser's languages a catalogue serves, else English. */
export function browserUiLanguage() {
  for (const wanted of navigator.languages || [navigator.language]) {
    const lang = uiLanguageFor(wanted);
    if (lang !== 'en' || String(wanted).toLowerCase().startsWith('en')) return lang;
  }
  return 'en';
}

export class LanguagePicker {
  #selects;

  /** `languages`: the settings' languages (for native names); `onPick(lang)` switches the UI. */
  constructor(languages, onPick) {
    const native = new Map(languages.map((language) => [language.code, language.native]));
    this.#selects = [...document.querySelectorAll('select.ui-lang')];
    for (const select of this.#selects) {
      select.replaceChildren(...UI_LANGUAGES.map((code) => el('option', {
        text: native.get(code) || code, attrs: { value: code, lang: code },
      })));
      select.addEventListener('change', () => {
        const lang = select.value;
        try { localStorage.setItem(LANG_KEY, lang); } catch { /* a convenience only */ }
        this.show(lang);
        onPick(lang);
      });
    }
  }

  /** The remembered choice, else `fallback`. */
  initial(fallback) {
    let saved = '';
    try { saved = localStorage.getItem(LANG_KEY) || ''; } catch { /* storage disabled */ }
    return UI_LANGUAGES.includes(saved) ? saved : fallback;
  }

  /** Show `lang` as chosen in every picker. */
  show(lang) {
    for (const select of this.#selects) select.value = lang;
  }
}
