import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { IDENTITY_KEY } from '../identity/identity-key.ts';
import { resetOps } from './reset-ops.ts';

test('a reset deletes every key but the identity key, which keeps its revision', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const keys = ['/a', '/ecs/000000000000/us-east-1/tasks/c/1', '/ecs/x', '/berth/identityless', '/berth/events/1', '/berth/leases/controllers', '/logs/g/s', '/zz/y/z'];
    await store.txn({ ops: [...keys, IDENTITY_KEY].map((key) => ({ type: 'put' as const, key, value: 'v' })) });
    const kept = await store.get(IDENTITY_KEY);
    const ops = await resetOps(store);
    assert.ok(!ops.some((o) => o.type === 'deletePrefix' && o.prefix === ''), 'never the whole store');
    assert.equal((await store.txn({ ops })).ok, true);
    assert.deepEqual((await store.list('')).items.map((i) => i.key), [IDENTITY_KEY]);
    assert.equal((await store.get(IDENTITY_KEY))?.modRevision, kept?.modRevision);
    // Nothing left to delete: a second reset is a no-op.
    assert.deepEqual(await resetOps(store), []);
  } finally {
    await store.close();
  }
});

test('an empty store needs no operations; a kept prefix with nothing else beside it is left alone', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    assert.deepEqual(await resetOps(store), []);
    await store.txn({ ops: [{ type: 'put', key: '/keep/me/1', value: 'v' }, { type: 'put', key: '/keep/not', value: 'v' }] });
    assert.deepEqual(await resetOps(store, ['/keep/me/']), [{ type: 'delete', key: '/keep/not' }]);
  } finally {
    await store.close();
  }
});
