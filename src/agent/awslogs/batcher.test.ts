import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BATCH_SPAN_MS, MAX_MESSAGE_BYTES, splitEvent } from './batcher.ts';

const drain = (b: Batcher) => {
  const out = [];
  for (let batch = b.take(); batch; batch = b.take()) out.push(batch);
  return out;
};

test('batches end at 10,000 events', () => {
  const b = new Batcher();
  for (let i = 1; i <= 25_000; i++) b.add({ timestamp: i, message: `line ${i}`, end: i * 10 });
  const batches = drain(b);
  assert.deepEqual(batches.map((x) => x.length), [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5_000]);
  assert.deepEqual(batches.flat().map((e) => e.message), Array.from({ length: 25_000 }, (_, i) => `line ${i + 1}`));
  assert.equal(b.held, 0);
});

test('batches end before 1 MiB counting 26 bytes an event, and before a 24-hour span', () => {
  const b = new Batcher();
  const msg = 'x'.repeat(100_000);
  for (let i = 0; i < 25; i++) b.add({ timestamp: 1, message: msg, end: i });
  const sizes = drain(b).map((batch) => batch.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0));
  assert.ok(sizes.every((s) => s <= MAX_BATCH_BYTES), String(sizes));
  assert.deepEqual(sizes.map((s) => s / 100_026), [10, 10, 5]);
  const c = new Batcher();
  c.add({ timestamp: 0, message: 'a', end: 1 });
  c.add({ timestamp: MAX_BATCH_SPAN_MS, message: 'b', end: 2 });
  c.add({ timestamp: MAX_BATCH_SPAN_MS + 1, message: 'c', end: 3 });
  assert.deepEqual(drain(c).map((x) => x.map((e) => e.message).join('')), ['ab', 'c']);
});

test('timestamps never go backwards; empty messages are left out (PutLogEvents refuses them)', () => {
  const b = new Batcher();
  b.add({ timestamp: 50, message: 'a', end: 1 });
  b.add({ timestamp: 40, message: 'b', end: 2 });
  b.add({ timestamp: 60, message: '', end: 3 });
  b.add({ timestamp: 70, message: 'c', end: 4 });
  assert.deepEqual(b.take()!.map((e) => [e.timestamp, e.message]), [[50, 'a'], [50, 'b'], [70, 'c']]);
});

test('an event over 256 KiB less 26 bytes is split at character boundaries, each piece with its own increasing offset', () => {
  const message = 'é'.repeat(MAX_MESSAGE_BYTES); // two bytes each: 2 × the limit
  const pieces = splitEvent({ timestamp: 7, message, end: 1_000_000 });
  assert.equal(pieces.length, 2);
  assert.ok(pieces.every((p) => Buffer.byteLength(p.message) <= MAX_MESSAGE_BYTES));
  assert.equal(pieces.map((p) => p.message).join(''), message);
  assert.deepEqual(pieces.map((p) => p.end), [999_999, 1_000_000]);
  assert.deepEqual(splitEvent({ timestamp: 1, message: 'short', end: 5 }), [{ timestamp: 1, message: 'short', end: 5 }]);
});
