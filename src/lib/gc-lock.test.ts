import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GcLock } from './gc-lock.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('an exclusive section waits for shared ones and holds new ones back', async () => {
  const lock = new GcLock();
  const order: string[] = [];
  const s1 = lock.shared(async () => { order.push('s1 start'); await tick(); order.push('s1 end'); });
  const x = lock.exclusive(async () => { order.push('x start'); await tick(); order.push('x end'); });
  await Promise.resolve();
  const s2 = lock.shared(async () => { order.push('s2'); });
  await Promise.all([s1, x, s2]);
  assert.deepEqual(order, ['s1 start', 's1 end', 'x start', 'x end', 's2']);
});
