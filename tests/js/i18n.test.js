// Unit tests of frontend/static/js/i18n.js, and of every catalogue against the English one:
// the same keys (none missing, none extra), the same {placeholders}, plural entries with "other".
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

import { Translator, UI_LANGUAGES, directionOf, format, uiLanguageFor } from '../../frontend/static/js/i18n.js';

const I18N_DIR = new URL('../../frontend/static/i18n/', import.meta.url);
const load = async (lang) => (await import(new URL(`${lang}.js`, I18N_DIR))).default;

function placeholders(entry) {
  const texts = typeof entry === 'string' ? [entry] : Object.values(entry);
  const names = new Set();
  for (const text of texts) for (const [, name] of text.matchAll(/\{(\w+)\}/g)) names.add(name);
  return [...names].sort();
}

test('there is exactly one catalogue per UI language', () => {
  const files = readdirSync(I18N_DIR).filter((name) => name.endsWith('.js')).map((name) => name.slice(0, -3));
  assert.deepEqual(files.sort(), [...UI_LANGUAGES].sort());
});

for (const lang of UI_LANGUAGES.filter((code) => code !== 'en')) {
  test(`the ${lang} catalogue has every key of English, no other, and the same placeholders`, async () => {
    const en = await load('en');
    const other = await load(lang);
    const missing = Object.keys(en).filter((key) => !(key in other));
    const extra = Object.keys(other).filter((key) => !(key in en));
    assert.deepEqual(missing, [], `${lang} misses keys`);
    assert.deepEqual(extra, [], `${lang} has keys English does not`);
    for (const key of Object.keys(en)) {
      assert.equal(typeof other[key], typeof en[key], `${lang} ${key}: a plural must stay a plural`);
      if (typeof other[key] === 'object') {
        assert.equal(typeof other[key].other, 'string', `${lang} ${key} needs an "other" form`);
        // Every form must carry the placeholders the English forms do (bar a form for one).
        for (const [form, text] of Object.entries(other[key])) {
          const want = placeholders(en[key].other).filter((name) => !(form !== 'other' && name === 'count'));
          assert.deepEqual(placeholders(text).filter((n) => want.includes(n)), want, `${lang} ${key}.${form}`);
        }
      } else {
        assert.deepEqual(placeholders(other[key]), placeholders(en[key]), `${lang} ${key} placeholders`);
        assert.notEqual(other[key].trim(), '', `${lang} ${key} is empty`);
      }
    }
  });
}

test('the English catalogue uses no key twice and only strings or plural objects', async () => {
  const en = await load('en');
  for (const [key, value] of Object.entries(en)) {
    assert.ok(typeof value === 'string' || (value && typeof value.other === 'string'), key);
  }
});

test('a translator fills placeholders, picks plurals and falls back to English', async () => {
  const en = await load('en');
  const es = await load('es');
  const spanish = new Translator('es', { ...es, 'room.joined': undefined }, en);
  assert.equal(spanish.t('composer.send'), 'Enviar');
  assert.equal(spanish.t('room.newMessages', { count: 1 }), '1 mensaje nuevo ↓');
  assert.equal(spanish.t('room.newMessages', { count: 3 }), '3 mensajes nuevos ↓');
  assert.equal(spanish.t('room.joined', { user: 'Ana' }), 'Ana joined'); // missing: English
  assert.equal(spanish.t('no.such.key'), 'no.such.key');
  const partial = new Translator('fr', { 'composer.send': 'Envoyer' }, en);
  assert.equal(partial.t('room.you'), '(you)');
});

test('Arabic plurals use their own categories (two, few); Arabic is right-to-left', async () => {
  const en = await load('en');
  const ar = new Translator('ar', await load('ar'), en);
  assert.equal(ar.dir, 'rtl');
  assert.equal(ar.t('time.inMinutes', { count: 2 }), 'خلال دقيقتين');
  // The locale data decides between Latin and Arabic-Indic digits.
  assert.match(ar.t('time.inMinutes', { count: 5 }), /^خلال (5|٥) دقائق$/);
  assert.match(ar.t('time.inMinutes', { count: 11 }), /^خلال (11|١١) دقيقة$/);
  assert.equal(directionOf('es'), 'ltr');
});

test('reading languages map to UI languages, English otherwise', () => {
  assert.equal(uiLanguageFor('pt-PT'), 'pt');
  assert.equal(uiLanguageFor('zh-TW'), 'zh');
  assert.equal(uiLanguageFor('ko'), 'en');
  assert.equal(uiLanguageFor(''), 'en');
  assert.equal(format('{a} and {b}', { a: 1000 }, 'en'), '1,000 and {b}');
});
