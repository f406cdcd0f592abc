import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../core/errors.ts';
import { checkBatch, MAX_FUTURE_MS, MAX_PAST_MS } from './put-check.ts';

const NOW = 1_800_000_000_000;
const ev = (timestamp: number, message = 'm') => ({ timestamp, message });
const refused = (fn: () => unknown, message: string | RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException' && (typeof message === 'string' ? e.message === message : message.test(e.message)));

test('a batch inside every limit is stored whole', () => {
  assert.deepEqual(checkBatch([ev(NOW - 1000), ev(NOW), ev(NOW)], NOW, 0), { accepted: [ev(NOW - 1000), ev(NOW), ev(NOW)], rejected: undefined });
});

test('limits that refuse the whole batch, with AWS words', () => {
  refused(() => checkBatch([ev(NOW), ev(NOW - 1)], NOW, 0), 'Log events in a single PutLogEvents request must be in chronological order.');
  refused(() => checkBatch([ev(NOW - 25 * 3600_000), ev(NOW)], NOW, 0), 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  refused(() => checkBatch([ev(NOW, 'x'.repeat(262_144 - 26 + 1))], NOW, 0), 'Log event too large: 262145 bytes exceeds limit of 262144');
  assert.equal(checkBatch([ev(NOW, 'x'.repeat(262_144 - 26))], NOW, 0).accepted.length, 1, 'exactly 256 KiB with its 26 bytes');
  const five = Array.from({ length: 5 }, () => ev(NOW, 'y'.repeat(210_000)));
  refused(() => checkBatch(five, NOW, 0), `Upload too large: ${5 * 210_026} bytes exceeds limit of 1048576`);
  refused(() => checkBatch(Array.from({ length: 10_001 }, () => ev(NOW)), NOW, 0), /at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000/);
  refused(() => checkBatch([ev(NOW, '')], NOW, 0), /at 'logEvents.1.member.message'/);
  refused(() => checkBatch([], NOW, 0), /at 'logEvents'/);
});

test('too old, expired and too new events are left out and reported by index', () => {
  const events = [ev(NOW - MAX_PAST_MS - 1), ev(NOW - 3 * 86_400_000), ev(NOW - 10), ev(NOW + 10), ev(NOW + MAX_FUTURE_MS + 1), ev(NOW + MAX_FUTURE_MS + 2)];
  // Spans more than 24 hours: split the question in two batches, as a client must.
  refused(() => checkBatch(events, NOW, 0), /24 hours/);
  const old = checkBatch([ev(NOW - MAX_PAST_MS - 1), ev(NOW - MAX_PAST_MS + 10), ev(NOW - MAX_PAST_MS + 20)], NOW, 0);
  assert.deepEqual(old, { accepted: [ev(NOW - MAX_PAST_MS + 10), ev(NOW - MAX_PAST_MS + 20)], rejected: { tooOldLogEventEndIndex: 0 } });
  const retention = checkBatch([ev(NOW - 7_200_000), ev(NOW - 5_000_000), ev(NOW - 1000)], NOW, NOW - 3_600_000);
  assert.deepEqual(retention, { accepted: [ev(NOW - 1000)], rejected: { expiredLogEventEndIndex: 1 } });
  const fresh = checkBatch([ev(NOW - 10), ev(NOW + 10), ev(NOW + MAX_FUTURE_MS + 1), ev(NOW + MAX_FUTURE_MS + 2)], NOW, 0);
  assert.deepEqual(fresh, { accepted: [ev(NOW - 10), ev(NOW + 10)], rejected: { tooNewLogEventStartIndex: 2 } });
  const none = checkBatch([ev(NOW + MAX_FUTURE_MS + 1)], NOW, 0);
  assert.deepEqual(none, { accepted: [], rejected: { tooNewLogEventStartIndex: 0 } });
});
