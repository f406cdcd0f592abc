import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE } from '../cluster/testing.ts';
import { newCluster } from '../core/ecs/cluster.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE } from '../core/eks/nodegroup.ts';
import { eksKeys } from '../core/eks/keys.ts';
import { POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { readTask } from '../core/workload/task-store.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Op, Store } from '../store/store.ts';
import type { Launch } from './launch.ts';
import { createPlacer } from './placer.ts';
import { FARGATE_CAPACITY_UNAVAILABLE } from './placer-fargate.ts';
import { podTaskId, podTaskOps } from './testing/pod-tasks.ts';

const ids = { taskId: () => randomBytes(16).toString('hex'), uuid: () => randomUUID() };
const UID = 'uid-demo';
const POOL = fargatePoolScope(SCOPE.region);
/** A pool host with room for four 0.25 vCPU / 0.5 GB pods. */
const poolHost = instanceOp(FARGATE_POOL_CLUSTER, 'pool1', { scope: POOL, cpu: 1024, memory: 2048, attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1b' }] });
const poolCluster = putOp(keys.cluster(POOL, FARGATE_POOL_CLUSTER), newCluster(POOL, { clusterName: FARGATE_POOL_CLUSTER, tags: [], settings: [] }, 1_700_000_000));
const node = instanceOp(POD_ECS_CLUSTER, 'n1', { memory: 4096, attributes: [{ name: CLUSTER_ATTRIBUTE, value: 'demo' }, { name: NODEGROUP_ATTRIBUTE, value: 'workers' }] });
const eksCluster = putOp(eksKeys.cluster(SCOPE, 'demo'), { name: 'demo', uid: UID });
const launchOf = (fargate: boolean, ...n: number[]): Launch => ({
  scope: SCOPE, cluster: POD_ECS_CLUSTER, taskDefinitionArn: '', count: n.length, pods: n.map(podTaskId), now: 1_700_000_100, ...(fargate && { launchType: 'FARGATE' as const }),
});
const ref = (n: number) => ({ scope: SCOPE, cluster: POD_ECS_CLUSTER, id: podTaskId(n) });
const fargatePod = (n: number, name: string, memory?: string) =>
  podTaskOps(SCOPE, n, name, UID, memory === undefined ? {} : { containers: [{ name: 'app', image: 'busybox', resources: { requests: { memory } } }] }, undefined, true);

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

test('placer: a Fargate pod goes to the Fargate pool (never a node group\'s host), on the FARGATE provider, in the pool host\'s zone', async () => {
  await withPlacer([clusterOp(POD_ECS_CLUSTER), poolCluster, poolHost, node, eksCluster, ...fargatePod(1, 'f1'), ...podTaskOps(SCOPE, 2, 'plain', UID)], async (store, launch) => {
    assert.deepEqual(await launch(launchOf(true, 1, 2)), ['pool1'], 'the Fargate launch places only the Fargate pod');
    assert.deepEqual(await launch(launchOf(false, 1, 2)), ['n1'], 'the nodes\' launch places only the other');
    const bound = (await readTask(store, ref(1)))!;
    assert.equal(bound.spec!.launchType, 'FARGATE');
    assert.deepEqual(bound.spec!.placement, { instanceArn: bound.record.containerInstanceArn, availabilityZone: 'us-east-1b', capacityProviderName: 'FARGATE' });
    assert.equal(bound.record.capacityProviderName, 'FARGATE', 'the ECS side shows a Fargate task');
    assert.ok(bound.record.containerInstanceArn!.includes(`:${POOL.account}:`), 'a host of the pool\'s account');
    assert.deepEqual(await launch(launchOf(true, 1)), [], 'a bound pod is not placed again');
  });
});

test('placer: a Fargate pod the pool has no room for is told so (once), and placed when it fits', async () => {
  await withPlacer([clusterOp(POD_ECS_CLUSTER), poolCluster, poolHost, eksCluster, ...fargatePod(1, 'big', '3Gi'), ...fargatePod(2, 'small')], async (store, launch) => {
    assert.deepEqual(await launch(launchOf(true, 1, 2)), ['pool1']);
    const waiting = (await readTask(store, ref(1)))!;
    assert.equal(waiting.spec!.placement.instanceArn, undefined);
    assert.equal(waiting.status!.unschedulable?.message, FARGATE_CAPACITY_UNAVAILABLE);
    assert.deepEqual(waiting.spec!.resources.reserved, { cpu: 512, memory: 4096 }, '3 GiB + 256 MiB: the next Fargate size is 0.5 vCPU, 4 GB');
    const revision = waiting.statusRevision;
    assert.deepEqual(await launch(launchOf(true, 1)), []);
    assert.equal((await readTask(store, ref(1)))!.statusRevision, revision, 'the same message is not written again');
    await store.txn({ ops: [instanceOp(FARGATE_POOL_CLUSTER, 'pool2', { scope: POOL, cpu: 4096, memory: 8192 })] });
    assert.deepEqual(await launch(launchOf(true, 1)), ['pool2']);
    assert.equal((await readTask(store, ref(1)))!.status!.unschedulable, undefined);
  });
});
