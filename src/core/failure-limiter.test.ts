import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureLimiter } from './failure-limiter.ts';

test('a caller is blocked once it reaches the limit, and only for the rest of its window', () => {
  const l = new FailureLimiter({ maxFailures: 3, windowMs: 1000, maxCallers: 10 });
  assert.deepEqual([l.fail('a', 0), l.fail('a', 10)], [1, 2]);
  assert.ok(!l.blocked('a', 20));
  assert.equal(l.fail('a', 20), 3);
  assert.ok(l.blocked('a', 999));
  assert.ok(!l.blocked('b', 999), 'other callers are not affected');
  assert.ok(!l.blocked('a', 1000), 'a new window starts afresh');
  assert.equal(l.fail('a', 1000), 1);
});

test('the number of callers remembered is bounded: the oldest is forgotten first', () => {
  const l = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, maxCallers: 2 });
  l.fail('a', 0);
  l.fail('b', 1);
  l.fail('c', 2);
  assert.equal(l.size, 2);
  assert.ok(!l.blocked('a', 3));
  assert.ok(l.blocked('b', 3) && l.blocked('c', 3));
});
