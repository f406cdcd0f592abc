import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { instanceOp, putOp, SCOPE } from '../cluster/testing.ts';
import { newCluster } from '../core/ecs/cluster.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope, poolTaskGroup, SPOT_TASKS_GROUP } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { writeSpotSettings } from '../core/ecs/spot-settings.ts';
import { buildTaskDefinition, type ContainerDefinition, type TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Op, Store } from '../store/store.ts';
import type { Launch, Placer } from './launch.ts';
import { createPlacer } from './placer.ts';
import { FARGATE_CAPACITY_UNAVAILABLE, isFargateLaunch, spotConstraints, spotRoom, zonesFull } from './placer-fargate.ts';
import type { PlacementInstance } from './types.ts';

const POOL = fargatePoolScope(SCOPE.region);
const OTHER: Scope = { account: '210987654321', region: SCOPE.region };
const ids = { taskId: () => randomBytes(16).toString('hex'), uuid: () => randomUUID() };

function fargateDefinition(scope: Scope, family: string): TaskDefinitionRecord {
  const c = { name: 'app', image: 'busybox', essential: true } as ContainerDefinition;
  return buildTaskDefinition(scope, { family, containerDefinitions: [c], networkMode: 'awsvpc', cpu: '256', memory: '512', requiresCompatibilities: ['FARGATE'] }, 1, 1_700_000_000, `arn:aws:iam::${scope.account}:root`);
}

const clusterWithFargate = (scope: Scope, name: string): Op => putOp(keys.cluster(scope, name), newCluster(scope, { clusterName: name, tags: [], settings: [], capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }, 1_700_000_000));
/** A pool host of 1024 CPU units and 2048 MiB (room for four 256/512 tasks) in zone `zone`. */
const host = (id: string, zone: string, registeredAt = 1_700_000_000): Op => instanceOp(FARGATE_POOL_CLUSTER, id, { scope: POOL, cpu: 1024, memory: 2048, registeredAt, attributes: [{ name: 'ecs.availability-zone', value: zone }] });

async function withPool(seed: Op[], fn: (w: { store: Store; placer: Placer; state: ReturnType<typeof createClusterState> }) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [putOp(keys.cluster(POOL, FARGATE_POOL_CLUSTER), newCluster(POOL, { clusterName: FARGATE_POOL_CLUSTER, tags: [], settings: [] }, 1_700_000_000)), ...seed] });
    await state.ready();
    await fn({ store, state, placer: createPlacer({ store, state, ids, rng: Math.random }) });
  } finally {
    state.close();
    await store.close();
  }
}

const launch = (scope: Scope, cluster: string, td: TaskDefinitionRecord, o: Partial<Launch> = {}): Launch => ({
  scope, cluster, taskDefinitionArn: td.taskDefinitionArn, resolved: td, count: 1, now: 1_700_000_100,
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } }, ...o,
});

const zoneOf = (t: TaskRecord) => t.availabilityZone;

test('which launches the pool serves: launchType FARGATE, a strategy of Fargate providers, or a default one; never StartTask', () => {
  const none = { capacityProviders: [], defaultCapacityProviderStrategy: [] };
  const fargateDefault = { capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] };
  assert.equal(isFargateLaunch({ launchType: 'FARGATE' }, none), true);
  assert.equal(isFargateLaunch({ launchType: 'EC2' }, fargateDefault), false);
  assert.equal(isFargateLaunch({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }, { capacityProvider: 'FARGATE', base: 1, weight: 0 }] }, none), true);
  assert.equal(isFargateLaunch({ capacityProviderStrategy: [{ capacityProvider: 'mine', weight: 1 }] }, fargateDefault), false);
  assert.equal(isFargateLaunch({}, fargateDefault), true);
  assert.equal(isFargateLaunch({}, none), false);
  assert.equal(isFargateLaunch({ launchType: 'FARGATE', targets: ['i'] }, none), false);
});

test('spot room: each limited zone less the spot tasks its hosts run; unnamed zones unlimited; full zones kept out by one memberOf', () => {
  const inst = (zone: string, spot: number) => ({ attributes: new Map([['ecs.availability-zone', zone]]), groups: new Map([[SPOT_TASKS_GROUP, spot]]) }) as unknown as PlacementInstance;
  const room = spotRoom([inst('a', 2), inst('a', 1), inst('b', 1), inst('c', 5)], { a: 3, b: 4 });
  assert.deepEqual([...room], [['a', 0], ['b', 3]]);
  assert.deepEqual(zonesFull(room), ['a']);
  assert.deepEqual(spotConstraints(['a', 'z']), [{ type: 'memberOf', expression: 'attribute:ecs.availability-zone not_in [a, z]' }]);
  assert.deepEqual(spotConstraints([]), []);
  assert.deepEqual([...spotRoom([inst('a', 9)], {})], []);
});

test('Fargate tasks of two clusters of two accounts land on the pool, spread over zones, kept under their own clusters', async () => {
  const tdA = fargateDefinition(SCOPE, 'web');
  const tdB = fargateDefinition(OTHER, 'api');
  await withPool([host('h1', 'us-east-1a'), host('h2', 'us-east-1b'), clusterWithFargate(SCOPE, 'a'), clusterWithFargate(OTHER, 'b')], async ({ store, state, placer }) => {
    const a = await placer.launch(launch(SCOPE, 'a', tdA, { launchType: 'FARGATE', count: 2, group: 'service:web' }));
    assert.deepEqual(a.failures, []);
    assert.deepEqual(a.tasks.map(zoneOf).sort(), ['us-east-1a', 'us-east-1b'], 'a service\'s tasks spread over the zones');
    for (const t of a.tasks) {
      assert.equal(t.launchType, 'FARGATE');
      assert.equal(t.capacityProviderName, undefined, 'launchType FARGATE names no provider');
      assert.match(t.containerInstanceArn!, /:berth-fargate:container-instance\/fargate\//);
      assert.equal(t.group, 'service:web', 'the record keeps its own group');
      assert.equal(t.attachments[0]?.type, 'ElasticNetworkInterface');
      assert.ok(await store.get(keys.task(SCOPE, 'a', t.taskArn.split('/').pop()!)), 'stored under its own cluster');
    }
    const b = await placer.launch(launch(OTHER, 'b', tdB, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }], count: 4 }));
    assert.equal(b.tasks.length, 4);
    assert.ok(b.tasks.every((t) => t.capacityProviderName === 'FARGATE'));
    // The pool's epoch moved; the clusters' own did not (no instance of theirs was placed on).
    assert.equal((await store.get(keys.placementEpoch(POOL, FARGATE_POOL_CLUSTER)))?.value, '2');
    assert.equal(await store.get(keys.placementEpoch(SCOPE, 'a')), undefined);
    const pool = state.placementSnapshot({ scope: POOL, cluster: FARGATE_POOL_CLUSTER }).instances;
    assert.deepEqual(pool.map((i) => [i.cpu, i.taskCount]), [[1024 - 3 * 256, 3], [1024 - 3 * 256, 3]]);
    assert.equal(pool.reduce((s, i) => s + (i.groups.get(poolTaskGroup(SCOPE, 'a', 'service:web')) ?? 0), 0), 2);
    // Room for two more: the third fails with AWS's reason, nothing overbooked.
    const c = await placer.launch(launch(SCOPE, 'a', tdA, { launchType: 'FARGATE', count: 3 }));
    assert.equal(c.tasks.length, 2);
    assert.deepEqual(c.failures.map((f) => [f.arn, f.reason]), [[`arn:aws:ecs:us-east-1:${SCOPE.account}:cluster/a`, FARGATE_CAPACITY_UNAVAILABLE]]);
    assert.deepEqual(state.placementSnapshot({ scope: POOL, cluster: FARGATE_POOL_CLUSTER }).instances.map((i) => i.cpu), [0, 0]);
  });
});

test('a pool with no host: FARGATE fails with the capacity reason, not "no container instances"', async () => {
  const td = fargateDefinition(SCOPE, 'web');
  await withPool([clusterWithFargate(SCOPE, 'a')], async ({ placer }) => {
    const r = await placer.launch(launch(SCOPE, 'a', td, { launchType: 'FARGATE' }));
    assert.deepEqual(r.tasks, []);
    assert.equal(r.failures[0]?.reason, FARGATE_CAPACITY_UNAVAILABLE);
  });
});

test('FARGATE_SPOT past a zone\'s spot capacity waits in PROVISIONING with no host, while FARGATE base tasks still run', async () => {
  const td = fargateDefinition(SCOPE, 'web');
  await withPool([host('h1', 'us-east-1a'), host('h2', 'us-east-1b'), clusterWithFargate(SCOPE, 'a')], async ({ store, placer }) => {
    await writeSpotSettings(store, SCOPE.region, { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 1, 'us-east-1b': 0 } }, 1_700_000_000_000);
    const strategy = [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }];
    const r = await placer.launch(launch(SCOPE, 'a', td, { capacityProviderStrategy: strategy, count: 4, group: 'service:web' }));
    assert.deepEqual(r.failures, []);
    const byProvider = (p: string) => r.tasks.filter((t) => t.capacityProviderName === p);
    // 4 = base 1 on FARGATE, then 3 split 1:3 (splitLaunch: all 3 on FARGATE_SPOT).
    assert.equal(byProvider('FARGATE').length, 1);
    assert.ok(byProvider('FARGATE').every((t) => t.containerInstanceArn), 'the FARGATE tasks run');
    const spot = byProvider('FARGATE_SPOT');
    assert.equal(spot.length, 3);
    const placed = spot.filter((t) => t.containerInstanceArn !== undefined);
    assert.deepEqual(placed.map(zoneOf), ['us-east-1a'], 'one spot task in the zone with room for one; none in the zone with none');
    const waiting = spot.filter((t) => t.containerInstanceArn === undefined);
    assert.equal(waiting.length, 2);
    for (const t of waiting) {
      assert.equal(t.lastStatus, 'PROVISIONING');
      assert.equal(t.availabilityZone, undefined);
      assert.ok(await store.get(keys.task(SCOPE, 'a', t.taskArn.split('/').pop()!)), 'a waiting task is stored');
    }
    // A later launch sees the zone's one spot task as taken: nothing more placed there.
    const again = await placer.launch(launch(SCOPE, 'a', td, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], count: 1 }));
    assert.equal(again.tasks[0]?.containerInstanceArn, undefined);

    // Waiting tasks are placed as they are once a zone has room (the fargate-pending
    // reconciler's launch); one told to stop meanwhile is left alone.
    const idOf = (t: TaskRecord) => t.taskArn.split('/').pop()!;
    const [w1, w2] = [waiting[0]!, again.tasks[0]!];
    const stoppedKey = keys.task(SCOPE, 'a', idOf(w2));
    await store.txn({ ops: [putOp(stoppedKey, { ...w2, desiredStatus: 'STOPPED' })] });
    const none = await placer.launch(launch(SCOPE, 'a', td, { waiting: [idOf(w1), idOf(w2)], count: 2, group: 'service:web' }));
    assert.deepEqual(none.tasks, [], 'no zone has spot room yet: they keep waiting');
    await writeSpotSettings(store, SCOPE.region, { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 1, 'us-east-1b': 5 } }, 1_700_000_000_001);
    const placedNow = await placer.launch(launch(SCOPE, 'a', td, { waiting: [idOf(w1), idOf(w2)], count: 2, group: 'service:web' }));
    assert.deepEqual(placedNow.tasks.map((t) => [t.taskArn, t.availabilityZone, t.capacityProviderName, t.lastStatus]), [[w1.taskArn, 'us-east-1b', 'FARGATE_SPOT', 'PROVISIONING']]);
    const stored = JSON.parse((await store.get(keys.task(SCOPE, 'a', idOf(w1))))!.value) as TaskRecord;
    assert.match(stored.containerInstanceArn!, /container-instance\/fargate\/h2$/);
    assert.equal((JSON.parse((await store.get(stoppedKey))!.value) as TaskRecord).containerInstanceArn, undefined, 'the stopped one stays unplaced');
    const twice = await placer.launch(launch(SCOPE, 'a', td, { waiting: [idOf(w1)], count: 1, group: 'service:web' }));
    assert.deepEqual(twice.tasks, [], 'a task is placed once');
  });
});
