import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../core/ecs/keys.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { ListOptions, ListResult, Store } from '../store/store.ts';
import { createClusterState, LIST_PAGE } from './cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE, taskOp, taskRecord } from './testing.ts';
import type { ClusterRef, ClusterState } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-cluster-state-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const ref: ClusterRef = { scope: SCOPE, cluster: 'c1' };

async function withState(fn: (store: Store, state: ReturnType<typeof createClusterState>) => Promise<void>, seed: Parameters<Store['txn']>[0][] = []): Promise<void> {
  const store = await openSqliteStore(join(dir, `s${n++}.db`));
  const state = createClusterState(store);
  try {
    for (const t of seed) await store.txn(t);
    await state.ready();
    await fn(store, state);
  } finally {
    state.close();
    await store.close();
  }
}

/** What the indexes must say, recomputed the slow way from the store. */
async function assertMatchesStore(store: Store, state: ClusterState, r: ClusterRef = ref): Promise<void> {
  await state.caughtUp(await store.revision());
  const tasks = (await store.list(keys.tasks(r.scope, r.cluster))).items.map((kv) => JSON.parse(kv.value) as TaskRecord);
  const instances = (await store.list(keys.containerInstances(r.scope, r.cluster))).items.map((kv) => JSON.parse(kv.value) as ContainerInstanceRecord);
  assert.deepEqual([...state.tasks(r)].map((t) => t.taskArn), tasks.map((t) => t.taskArn), 'every task, in key order');
  const counts = state.counts(r);
  assert.equal(counts.runningTasksCount, tasks.filter((t) => t.lastStatus === 'RUNNING').length);
  assert.equal(counts.pendingTasksCount, tasks.filter((t) => t.lastStatus !== 'RUNNING' && t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED').length);
  assert.equal(counts.registeredContainerInstancesCount, instances.filter((i) => i.status !== 'INACTIVE').length);
  const placed = new Map(state.placementSnapshot(r).instances.map((i) => [i.arn, i]));
  assert.equal(placed.size, instances.length);
  for (const i of instances) {
    const mine = tasks.filter((t) => t.containerInstanceArn === i.containerInstanceArn && t.lastStatus !== 'STOPPED');
    const cpu = i.registeredResources.find((x) => x.name === 'CPU')!.integerValue! - mine.reduce((s, t) => s + Number(t.cpu), 0);
    assert.equal(placed.get(i.containerInstanceArn)?.cpu, cpu, `remaining cpu of ${i.containerInstanceArn}`);
    assert.equal(placed.get(i.containerInstanceArn)?.taskCount, mine.length);
  }
}

test('cluster state: loads what the store holds, then follows every write', async () => {
  await withState(async (store, state) => {
    assert.deepEqual(state.clusters().map((c) => c.cluster), ['c1']);
    const snap = state.placementSnapshot(ref);
    assert.deepEqual(snap.instances.map((i) => [i.id, i.cpu, i.memory]), [['i1', 2048 - 512, 4096 - 1024], ['i2', 2048, 4096]]);
    assert.ok(snap.instances[0]!.portsInUse.has('8080/tcp'), 'a task\'s static port');
    assert.ok(snap.instances[0]!.portsInUse.has('22/tcp'), 'the agent\'s reserved ports');
    assert.equal(snap.instances[0]!.groups.get('family:web'), 2);
    assert.equal(snap.instances[0]!.ec2InstanceId, 'i-i1', 'what the query language\'s ec2InstanceId reads');
    await assertMatchesStore(store, state);

    const r = await store.txn({ ops: [taskOp('c1', 't3', { instance: 'i2', cpu: 1024, lastStatus: 'RUNNING' }), instanceOp('c1', 'i3', { registeredAt: 1_700_000_100 })] });
    await state.caughtUp(r.revision);
    assert.equal(state.revision(), r.revision);
    assert.equal(state.placementSnapshot(ref).instances.find((i) => i.id === 'i2')!.cpu, 1024);
    assert.deepEqual(state.placementSnapshot(ref).instances.map((i) => i.id), ['i1', 'i2', 'i3'], 'registration order');
    assert.equal(state.counts(ref).runningTasksCount, 1);
    await assertMatchesStore(store, state);

    // The task stops: its resources are free again, and it stays listed until deleted.
    await store.txn({ ops: [taskOp('c1', 't3', { instance: 'i2', cpu: 1024, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })] });
    await assertMatchesStore(store, state);
    assert.equal(state.placementSnapshot(ref).instances.find((i) => i.id === 'i2')!.cpu, 2048);
    assert.equal(state.task(ref, 't3')?.lastStatus, 'STOPPED');
    await store.txn({ ops: [{ type: 'delete', key: keys.task(SCOPE, 'c1', 't3') }] });
    await assertMatchesStore(store, state);
    assert.equal(state.task(ref, 't3'), undefined);

    // An instance deregistered: no longer counted.
    await store.txn({ ops: [instanceOp('c1', 'i3', { status: 'INACTIVE', registeredAt: 1_700_000_100 })] });
    await assertMatchesStore(store, state);
    assert.equal(state.counts(ref).registeredContainerInstancesCount, 2);
  }, [
    { ops: [clusterOp('c1'), instanceOp('c1', 'i1', { registeredAt: 1_700_000_000 }), instanceOp('c1', 'i2', { registeredAt: 1_700_000_050 })] },
    { ops: [taskOp('c1', 't1', { instance: 'i1', ports: ['8080/tcp'] }), taskOp('c1', 't2', { instance: 'i1' })] },
  ]);
});

test('cluster state: tasks by instance, group, startedBy and family, in key order, from a cursor', async () => {
  await withState(async (_store, state) => {
    const ids = (f: Parameters<ClusterState['tasks']>[1]) => [...state.tasks(ref, f)].map((t) => t.id);
    assert.deepEqual(ids({}), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids({ group: 'service:web' }), ['a', 'c']);
    assert.deepEqual(ids({ startedBy: 'ecs-svc/1' }), ['c']);
    assert.deepEqual(ids({ family: 'api' }), ['b', 'd']);
    assert.deepEqual(ids({ instanceArn: state.placementSnapshot(ref).instances[0]!.arn }), ['a', 'b']);
    assert.deepEqual(ids({ group: 'service:web', family: 'api' }), []);
    assert.deepEqual(ids({ family: 'api', startedBy: 'nobody' }), []);
    assert.deepEqual(ids({ after: 'b' }), ['c', 'd']);
    assert.deepEqual(ids({ family: 'api', after: 'b' }), ['d']);
    assert.deepEqual(ids({ desiredStatus: 'STOPPED' }), ['d']);
    assert.deepEqual(ids({ desiredStatus: 'RUNNING', group: 'service:web' }), ['a', 'c']);
    assert.equal(state.snapshot(ref)?.tasks.length, 4);
    assert.equal(state.snapshot({ scope: SCOPE, cluster: 'nope' }), undefined);
  }, [{ ops: [
    clusterOp('c1'), instanceOp('c1', 'i1'),
    taskOp('c1', 'a', { instance: 'i1', group: 'service:web', startedBy: 'ecs-svc/0' }),
    taskOp('c1', 'b', { instance: 'i1', family: 'api' }),
    taskOp('c1', 'c', { group: 'service:web', startedBy: 'ecs-svc/1' }),
    taskOp('c1', 'd', { family: 'api', desiredStatus: 'STOPPED' }),
  ] }]);
});

test('cluster state: one onChange call per burst of writes, naming the clusters touched', async () => {
  await withState(async (store, state) => {
    const calls: string[][] = [];
    const off = state.onChange((changed) => calls.push(changed.map((c) => c.cluster).sort()));
    // Writes issued in one turn are committed as one batch and delivered as one burst.
    await Promise.all([
      store.txn({ ops: [taskOp('c1', 't1'), taskOp('c2', 't1')] }),
      store.txn({ ops: [taskOp('c1', 't2')] }),
      store.txn({ ops: [putOp(keys.family(SCOPE, 'web'), { family: 'web' })] }),
    ]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [['c1', 'c2']]);
    off();
    await store.txn({ ops: [taskOp('c1', 't3')] });
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 1, 'no call after unsubscribing');
  }, [{ ops: [clusterOp('c1'), clusterOp('c2')] }]);
});

test('cluster state: a listener that throws does not stop the others', async () => {
  const store = await openSqliteStore(join(dir, `s${n++}.db`));
  const errors: unknown[] = [];
  const state = createClusterState(store, { onListenerError: (e) => errors.push(e) });
  try {
    await state.ready();
    let heard = 0;
    state.onChange(() => { throw new Error('boom'); });
    state.onChange(() => { heard++; });
    await store.txn({ ops: [clusterOp('c1')] });
    await new Promise((r) => setImmediate(r));
    assert.equal(heard, 1);
    assert.equal(errors.length, 1);
  } finally {
    state.close();
    await store.close();
  }
});

test('cluster state: after a restart, a new state over the reopened store holds the same', async () => {
  const path = join(dir, 'restart.db');
  const s1 = await openSqliteStore(path);
  const st1 = createClusterState(s1);
  await st1.ready();
  await s1.txn({ ops: [clusterOp('c1'), instanceOp('c1', 'i1'), taskOp('c1', 't1', { instance: 'i1', lastStatus: 'RUNNING' })] });
  await s1.txn({ ops: [taskOp('c1', 't2', { instance: 'i1' })] });
  await st1.caughtUp(await s1.revision());
  const before = { counts: st1.counts(ref), tasks: [...st1.tasks(ref)], instances: st1.placementSnapshot(ref).instances };
  st1.close();
  await s1.close();

  const s2 = await openSqliteStore(path);
  const st2 = createClusterState(s2);
  try {
    await st2.ready();
    assert.equal(st2.revision(), await s2.revision());
    assert.deepEqual(st2.counts(ref), before.counts);
    assert.deepEqual([...st2.tasks(ref)], before.tasks);
    assert.deepEqual(st2.placementSnapshot(ref).instances, before.instances);
    await s2.txn({ ops: [taskOp('c1', 't3', { instance: 'i1' })] });
    await assertMatchesStore(s2, st2);
  } finally {
    st2.close();
    await s2.close();
  }
});

/** The real store, with a hook run after each `list` page is read (writes racing the load). */
function racingStore(store: Store, afterList: (calls: number) => Promise<void>): Store {
  let calls = 0;
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'list') {
        return async (prefix: string, options?: ListOptions): Promise<ListResult> => {
          const page = await target.list(prefix, options);
          await afterList(++calls);
          return page;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('cluster state: writes racing a load of several pages are all reflected (pages read at different revisions)', async () => {
  const store = await openSqliteStore(join(dir, `s${n++}.db`));
  const total = LIST_PAGE * 2 + 500;
  const seed = [clusterOp('c1'), instanceOp('c1', 'i1', { cpu: 10_000_000, memory: 10_000_000 })];
  for (let i = 0; i < total; i++) seed.push(taskOp('c1', `t${String(i).padStart(5, '0')}`, { instance: 'i1', cpu: 1, memory: 1 }));
  await store.txn({ ops: seed });
  // After each page: a task early in key order changes (its page was already read), one
  // late in key order is deleted (its page not read yet), and one is added.
  const state = createClusterState(racingStore(store, async (call) => {
    await store.txn({ ops: [
      taskOp('c1', `t${String(call).padStart(5, '0')}`, { instance: 'i1', cpu: 7, memory: 1, lastStatus: 'RUNNING' }),
      { type: 'delete', key: keys.task(SCOPE, 'c1', `t${String(total - call).padStart(5, '0')}`) },
      taskOp('c1', `u${call}`, { instance: 'i1', cpu: 3, memory: 1 }),
    ] });
  }));
  try {
    await state.ready();
    await assertMatchesStore(store, state);
    assert.ok(state.counts(ref).runningTasksCount > 0);
  } finally {
    state.close();
    await store.close();
  }
});

test('cluster state: when the watch history is compacted under the load, it lists again', async () => {
  const store = await openSqliteStore(join(dir, `s${n++}.db`), { historyRevisions: 10 });
  await store.txn({ ops: [clusterOp('c1'), instanceOp('c1', 'i1')] });
  let raced = false;
  // During the first load, far more writes than the history keeps: watching from the
  // load's revision is refused, and the state must list again.
  const state = createClusterState(racingStore(store, async () => {
    if (raced) return;
    raced = true;
    for (let i = 0; i < 1_100; i++) await store.txn({ ops: [taskOp('c1', `t${i % 50}`, { instance: 'i1', cpu: 1 + (i % 7) })] });
  }));
  try {
    await state.ready();
    assert.ok(state.relists() >= 1, 'it listed again');
    await assertMatchesStore(store, state);
    await store.txn({ ops: [taskOp('c1', 'late', { instance: 'i1' })] });
    await assertMatchesStore(store, state);
  } finally {
    state.close();
    await store.close();
  }
});

test('cluster state: scopes (accounts and regions) and clusters are kept apart; other keys are ignored', async () => {
  const other = { account: '210987654321', region: 'eu-west-1' };
  await withState(async (store, state) => {
    assert.deepEqual(state.clusters().map((c) => `${c.scope.account}/${c.scope.region}/${c.cluster}`).sort(),
      ['123456789012/us-east-1/c1', '210987654321/eu-west-1/c1']);
    assert.deepEqual([...state.tasks({ scope: other, cluster: 'c1' })].map((t) => t.id), ['x']);
    assert.deepEqual([...state.tasks(ref)].map((t) => t.id), ['y']);
    // A cluster's last record deleted: the cluster is gone from the state.
    await store.txn({ ops: [{ type: 'deletePrefix', prefix: keys.tasks(other, 'c1') }, { type: 'delete', key: keys.cluster(other, 'c1') }] });
    await state.caughtUp(await store.revision());
    assert.deepEqual(state.clusters().map((c) => c.scope.account), ['123456789012']);
  }, [{ ops: [
    clusterOp('c1'), clusterOp('c1', other), taskOp('c1', 'x', { scope: other }), taskOp('c1', 'y'),
    putOp(keys.taskDefinition(SCOPE, 'web', 1), { family: 'web' }), putOp(keys.placementEpoch(SCOPE, 'c1'), 1),
  ] }]);
});

test('cluster state: summaries carry what placement and reconcilers read', async () => {
  await withState(async (_store, state) => {
    const t = state.task(ref, 't1')!;
    assert.equal(t.family, 'web');
    assert.equal(t.eni, true);
    assert.equal(t.healthChecked, true);
    assert.deepEqual([...t.ports].sort(), ['8080/tcp', '9000/udp']);
    assert.equal(state.placementSnapshot(ref).instances[0]!.eni, 119, 'one ENI slot of the default 120 taken');
    const usage = state.instanceUsage(ref, state.placementSnapshot(ref).instances[0]!.arn);
    assert.equal(usage.pending, 1);
    assert.equal(usage.cpu, 256);
  }, [{ ops: [clusterOp('c1'), instanceOp('c1', 'i1'), putOp(keys.task(SCOPE, 'c1', 't1'), {
    ...taskRecord('c1', 't1', { instance: 'i1', awsvpc: true, ports: ['8080/tcp'] }),
    healthChecked: true,
    containers: [{ name: 'a', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 53, hostPort: 9000, protocol: 'udp' }] }],
  })] }]);
});

test('cluster state: a dynamic host port is held for placement but is no reservation in the instance usage', async () => {
  await withState(async (_store, state) => {
    const t = state.task(ref, 't1')!;
    assert.deepEqual(t.dynamicPorts, ['49153/tcp']);
    const arn = state.placementSnapshot(ref).instances[0]!.arn;
    assert.ok(state.placementSnapshot(ref).instances[0]!.portsInUse.has('49153/tcp'), 'placement avoids the bound port');
    assert.deepEqual([...state.instanceUsage(ref, arn).ports].sort(), ['80/tcp'], 'remainingResources lists the static mapping only (ECS: reserved ports and reserved port mappings)');
  }, [{ ops: [clusterOp('c1'), instanceOp('c1', 'i1'), putOp(keys.task(SCOPE, 'c1', 't1'), {
    ...taskRecord('c1', 't1', { instance: 'i1', ports: ['80/tcp'], lastStatus: 'RUNNING' }),
    containers: [{ name: 'a', networkBindings: [
      { bindIP: '0.0.0.0', containerPort: 80, hostPort: 80, protocol: 'tcp' },
      { bindIP: '0.0.0.0', containerPort: 8080, hostPort: 49153, protocol: 'tcp' },
    ] }],
  })] }]);
});

test('cluster state: a record that is not JSON is reported and skipped; later writes still arrive', async () => {
  const store = await openSqliteStore(join(dir, `s${n++}.db`));
  const errors: unknown[] = [];
  const state = createClusterState(store, { onListenerError: (e) => errors.push(e) });
  try {
    await state.ready();
    await store.txn({ ops: [clusterOp('c1'), { type: 'put', key: keys.task(SCOPE, 'c1', 'bad'), value: '{not json' }] });
    const r = await store.txn({ ops: [taskOp('c1', 'good')] });
    await state.caughtUp(r.revision);
    assert.deepEqual([...state.tasks(ref)].map((t) => t.id), ['good']);
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as Error).message), /could not index .*tasks\/c1\/bad/);
  } finally {
    state.close();
    await store.close();
  }
});

test('cluster state: caughtUp(store.revision()) resolves when the last write was another module\'s key (a lease, an event)', async () => {
  await withState(async (store, state) => {
    const before = state.counts(ref);
    assert.equal(before.runningTasksCount, 1);
    const r = await store.txn({ ops: [{ type: 'put', key: '/berth/leases/controllers', value: '{"holder":"x"}' }] });
    const waited = await Promise.race([state.caughtUp(await store.revision()).then(() => 'caught up'), new Promise((done) => setTimeout(() => done('still waiting'), 2000))]);
    assert.equal(waited, 'caught up');
    assert.equal(state.revision(), r.revision);
    assert.deepEqual(state.counts(ref), before, 'nothing indexed from it');
    assert.deepEqual(state.clusters().map((c) => c.cluster), ['c1']);
  }, [{ ops: [clusterOp('c1'), taskOp('c1', 't1', { lastStatus: 'RUNNING' })] }]);
});

test('cluster state: each ref answers its own cluster, whichever was asked about last (the key of the last ref is remembered)', async () => {
  await withState(async (store, state) => {
    const r = await store.txn({ ops: [clusterOp('c2'), instanceOp('c2', 'j1'), taskOp('c2', 'u1', { instance: 'j1', lastStatus: 'RUNNING' }), taskOp('c2', 'u2', { instance: 'j1', lastStatus: 'RUNNING' })] });
    await state.caughtUp(r.revision);
    const c2: ClusterRef = { scope: SCOPE, cluster: 'c2' };
    const other: ClusterRef = { scope: { account: '210987654321', region: 'us-east-1' }, cluster: 'c2' };
    for (let i = 0; i < 2; i++) {
      assert.equal(state.counts(c2).runningTasksCount, 2);
      assert.equal(state.counts(ref).runningTasksCount, 0);
      assert.equal(state.counts(other).runningTasksCount, 0, 'the same cluster name in another account');
      assert.ok(state.placementInstance(c2, keysArn('c2', 'j1')));
      assert.equal(state.placementInstance(ref, keysArn('c2', 'j1')), undefined);
    }
  }, [{ ops: [clusterOp('c1'), instanceOp('c1', 'i1')] }]);
});

function keysArn(cluster: string, id: string): string {
  return `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:container-instance/${cluster}/${id}`;
}
