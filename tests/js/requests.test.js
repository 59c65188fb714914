// Unit tests of frontend/static/js/requests.js: replies matched to requests by id.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PendingRequests, RequestError } from '../../frontend/static/js/requests.js';

test('a reply resolves the request with its id, and only that one', async () => {
  const pending = new PendingRequests();
  const first = pending.add('q-1');
  const second = pending.add('q-2');
  assert.equal(pending.settle({ type: 'review.queue', id: 'q-2', items: [] }), true);
  assert.deepEqual(await second, { type: 'review.queue', id: 'q-2', items: [] });
  assert.equal(pending.has('q-1'), true);
  assert.equal(pending.settle({ type: 'pong', id: 'q-1' }), true);
  assert.equal((await first).type, 'pong');
  assert.equal(pending.size, 0);
});

test('frames with no id or an unknown id are not consumed', () => {
  const pending = new PendingRequests();
  pending.add('a-1');
  assert.equal(pending.settle({ type: 'review.flagged' }), false);
  assert.equal(pending.settle({ type: 'error', id: 'other' }), false);
  assert.equal(pending.settle(null), false);
  assert.equal(pending.size, 1);
});

test('a multi-frame reply goes to onPartial until the final frame resolves', async () => {
  const pending = new PendingRequests();
  const parts = [];
  const reply = pending.add('h-1', { onPartial: (frame) => parts.push(frame.n) });
  pending.settle({ id: 'h-1', final: false, n: 1 });
  pending.settle({ id: 'h-1', final: false, n: 2 });
  pending.settle({ id: 'h-1', final: true, n: 3 });
  assert.deepEqual(parts, [1, 2]);
  assert.equal((await reply).n, 3);
});

test('failAll rejects every waiting request with a RequestError', async () => {
  const pending = new PendingRequests();
  const one = pending.add('x-1');
  const two = pending.add('x-2');
  pending.failAll();
  for (const promise of [one, two]) {
    await assert.rejects(promise, (err) => err instanceof RequestError && err.reason === 'closed');
  }
  assert.equal(pending.size, 0);
  assert.equal(pending.settle({ id: 'x-1' }), false);
});

test('fail rejects one request; ids must be unique non-empty strings', async () => {
  const pending = new PendingRequests();
  const one = pending.add('d-1');
  assert.equal(pending.fail('d-1', new RequestError('not connected', 'not-sent')), true);
  await assert.rejects(one, (err) => err.reason === 'not-sent');
  assert.equal(pending.fail('d-1', new Error('again')), false);
  assert.throws(() => pending.add(''), TypeError);
  pending.add('d-2');
  assert.throws(() => pending.add('d-2'), /already waiting/);
});
