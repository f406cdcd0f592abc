import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../core/ecs/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { retentionJob, scopesOf } from './retention-job.ts';
import { FakeClusterState, SCOPE, snapshot, task } from './testing/harness.ts';
import type { Action } from './types.ts';

const put = async (store: Store, key: string, value: unknown) => {
  const r = await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] });
  assert.ok(r.ok);
  return r.revision;
};

const apply = async (store: Store, actions: readonly Action[]) => {
  for (const a of actions) {
    assert.equal(a.type, 'txn');
    if (a.type === 'txn') await store.txn(a.txn);
  }
};

test('scopesOf finds every account and region with one read each', async () => {
  const store = await openSqliteStore(':memory:');
  const other = { account: '111111111111', region: 'eu-west-1' };
  for (const s of [SCOPE, other, { ...SCOPE, region: 'us-west-2' }]) {
    for (let i = 0; i < 5; i++) await put(store, keys.cluster(s, `c${i}`), {});
  }
  assert.deepEqual(await scopesOf(store), [SCOPE, { ...SCOPE, region: 'us-west-2' }, other]);
  await store.close();
});

test('the retention job removes tasks stopped over an hour ago and unused revisions being deleted, from the cluster state and not the task records', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const now = 1_700_000_000_000;
  const old = { ...task(1, { lastStatus: 'STOPPED' }), stoppedAt: now / 1000 - 3601 };
  const recent = { ...task(2, { lastStatus: 'STOPPED' }), stoppedAt: now / 1000 - 60 };
  const oldRev = await put(store, old.key, { any: 'thing' });
  await put(store, recent.key, { any: 'thing' });
  state.set(snapshot({ tasks: [{ ...old, modRevision: oldRev }, recent] }));
  const unused = keys.taskDefinition(SCOPE, 'gone', 1);
  const used = keys.taskDefinition(SCOPE, 'web', 1);
  await put(store, unused, { status: 'DELETE_IN_PROGRESS', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/gone:1' });
  await put(store, used, { status: 'DELETE_IN_PROGRESS', taskDefinitionArn: recent.taskDefinitionArn });
  await put(store, keys.taskDefinition(SCOPE, 'live', 1), { status: 'ACTIVE', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/live:1' });

  const job = retentionJob({ store, state });
  const snap = await job.load();
  const { actions } = job.reconcile(snap, now);
  await apply(store, actions);
  assert.equal(await store.get(old.key), undefined);
  assert.notEqual(await store.get(recent.key), undefined);
  assert.equal(await store.get(unused), undefined);
  assert.notEqual(await store.get(used), undefined, 'a task still uses it');
  await store.close();
});

test('a record that changed since the load is left for the next sweep', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const now = 1_700_000_000_000;
  const old = { ...task(1, { lastStatus: 'STOPPED' }), stoppedAt: now / 1000 - 7200 };
  const rev = await put(store, old.key, { v: 1 });
  state.set(snapshot({ tasks: [{ ...old, modRevision: rev }] }));
  const job = retentionJob({ store, state });
  const snap = await job.load();
  await put(store, old.key, { v: 2 });
  await apply(store, job.reconcile(snap, now).actions);
  assert.deepEqual(JSON.parse((await store.get(old.key))!.value), { v: 2 });
  await store.close();
});

test('the retention job removes RunTask clientTokens past their 24 hours, in every scope', async () => {
  const store = await openSqliteStore(':memory:');
  const now = 1_700_000_000_000;
  const other = { account: '111111111111', region: 'eu-west-1' };
  const old = keys.clientToken(SCOPE, 'c1', 'old');
  const fresh = keys.clientToken(SCOPE, 'c1', 'fresh');
  const elsewhere = keys.clientToken(other, 'c9', 'old');
  await put(store, old, { fingerprint: 'f', taskArns: [], failures: [], createdAt: now / 1000 - 86_401 });
  await put(store, fresh, { fingerprint: 'f', taskArns: [], failures: [], createdAt: now / 1000 - 86_399 });
  await put(store, elsewhere, { fingerprint: 'f', taskArns: [], failures: [], createdAt: now / 1000 - 90_000 });
  const job = retentionJob({ store, state: new FakeClusterState() });
  await apply(store, job.reconcile(await job.load(), now).actions);
  assert.equal(await store.get(old), undefined);
  assert.equal(await store.get(elsewhere), undefined);
  assert.notEqual(await store.get(fresh), undefined);
  await store.close();
});

test('the retention job reads the stopped tasks and those of families being deleted from the indexes, never every task', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const now = 1_700_000_000_000;
  const old = { ...task(1, { lastStatus: 'STOPPED' }), stoppedAt: now / 1000 - 3601 };
  const running = Array.from({ length: 5 }, (_, i) => task(10 + i));
  const other = { ...task(20), family: 'api', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:1' };
  const oldRev = await put(store, old.key, { any: 'thing' });
  const whole = snapshot({ tasks: [{ ...old, modRevision: oldRev }, ...running, other] });
  // A view whose whole task list cannot be read: the load must go through tasksWhere.
  state.set(new Proxy(whole, { get: (t, p, r) => (p === 'tasks' ? assert.fail('the load read every task') : Reflect.get(t, p, r) as unknown) }));
  const deleting = keys.taskDefinition(SCOPE, 'web', 1);
  await put(store, deleting, { status: 'DELETE_IN_PROGRESS', taskDefinitionArn: running[0]!.taskDefinitionArn });

  const job = retentionJob({ store, state });
  const snap = await job.load();
  assert.deepEqual(snap.tasks.map((t) => t.key).sort(), [old.key, ...running.map((t) => t.key)].sort(), 'the stopped task and the running tasks of the family being deleted, not the other family\'s');
  await apply(store, job.reconcile(snap, now).actions);
  assert.equal(await store.get(old.key), undefined);
  assert.notEqual(await store.get(deleting), undefined, 'its family\'s running tasks still use it');
  await store.close();
});
