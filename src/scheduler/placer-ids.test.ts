import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ID_POOL_BYTES, placerIds, pooledTaskIds } from './placer-ids.ts';

test('placer ids: task ids are 32 hex digits, distinct across pool refills', () => {
  const next = pooledTaskIds();
  const n = (ID_POOL_BYTES / 16) * 5 + 3;
  const ids = Array.from({ length: n }, next);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(new Set(ids).size, n);
  // Two generators draw from their own pools.
  const other = pooledTaskIds();
  assert.notEqual(other(), ids[0]);
  assert.match(placerIds().uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
