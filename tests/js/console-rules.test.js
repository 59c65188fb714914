// Unit tests of frontend/static/js/console/rules.js: the console's pure rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  LIMITS, applyLimits, checkReason, checkSecret, countDecided, countFlagged, countsFrom, inDuration, insertionIndex,
  isMessageId, isQueueItem, parseMinutes,
} from '../../frontend/static/js/console/rules.js';
import { Translator } from '../../frontend/static/js/i18n.js';
import en from '../../frontend/static/i18n/en.js';
import es from '../../frontend/static/i18n/es.js';

const { t } = new Translator('en', en, en);

test('durations past 90 seconds read as minutes, rounded up', () => {
  assert.equal(inDuration(1, t), 'in a second');
  assert.equal(inDuration(12.2, t), 'in 13 seconds');
  assert.equal(inDuration(89, t), 'in 89 seconds');
  assert.equal(inDuration(298, t), 'in 5 minutes');
  assert.equal(inDuration(60 * 60, t), 'in 60 minutes');
  assert.equal(inDuration(0, t), 'in a second');
  assert.equal(inDuration(298, new Translator('es', es, en).t), 'en 5 minutos');
});

test('mute minutes are whole numbers from 0 to a week', () => {
  assert.equal(parseMinutes('0'), 0);
  assert.equal(parseMinutes(' 60 '), 60);
  assert.equal(parseMinutes(String(LIMITS.muteMaxMinutes)), LIMITS.muteMaxMinutes);
  for (const bad of [String(LIMITS.muteMaxMinutes + 1), '-1', '1.5', '', 'ten']) {
    assert.equal(parseMinutes(bad), null, bad);
  }
});

test('reasons and secrets are checked against the protocol limits', () => {
  assert.equal(checkReason('irony, not abuse', t), '');
  assert.match(checkReason('x'.repeat(LIMITS.reasonChars + 1), t), /at most 500/);
  assert.match(checkReason('bad\u0007bell', t), /control characters/);
  assert.equal(checkSecret('s3cret', t), '');
  assert.match(checkSecret('', t), /enter the moderator secret/);
  assert.match(checkSecret('x'.repeat(LIMITS.secretChars + 1), t), /at most 1,024/);
});

test('message ids are checked by shape', () => {
  assert.equal(isMessageId('01763900000000-7Q2K9XJ4WM'), true);
  assert.equal(isMessageId('01763900000000-7Q2K9XJ4WU'), false); // U is not Crockford base32
  assert.equal(isMessageId('nope'), false);
});

test('newest-first puts a later id before earlier ones; oldest-first after', () => {
  const newestFirst = ['03', '02', '01'];
  assert.equal(insertionIndex(newestFirst, '04', true), 0);
  assert.equal(insertionIndex(newestFirst, '025', true), 1);
  assert.equal(insertionIndex(newestFirst, '00', true), -1);
  const oldestFirst = ['01', '02', '03'];
  assert.equal(insertionIndex(oldestFirst, '04', false), -1);
  assert.equal(insertionIndex(oldestFirst, '015', false), 1);
});

test('counts follow flags and decisions and never go negative', () => {
  const counts = countsFrom({ pending: 1, rejected: 1, held: 0, rooms: { lobby: 1 } });
  countFlagged(counts, { room: 'lobby', status: 'held' });
  countFlagged(counts, { room: 'den', status: 'rejected' });
  assert.deepEqual(counts, { pending: 3, rejected: 2, held: 1, rooms: { lobby: 2, den: 1 } });
  countDecided(counts, 'den', 'rejected');
  countDecided(counts, 'lobby', 'held');
  countDecided(counts, 'lobby', null);
  countDecided(counts, 'lobby', 'rejected');
  assert.deepEqual(counts, { pending: 0, rejected: 0, held: 0, rooms: {} });
  assert.deepEqual(countsFrom('junk'), { pending: 0, rejected: 0, held: 0, rooms: {} });
});

test('queue items need a room, message id, user and content', () => {
  assert.equal(isQueueItem({ room: 'r', messageId: 'm', user: 'u', content: 'c' }), true);
  assert.equal(isQueueItem({ room: 'r', messageId: '', user: 'u', content: 'c' }), false);
  assert.equal(isQueueItem(null), false);
});

test('the server\'s limits replace the defaults; bad values are ignored', () => {
  const saved = { ...LIMITS };
  try {
    applyLimits({ reasonChars: 300, pageSize: 20, muteMaxMinutes: -5, secretChars: '9', extra: 1 });
    assert.equal(LIMITS.reasonChars, 300);
    assert.equal(LIMITS.pageSize, 20);
    assert.equal(LIMITS.muteMaxMinutes, saved.muteMaxMinutes);
    assert.equal(LIMITS.secretChars, saved.secretChars);
    assert.equal('extra' in LIMITS, false);
    const t = (key, vars) => `${key} at most ${vars.max}`;
    assert.match(checkReason('x'.repeat(301), t), /at most 300/);
    applyLimits(undefined);
    assert.equal(LIMITS.reasonChars, 300);
  } finally {
    Object.assign(LIMITS, saved);
  }
});
