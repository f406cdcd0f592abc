import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { instanceOp, putOp, SCOPE } from '../cluster/testing.ts';
import { newCluster } from '../core/ecs/cluster.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope, HOST_ATTRIBUTE } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { buildTaskDefinition, type ContainerDefinition, type TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import type { Launch, LaunchResult } from './launch.ts';
import { createPlacer } from './placer.ts';
import { FARGATE_CAPACITY_UNAVAILABLE } from './placer-fargate.ts';
import { highest, siblingConditions } from './placer-siblings.ts';

const POOL = fargatePoolScope(SCOPE.region);
const ids = { taskId: () => randomBytes(16).toString('hex'), uuid: () => randomUUID() };
const HOST = [{ name: HOST_ATTRIBUTE, value: 'H' }];
/** The host: 2048 CPU units and 4096 MiB, registered twice; room for 8 tasks of 256/512 in all. */
const CPU = 2048;
const MEMORY = 4096;

function definition(family: string, fargate: boolean): TaskDefinitionRecord {
  const c = { name: 'app', image: 'busybox', essential: true, ...(!fargate && { cpu: 256, memory: 512 }) } as ContainerDefinition;
  return buildTaskDefinition(SCOPE, {
    family, containerDefinitions: [c],
    ...(fargate && { networkMode: 'awsvpc', cpu: '256', memory: '512', requiresCompatibilities: ['FARGATE'] }),
  }, 1, 1_700_000_000, `arn:aws:iam::${SCOPE.account}:root`);
}

const ec2 = definition('ec2', false);
const fargate = definition('fg', true);

const launch = (td: TaskDefinitionRecord, o: Partial<Launch>): Launch => ({
  scope: SCOPE, cluster: 'a', taskDefinitionArn: td.taskDefinitionArn, resolved: td, count: 1, now: 1_700_000_100, ...o,
});
const ec2Launch = (count: number) => launch(ec2, { launchType: 'EC2', count });
const fargateLaunch = (count: number) => launch(fargate, { launchType: 'FARGATE', count, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } });

/** One store, a host in cluster a and in the pool, and two control planes (a placer and a state each). */
async function withDualHost(fn: (w: { store: Store; placers: ReturnType<typeof createPlacer>[]; siblingLosses: () => number }) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  const states = [createClusterState(store), createClusterState(store)];
  try {
    await store.txn({ ops: [
      putOp(keys.cluster(POOL, FARGATE_POOL_CLUSTER), newCluster(POOL, { clusterName: FARGATE_POOL_CLUSTER, tags: [], settings: [] }, 1_700_000_000)),
      putOp(keys.cluster(SCOPE, 'a'), newCluster(SCOPE, { clusterName: 'a', tags: [], settings: [], capacityProviders: ['FARGATE'] }, 1_700_000_000)),
      instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, cpu: CPU, memory: MEMORY, attributes: HOST }),
      instanceOp('a', 'i1', { cpu: CPU, memory: MEMORY, attributes: HOST }),
    ] });
    await Promise.all(states.map((s) => s.ready()));
    // Counts commits lost on the OTHER side's epoch: proof the two sides raced for one host.
    let siblingLosses = 0;
    const counting: Store = {
      get: (k) => store.get(k), modRevision: (k) => store.modRevision(k), list: (p, o) => store.list(p, o),
      watch: (p, r, l) => store.watch(p, r, l), revision: () => store.revision(), close: () => store.close(),
      txn: async (t) => {
        const r = await store.txn(t);
        // A placement epoch the commit held but does not bump: the other registration's cluster's.
        const bumped = new Set((t.ops ?? []).map((op) => ('key' in op ? op.key : '')));
        if (!r.ok && r.failed.some((k) => k.includes('/placement/') && !bumped.has(k))) siblingLosses++;
        return r;
      },
    };
    const placers = states.map((state) => createPlacer({ store: counting, state, ids, rng: Math.random }));
    await fn({ store, placers, siblingLosses: () => siblingLosses });
  } finally {
    for (const s of states) s.close();
    await store.close();
  }
}

async function heldOnHost(store: Store): Promise<{ cpu: number; memory: number; ec2: number; fargate: number }> {
  const tasks = (await store.list(keys.tasks(SCOPE, 'a'))).items.map((kv) => JSON.parse(kv.value) as TaskRecord);
  const placed = tasks.filter((t) => t.containerInstanceArn !== undefined && t.lastStatus !== 'STOPPED');
  return {
    cpu: placed.reduce((s, t) => s + Number(t.cpu), 0),
    memory: placed.reduce((s, t) => s + Number(t.memory), 0),
    ec2: placed.filter((t) => t.launchType === 'EC2').length,
    fargate: placed.filter((t) => t.launchType === 'FARGATE').length,
  };
}

test('EC2 and Fargate launches racing from two control planes on one host registered twice never book it past its capacity', async () => {
  let raced = 0;
  for (let round = 0; round < 6; round++) {
    await withDualHost(async ({ store, placers, siblingLosses }) => {
      // 24 tasks asked for, half EC2 and half Fargate, interleaved over both placers: room for 8.
      const asks: Promise<LaunchResult>[] = [];
      for (let i = 0; i < 12; i++) {
        asks.push(placers[i % 2]!.launch(ec2Launch(1)));
        asks.push(placers[(i + 1) % 2]!.launch(fargateLaunch(1)));
      }
      const results = await Promise.all(asks);
      const held = await heldOnHost(store);
      assert.ok(held.cpu <= CPU && held.memory <= MEMORY, `round ${round}: the host holds ${held.cpu} CPU units and ${held.memory} MiB of ${CPU} and ${MEMORY}`);
      assert.equal(held.ec2 + held.fargate, 8, `round ${round}: every slot used, none twice (${held.ec2} EC2, ${held.fargate} Fargate)`);
      assert.equal(results.reduce((s, r) => s + r.tasks.length, 0), 8);
      // What found no room says so as AWS does: EC2 with RESOURCE:*, Fargate with its capacity message.
      const reasons = new Set(results.flatMap((r) => r.failures.map((f) => f.reason)));
      for (const reason of reasons) assert.ok(reason === FARGATE_CAPACITY_UNAVAILABLE || reason!.startsWith('RESOURCE:'), reason);
      raced += siblingLosses();
    });
  }
  assert.ok(raced > 0, 'some commit lost on the other registration\'s epoch: the two sides did race');
});

test('a host full of EC2 tasks refuses a Fargate task, and the reverse', async () => {
  await withDualHost(async ({ store, placers }) => {
    const full = await placers[0]!.launch(ec2Launch(8));
    assert.equal(full.tasks.length, 8);
    const none = await placers[1]!.launch(fargateLaunch(1));
    assert.deepEqual(none.tasks, []);
    assert.deepEqual(none.failures.map((f) => f.reason), [FARGATE_CAPACITY_UNAVAILABLE]);
    assert.equal((await heldOnHost(store)).fargate, 0);
  });
  await withDualHost(async ({ placers }) => {
    const full = await placers[0]!.launch(fargateLaunch(8));
    assert.equal(full.tasks.length, 8);
    const none = await placers[1]!.launch(ec2Launch(1));
    assert.deepEqual(none.tasks, []);
    assert.deepEqual(none.failures.map((f) => f.reason), ['RESOURCE:CPU']);
  });
});

test('sibling conditions: the epochs read of the clusters sharing the hosts placed on; a sibling not read means retry', () => {
  const ref = (cluster: string, scope: Scope = SCOPE) => ({ scope, cluster });
  const state = { siblingClusters: (_: unknown, arns?: Iterable<string>) => (arns && [...arns].includes('x') ? [ref('pool', POOL)] : []) };
  const poolEpoch = keys.placementEpoch(POOL, 'pool');
  assert.deepEqual(siblingConditions(state, ref('a'), new Set(['x']), new Map([[poolEpoch, 7]])), [{ key: poolEpoch, modRevision: 7 }]);
  assert.deepEqual(siblingConditions(state, ref('a'), new Set(['y']), new Map([[poolEpoch, 7]])), [], 'a lone instance holds no other epoch');
  assert.equal(siblingConditions(state, ref('a'), new Set(['x']), new Map()), undefined);
  assert.equal(highest(new Map([[poolEpoch, 7], ['k', 9]])), 9);
});
