import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FARGATE_POOL_CLUSTER, fargatePoolScope, poolTaskGroup } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import { ecsArn } from '../core/ecs/scope.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createClusterState } from './cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE, taskRecord } from './testing.ts';
import { UNPLACED, type ClusterRef } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-pool-usage-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const POOL = fargatePoolScope(SCOPE.region);
const pool: ClusterRef = { scope: POOL, cluster: FARGATE_POOL_CLUSTER };
const OTHER = { account: '210987654321', region: SCOPE.region };
const hostArn = (id: string) => ecsArn(POOL, `container-instance/${FARGATE_POOL_CLUSTER}/${id}`);

/** A Fargate task of `cluster` (in `scope`) placed on pool host `host`. */
function fargateTaskOp(scope: typeof SCOPE, cluster: string, id: string, host: string | undefined, o: { lastStatus?: 'PENDING' | 'RUNNING' | 'STOPPED'; group?: string } = {}) {
  const t = taskRecord(cluster, id, { scope, awsvpc: true, cpu: 256, memory: 512, ...(o.lastStatus && { lastStatus: o.lastStatus }), ...(o.group && { group: o.group }) });
  const { containerInstanceArn: _none, ...rest } = t;
  return putOp(keys.task(scope, cluster, id), { ...rest, launchType: 'FARGATE', ...(host !== undefined && { containerInstanceArn: hostArn(host) }) });
}

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(join(dir, `s${n++}.db`));
  try { await fn(store); } finally { await store.close(); }
}

test('a Fargate task counts on its pool host, whichever cluster and account it belongs to, and leaves when it stops', async () => {
  await withStore(async (store) => {
    await store.txn({ ops: [clusterOp(FARGATE_POOL_CLUSTER, POOL), instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, cpu: 2048, memory: 4096 }), clusterOp('a'), clusterOp('b', OTHER)] });
    const state = createClusterState(store);
    try {
      await state.ready();
      const feed = state.followPlacement(pool);
      let heard: string[] = [];
      state.onChange((changed) => { heard.push(...changed.map((c) => `${c.scope.account}/${c.cluster}`)); });
      const r = await store.txn({ ops: [fargateTaskOp(SCOPE, 'a', 't1', 'h1', { group: 'service:web' }), fargateTaskOp(OTHER, 'b', 't2', 'h1', { lastStatus: 'RUNNING', group: 'service:web' })] });
      await state.caughtUp(r.revision);
      await Promise.resolve();

      const usage = state.instanceUsage(pool, hostArn('h1'));
      assert.deepEqual([usage.cpu, usage.memory, usage.eni, usage.running, usage.pending], [512, 1024, 2, 1, 1]);
      const [h1] = state.placementSnapshot(pool).instances;
      assert.deepEqual([h1!.cpu, h1!.memory, h1!.taskCount], [2048 - 512, 4096 - 1024, 2]);
      // Two clusters' "service:web" are two groups on the host.
      assert.equal(h1!.groups.get(poolTaskGroup(SCOPE, 'a', 'service:web')), 1);
      assert.equal(h1!.groups.get(poolTaskGroup(OTHER, 'b', 'service:web')), 1);
      assert.equal(h1!.groups.get('service:web'), undefined);
      assert.deepEqual([...feed.drain().arns], [hostArn('h1')], 'the pool\'s placement feed hears of its host');
      assert.ok(heard.includes(`${POOL.account}/${FARGATE_POOL_CLUSTER}`), 'listeners hear the pool changed');
      assert.deepEqual([...state.tasksOnInstance(hostArn('h1'))].map((t) => t.id).sort(), ['t1', 't2']);
      // Each task stays its own cluster's: counted there, not in the pool.
      assert.equal(state.counts({ scope: SCOPE, cluster: 'a' }).pendingTasksCount, 1);
      assert.equal(state.counts({ scope: OTHER, cluster: 'b' }).runningTasksCount, 1);
      assert.equal(state.counts(pool).runningTasksCount + state.counts(pool).pendingTasksCount, 0);
      assert.deepEqual([...state.tasks(pool)], []);
      // No usage stays behind on the task's own cluster's side.
      assert.equal(state.instanceUsage({ scope: SCOPE, cluster: 'a' }, hostArn('h1')).cpu, 0);

      heard = [];
      const r2 = await store.txn({ ops: [fargateTaskOp(SCOPE, 'a', 't1', 'h1', { lastStatus: 'STOPPED', group: 'service:web' })] });
      await state.caughtUp(r2.revision);
      const after = state.instanceUsage(pool, hostArn('h1'));
      assert.deepEqual([after.cpu, after.memory, after.running, after.pending], [256, 512, 1, 0], 'the stopped task released its share');
      assert.deepEqual([...state.tasksOnInstance(hostArn('h1'))].map((t) => t.id), ['t2']);
      assert.deepEqual([...feed.drain().arns], [hostArn('h1')]);
      feed.close();
    } finally {
      state.close();
    }
  });
});

test('loaded from the store in any order (tasks of a cluster listed before the pool\'s hosts), the pool counts the same', async () => {
  await withStore(async (store) => {
    // Account 123… sorts before berth-fargate: its tasks are listed first.
    await store.txn({ ops: [clusterOp('a'), fargateTaskOp(SCOPE, 'a', 't1', 'h1', { lastStatus: 'RUNNING' }), fargateTaskOp(SCOPE, 'a', 't2', undefined)] });
    await store.txn({ ops: [clusterOp(FARGATE_POOL_CLUSTER, POOL), instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, cpu: 1024, memory: 2048 })] });
    const state = createClusterState(store);
    try {
      await state.ready();
      const [h1] = state.placementSnapshot(pool).instances;
      assert.deepEqual([h1!.cpu, h1!.memory, h1!.eni, h1!.taskCount], [1024 - 256, 2048 - 512, 120 - 1, 1], 'the task waiting for capacity (no host) holds nothing');
      assert.deepEqual([...state.tasksOnInstance(hostArn('h1'))].map((t) => t.id), ['t1']);
      assert.deepEqual([...state.tasksOnInstance('not an arn')], []);
      // The waiting one is found without a walk: indexed as placed on no instance.
      assert.deepEqual([...state.tasks({ scope: SCOPE, cluster: 'a' }, { instanceArn: UNPLACED })].map((t) => t.id), ['t2']);
      assert.deepEqual(state.snapshot({ scope: SCOPE, cluster: 'a' })!.tasksWhere({ instanceArn: UNPLACED }).map((t) => t.id), ['t2']);
    } finally {
      state.close();
    }
  });
});

test('a task whose instance ARN names no cluster (an old-style ARN) still counts on that instance in its own cluster', async () => {
  await withStore(async (store) => {
    const old = 'arn:aws:ecs:us-east-1:123456789012:container-instance/0123456789abcdef';
    const t = { ...taskRecord('a', 't1', { cpu: 256, lastStatus: 'RUNNING' }), containerInstanceArn: old };
    await store.txn({ ops: [clusterOp('a'), putOp(keys.task(SCOPE, 'a', 't1'), t)] });
    const state = createClusterState(store);
    try {
      await state.ready();
      assert.equal(state.instanceUsage({ scope: SCOPE, cluster: 'a' }, old).cpu, 256);
    } finally {
      state.close();
    }
  });
});
