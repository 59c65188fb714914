// Unit tests of frontend/static/js/members.js: the "Here now" list from a presence frame, and the
// count and "and N more" row of a large room (docs/protocol.md, "presence").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Translator } from '../../frontend/static/js/i18n.js';
import { roster } from '../../frontend/static/js/members.js';

const I18N_DIR = new URL('../../frontend/static/i18n/', import.meta.url);
const load = async (lang) => (await import(new URL(`${lang}.js`, I18N_DIR))).default;

const member = (user, lang = 'en') => ({ user, lang });

test('a small room lists everyone, you first, then by name; nothing more', () => {
  const frame = { members: [member('Bo'), member('Ana'), member('Cy')], count: 3 };
  const { listed, total, more } = roster(frame, 'Cy');
  assert.deepEqual(listed.map((m) => m.user), ['Cy', 'Ana', 'Bo']);
  assert.equal(total, 3);
  assert.equal(more, 0);
});

test('a capped list shows the total from count and how many it leaves off', () => {
  const members = Array.from({ length: 100 }, (_, i) => member(`u${String(i).padStart(4, '0')}`));
  const { listed, total, more } = roster({ members, count: 2000 }, 'u0042');
  assert.equal(listed.length, 100);
  assert.equal(listed[0].user, 'u0042');
  assert.equal(total, 2000);
  assert.equal(more, 1900);
});

test('without a count (an older server) the list is the whole room', () => {
  const { total, more } = roster({ members: [member('Ana'), member('Bo')] }, 'Ana');
  assert.deepEqual([total, more], [2, 0]);
});

test('a name listed twice is one row; a count no larger than the list adds nothing', () => {
  const frame = { members: [member('Ana'), member('Ana', 'fr'), member('Bo')], count: 3 };
  const { listed, total, more } = roster(frame, 'Bo');
  assert.deepEqual(listed.map((m) => m.user), ['Bo', 'Ana']);
  assert.deepEqual([total, more], [2, 0]);
});

test('junk is ignored: bad members, a count that is no whole number', () => {
  for (const count of ['2000', 2000.5, -1, null, Infinity, true]) {
    const { listed, total, more } = roster({ members: [member('Ana'), null, { user: 7 }, 'x'], count }, '');
    assert.deepEqual(listed.map((m) => m.user), ['Ana'], String(count));
    assert.deepEqual([total, more], [1, 0], String(count));
  }
  assert.deepEqual(roster(null, 'Ana'), { listed: [], total: 0, more: 0 });
  assert.deepEqual(roster({ members: 'Ana', count: 5 }, 'Ana'), { listed: [], total: 5, more: 5 });
});

test('the count and the "more" row read naturally, in the page\'s digits and plurals', async () => {
  const en = await load('en');
  const english = new Translator('en', en, en);
  assert.equal(english.t('room.memberCount', { count: 2000 }), '(2,000)');
  assert.equal(english.t('room.moreMembers', { count: 1900 }), 'and 1,900 more');
  assert.equal(english.t('room.moreMembers', { count: 1 }), 'and 1 more');
  const german = new Translator('de', await load('de'), en);
  assert.equal(german.t('room.memberCount', { count: 2000 }), '(2.000)');
  assert.equal(german.t('room.moreMembers', { count: 1900 }), 'und 1.900 weitere Personen');
  assert.equal(german.t('room.moreMembers', { count: 1 }), 'und 1 weitere Person');
  const arabic = new Translator('ar', await load('ar'), en);
  assert.equal(arabic.t('room.moreMembers', { count: 2 }), 'وشخصان آخران');
  const hindi = new Translator('hi', await load('hi'), en);
  assert.equal(hindi.t('room.memberCount', { count: 200000 }), '(2,00,000)');
});
