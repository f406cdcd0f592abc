import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGENT_BATCH_LIMITS, Batcher, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BATCH_SPAN_MS, MAX_MESSAGE_BYTES } from './batcher.ts';
import type { Line } from './multiline.ts';

const drain = (b: Batcher): Line[][] => {
  const out = [];
  for (let batch = b.take(); batch; batch = b.take()) out.push(batch.lines());
  return out;
};

test('batches end at 10,000 events (PutLogEvents\' limits)', () => {
  const b = new Batcher();
  for (let i = 1; i <= 25_000; i++) b.addLine({ timestamp: i, message: `line ${i}`, end: i * 10 });
  assert.equal(b.size, 25_000);
  const batches = drain(b);
  assert.deepEqual(batches.map((x) => x.length), [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5_000]);
  assert.deepEqual(batches.flat().map((e) => e.message), Array.from({ length: 25_000 }, (_, i) => `line ${i + 1}`));
  assert.deepEqual(batches.flat().map((e) => e.end), Array.from({ length: 25_000 }, (_, i) => (i + 1) * 10));
  assert.equal(b.held, 0);
  assert.equal(b.size, 0);
});

test('batches end before 1 MiB counting 26 bytes an event, and before a 24-hour span', () => {
  const b = new Batcher();
  const msg = 'x'.repeat(100_000);
  for (let i = 0; i < 25; i++) b.addLine({ timestamp: 1, message: msg, end: i });
  const sizes = drain(b).map((batch) => batch.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0));
  assert.ok(sizes.every((s) => s <= MAX_BATCH_BYTES), String(sizes));
  assert.deepEqual(sizes.map((s) => s / 100_026), [10, 10, 5]);
  const c = new Batcher();
  c.addLine({ timestamp: 0, message: 'a', end: 1 });
  c.addLine({ timestamp: MAX_BATCH_SPAN_MS, message: 'b', end: 2 });
  c.addLine({ timestamp: MAX_BATCH_SPAN_MS + 1, message: 'c', end: 3 });
  assert.deepEqual(drain(c).map((x) => x.map((e) => e.message).join('')), ['ab', 'c']);
});

test('the agent\'s batches are bounded by bytes, not by PutLogEvents\' 10,000 events', () => {
  const b = new Batcher(AGENT_BATCH_LIMITS);
  const src = Buffer.from('line 1234567');
  for (let i = 1; i <= 200_000; i++) b.add(i, src, 0, src.length, i * 40);
  const first = b.take()!;
  assert.equal(first.count, Math.floor(AGENT_BATCH_LIMITS.bytes / (src.length + 26)));
  assert.ok(first.size + 8 * first.count < 4 * 1024 * 1024, 'its frame fits the session');
  assert.equal(b.held, (200_000 - first.count) * src.length);
});

test('timestamps never go backwards; empty messages are left out (PutLogEvents refuses them)', () => {
  const b = new Batcher();
  b.addLine({ timestamp: 50, message: 'a', end: 1 });
  b.addLine({ timestamp: 40, message: 'b', end: 2 });
  b.addLine({ timestamp: 60, message: '', end: 3 });
  b.addLine({ timestamp: 70, message: 'c', end: 4 });
  assert.deepEqual(b.take()!.lines().map((e) => [e.timestamp, e.message]), [[50, 'a'], [50, 'b'], [70, 'c']]);
});

test('an event over 256 KiB less 26 bytes is split at character boundaries, each piece with its own increasing offset', () => {
  const message = 'é'.repeat(MAX_MESSAGE_BYTES); // two bytes each: 2 × the limit
  const b = new Batcher(AGENT_BATCH_LIMITS);
  b.addLine({ timestamp: 7, message, end: 1_000_000 });
  b.addLine({ timestamp: 8, message: 'short', end: 1_000_005 });
  const pieces = drain(b).flat();
  assert.equal(pieces.length, 3);
  assert.ok(pieces.every((p) => Buffer.byteLength(p.message) <= MAX_MESSAGE_BYTES));
  assert.equal(pieces.slice(0, 2).map((p) => p.message).join(''), message);
  assert.deepEqual(pieces.map((p) => p.end), [999_999, 1_000_000, 1_000_005]);
  assert.deepEqual(pieces[2], { timestamp: 8, message: 'short', end: 1_000_005 });
});
