import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE } from '../cluster/testing.ts';
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE } from '../core/eks/nodegroup.ts';
import { eksKeys } from '../core/eks/keys.ts';
import { POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { readTask } from '../core/workload/task-store.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Op, Store } from '../store/store.ts';
import type { Launch } from './launch.ts';
import { createPlacer } from './placer.ts';
import { podTaskId, podTaskOps } from './testing/pod-tasks.ts';

const ids = { taskId: () => randomBytes(16).toString('hex'), uuid: () => randomUUID() };
const UID = 'uid-demo';
const node = (id: string, o: { memory?: number; labels?: { name: string; value: string }[] } = {}) => instanceOp(POD_ECS_CLUSTER, id, {
  memory: o.memory ?? 4096,
  attributes: [{ name: CLUSTER_ATTRIBUTE, value: 'demo' }, { name: NODEGROUP_ATTRIBUTE, value: 'workers' }, ...(o.labels ?? [])],
});
const eksCluster = putOp(eksKeys.cluster(SCOPE, 'demo'), { name: 'demo', uid: UID });
const podsLaunch = (...n: number[]): Launch => ({ scope: SCOPE, cluster: POD_ECS_CLUSTER, taskDefinitionArn: '', count: n.length, pods: n.map(podTaskId), now: 1_700_000_100 });
const ref = (n: number) => ({ scope: SCOPE, cluster: POD_ECS_CLUSTER, id: podTaskId(n) });

async function withPlacer(seed: Op[], fn: (store: Store, launch: (l: Launch) => Promise<string[]>) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  const state = createClusterState(store);
  try {
    await store.txn({ ops: seed });
    await state.ready();
    const placer = createPlacer({ store, state, ids, rng: Math.random });
    await fn(store, async (l) => (await placer.launch(l)).tasks.map((t) => t.containerInstanceArn!.split('/').pop()!));
  } finally {
    state.close();
    await store.close();
  }
}

test('placer: waiting pods are bound to their cluster\'s nodes that fit (nodeSelector, spread), and the ECS side shows them on the host', async () => {
  await withPlacer([
    clusterOp(POD_ECS_CLUSTER), eksCluster, instanceOp(POD_ECS_CLUSTER, 'free'), node('n1'), node('n2', { labels: [{ name: 'disktype', value: 'ssd' }] }),
    ...podTaskOps(SCOPE, 1, 'a', UID), ...podTaskOps(SCOPE, 2, 'b', UID), ...podTaskOps(SCOPE, 3, 'ssd', UID, { nodeSelector: { disktype: 'ssd' } }),
  ], async (store, launch) => {
    assert.deepEqual(await launch(podsLaunch(1, 2, 3)), ['n1', 'n2', 'n2']);
    const bound = await readTask(store, ref(3));
    assert.ok(bound!.record.containerInstanceArn!.endsWith('/n2'), 'the ECS view shows the host');
    assert.equal(bound!.spec!.placement.availabilityZone, 'us-east-1a');
    assert.equal(bound!.spec!.generation, 2);
    assert.equal(bound!.status!.unschedulable, undefined);
    assert.deepEqual(await launch(podsLaunch(1, 2, 3)), [], 'a bound pod is not placed again');
  });
});

test('placer: a pod no node fits is told why (once), and is bound when a fitting node appears', async () => {
  await withPlacer([
    clusterOp(POD_ECS_CLUSTER), eksCluster, node('small', { memory: 256 }),
    ...podTaskOps(SCOPE, 1, 'big', UID, { containers: [{ name: 'app', image: 'busybox', resources: { requests: { memory: '1Gi' } } }] }),
  ], async (store, launch) => {
    assert.deepEqual(await launch(podsLaunch(1)), []);
    const waiting = await readTask(store, ref(1));
    assert.deepEqual(waiting!.status!.unschedulable, {
      message: '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
      at: 1_700_000_100,
    });
    assert.equal(waiting!.record.lastStatus, 'PROVISIONING');
    await launch(podsLaunch(1));
    assert.equal((await readTask(store, ref(1)))!.statusRevision, waiting!.statusRevision, 'the same verdict is not written again');
    await store.txn({ ops: [node('large', { memory: 8192 })] });
    assert.deepEqual(await launch(podsLaunch(1)), ['large']);
    const bound = await readTask(store, ref(1));
    assert.equal(bound!.status!.unschedulable, undefined, 'PodScheduled turns True');
  });
});

test('placer: pods of a cluster with no node group, or of a deleted EKS cluster, have no nodes', async () => {
  await withPlacer([clusterOp(POD_ECS_CLUSTER), eksCluster, instanceOp(POD_ECS_CLUSTER, 'free'), ...podTaskOps(SCOPE, 1, 'a', UID), ...podTaskOps(SCOPE, 2, 'orphan', 'uid-gone')], async (store, launch) => {
    assert.deepEqual(await launch(podsLaunch(1, 2)), []);
    assert.equal((await readTask(store, ref(1)))!.status!.unschedulable!.message, 'no nodes available to schedule pods');
    assert.equal((await readTask(store, ref(2)))!.status!.unschedulable!.message, 'no nodes available to schedule pods');
  });
});

test('placer: a bound pod\'s requests are reserved on its node for the next launch (the cluster state counts split tasks\' usage)', async () => {
  const requests = (memory: string) => ({ containers: [{ name: 'app', image: 'busybox', resources: { requests: { memory } } }] });
  await withPlacer([clusterOp(POD_ECS_CLUSTER), eksCluster, node('n1', { memory: 1024 }), ...podTaskOps(SCOPE, 1, 'first', UID, requests('768Mi')), ...podTaskOps(SCOPE, 2, 'second', UID, requests('512Mi'))], async (store, launch) => {
    assert.deepEqual(await launch(podsLaunch(1)), ['n1']);
    assert.deepEqual(await launch(podsLaunch(2)), [], 'in a launch of its own, after the first was committed');
    assert.match((await readTask(store, ref(2)))!.status!.unschedulable!.message, /^0\/1 nodes are available: 1 Insufficient memory\./);
  });
});
