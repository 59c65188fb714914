// Unit tests of the name and room rules in frontend/static/js/prefs.js (the server's, in advance).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NAME_LIMITS, adoptLimits, checkName, checkRoom } from '../../frontend/static/js/prefs.js';

test('names: letters of any script, digits, spaces and _ - . \' up to the limit', () => {
  assert.equal(checkName('Ana'), '');
  assert.equal(checkName('سامي'), '');
  assert.equal(checkName("O'Brien-Smith Jr."), '');
  assert.match(checkName('   '), /enter a name/);
  assert.match(checkName('x'.repeat(33)), /at most 32/);
  assert.match(checkName('<b>'), /letters, digits/);
});

test('rooms start with a letter or digit and follow the server limits once it sends them', () => {
  assert.equal(checkRoom('lobby-2.b_c'), '');
  assert.match(checkRoom('-lobby'), /Start with a letter/);
  assert.match(checkRoom('a'.repeat(65)), /at most 64/);
  const before = { ...NAME_LIMITS };
  try {
    adoptLimits({ roomChars: 8, nameChars: 'junk' });
    assert.match(checkRoom('a'.repeat(9)), /at most 8/);
    assert.equal(NAME_LIMITS.nameChars, before.nameChars);
  } finally {
    adoptLimits(before);
  }
});

test('checks speak the caller\'s language through its translate function', () => {
  const t = (key, vars) => `${key}:${JSON.stringify(vars ?? {})}`;
  assert.equal(checkName('', t), 'check.nameEmpty:{}');
  assert.equal(checkRoom('a'.repeat(65), t), 'check.roomTooLong:{"max":64}');
});
