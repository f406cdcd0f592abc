import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE, taskRecord } from '../../cluster/testing.ts';
import { SPOT_INTERRUPTED_REASON } from '../../core/ecs/fargate.ts';
import { keys } from '../../core/ecs/keys.ts';
import { writeSpotSettings } from '../../core/ecs/spot-settings.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import type { Action } from '../types.ts';
import { reconcileSpot, spotReclaimJob } from './spot-job.ts';

const NOW = 1_700_000_100_000;

function spotTask(id: string, o: { instance?: string; lastStatus?: TaskRecord['lastStatus']; createdAt?: number; provider?: string } = {}): TaskRecord {
  return {
    ...taskRecord('c', id, { instance: o.instance ?? 'i1', lastStatus: o.lastStatus ?? 'RUNNING', group: 'service:web' }),
    createdAt: o.createdAt ?? 1_700_000_000, startedAt: 1_700_000_000, capacityProviderName: o.provider ?? 'FARGATE_SPOT',
  };
}

async function withCluster(tasks: TaskRecord[], fn: (store: Store, job: ReturnType<typeof spotReclaimJob>) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [clusterOp('c'), instanceOp('c', 'i1'), instanceOp('c', 'i2', { attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1b' }] })] });
    for (const t of tasks) await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', t.taskArn.split('/').pop()!), t)] });
    await state.ready();
    await state.caughtUp(await store.revision());
    await fn(store, spotReclaimJob({ store, state }));
  } finally {
    state.close();
    await store.close();
  }
}

async function apply(store: Store, actions: readonly Action[]): Promise<void> {
  for (const a of actions) {
    assert.equal(a.type, 'update');
    if (a.type !== 'update') continue;
    const cur = await store.get(a.key);
    const next = a.change(cur && JSON.parse(cur.value), NOW);
    if (next !== undefined) await store.txn({ ops: [{ type: 'put', key: a.key, value: JSON.stringify(next) }] });
  }
}

const read = async (store: Store, id: string) => JSON.parse((await store.get(keys.task(SCOPE, 'c', id)))!.value) as TaskRecord;
const ID = (n: number) => String(n).padStart(32, 'a');

test('with the default settings the job reads no task and interrupts nothing', async () => {
  await withCluster([spotTask(ID(1))], async (_store, job) => {
    const snap = await job.load();
    assert.deepEqual(snap.regions.map((r) => r.tasks.length), [0]);
    assert.deepEqual(job.reconcile(snap, NOW), { actions: [] });
  });
});

test('lowering a zone\'s capacity interrupts its newest Spot tasks: TerminationNotice, still RUNNING; EC2 tasks and other zones untouched', async () => {
  const tasks = [
    spotTask(ID(1), { createdAt: 1_700_000_001 }), spotTask(ID(2), { createdAt: 1_700_000_002 }), spotTask(ID(3), { createdAt: 1_700_000_003 }),
    spotTask(ID(4), { instance: 'i2' }), spotTask(ID(5), { provider: 'FARGATE' }),
  ];
  await withCluster(tasks, async (store, job) => {
    await writeSpotSettings(store, 'us-east-1', { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 1 } }, NOW - 1000);
    const snap = await job.load();
    assert.deepEqual(snap.regions[0]!.tasks.map((t) => [t.taskArn.slice(-1), t.zone]), [['1', 'us-east-1a'], ['2', 'us-east-1a'], ['3', 'us-east-1a'], ['4', 'us-east-1b']]);
    await apply(store, job.reconcile(snap, NOW).actions);
    for (const id of [ID(2), ID(3)]) {
      const t = await read(store, id);
      assert.deepEqual([t.lastStatus, t.desiredStatus, t.stopCode, t.stoppedReason], ['RUNNING', 'STOPPED', 'TerminationNotice', SPOT_INTERRUPTED_REASON]);
    }
    for (const id of [ID(1), ID(4), ID(5)]) assert.equal((await read(store, id)).desiredStatus, 'RUNNING');
  });
});

test('an interruption decided on a task the user stopped meanwhile changes nothing', async () => {
  await withCluster([spotTask(ID(1))], async (store, job) => {
    await writeSpotSettings(store, 'us-east-1', { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 0 } }, NOW - 1000);
    const snap = await job.load();
    const stopped = { ...(await read(store, ID(1))), desiredStatus: 'STOPPED' as const, stopCode: 'UserInitiated' as const };
    await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', ID(1)), stopped)] });
    await apply(store, job.reconcile(snap, NOW).actions);
    assert.equal((await read(store, ID(1))).stopCode, 'UserInitiated');
  });
});

test('at a rate the job interrupts the tasks whose draw has come and asks to wake at the next', () => {
  const tasks = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, modRevision: 1, taskArn: `t${i}`, lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const, createdAt: 0, startedAt: 0 }));
  const r = reconcileSpot({ regions: [{ region: 'us-east-1', settings: { interruptionsPerHour: 1, seed: 3, capacity: {} }, tasks }] }, 3_600_000);
  assert.ok(r.actions.length > 0 && r.actions.length < 20, `${r.actions.length} of 20 after one hour at one per hour`);
  assert.ok(r.wakeAt! > 3_600_000);
});
