import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ID_POOL_BYTES, TIME_DIGITS, placerIds, pooledTaskIds } from './placer-ids.ts';

test('placer ids: task ids are 32 hex digits, distinct across pool refills', () => {
  const next = pooledTaskIds(() => 1_796_000_000_000);
  const n = Math.ceil(ID_POOL_BYTES / 10) * 5 + 3;
  const ids = Array.from({ length: n }, next);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  // Every one made in the same millisecond, still all different: the randomness tells them apart.
  assert.equal(new Set(ids).size, n);
  // Two generators draw from their own pools.
  const other = pooledTaskIds(() => 1_796_000_000_000);
  assert.notEqual(other(), ids[0]);
  assert.match(placerIds().uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('placer ids: a later millisecond sorts after an earlier one (task keys land together in the store)', () => {
  let ms = 1_796_000_000_000;
  const next = pooledTaskIds(() => ms);
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) { ids.push(next()); ms += 1; }
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(ids[0]!.slice(0, TIME_DIGITS), (1_796_000_000_000).toString(16).padStart(TIME_DIGITS, '0'));
});
