// The fargate-pending reconciler as server.ts wires it: the runner on the real cluster
// state and store, the real placer, the Fargate pool with one host, a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE, taskRecord } from '../cluster/testing.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import { writeSpotSettings } from '../core/ecs/spot-settings.ts';
import { buildTaskDefinition, type ContainerDefinition } from '../core/ecs/task-definition.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { createPlacer } from '../scheduler/placer.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { fargatePendingReconciler, PENDING_RETRY_MS } from './fargate-pending.ts';
import { createControllerRunner } from './runner.ts';
import { ManualClock } from './testing/harness.ts';

const POOL = fargatePoolScope(SCOPE.region);
const id = (n: number) => n.toString(16).padStart(32, '0');

test('with the real state and placer: a waiting FARGATE_SPOT task is placed once its zone gets spot room; one stopped before that is STOPPED', async () => {
  const store = await openSqliteStore(':memory:');
  const clock = new ManualClock();
  const td = buildTaskDefinition(SCOPE, { family: 'web', containerDefinitions: [{ name: 'app', image: 'busybox', essential: true } as ContainerDefinition], networkMode: 'awsvpc', cpu: '256', memory: '512' }, 1, 1_700_000_000, 'arn:aws:iam::123456789012:root');
  const waitingTask = (n: number, desiredStatus: 'RUNNING' | 'STOPPED'): TaskRecord => ({
    ...taskRecord('c', id(n), { awsvpc: true, group: 'service:web', lastStatus: 'PROVISIONING', desiredStatus }),
    launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT', ...(desiredStatus === 'STOPPED' && { stopCode: 'UserInitiated', stoppedReason: 'changed my mind' }),
  });
  await writeSpotSettings(store, SCOPE.region, { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 0 } }, clock.now());
  await store.txn({ ops: [
    clusterOp(FARGATE_POOL_CLUSTER, POOL), instanceOp(FARGATE_POOL_CLUSTER, id(100), { scope: POOL, cpu: 1024, memory: 2048 }),
    clusterOp('c'), putOp(keys.taskDefinition(SCOPE, 'web', 1), td),
    putOp(keys.task(SCOPE, 'c', id(1)), waitingTask(1, 'RUNNING')), putOp(keys.task(SCOPE, 'c', id(2)), waitingTask(2, 'STOPPED')),
  ] });
  const state = createClusterState(store);
  await state.ready();
  const placer = createPlacer({ store, state, ids: { taskId: () => randomBytes(16).toString('hex'), uuid: randomUUID }, rng: Math.random });
  const logs: string[] = [];
  const runner = createControllerRunner({ store, state, placer, reconcilers: [fargatePendingReconciler()], jobs: [], log: (l) => logs.push(l), now: clock.now, timers: clock });
  try {
    runner.start();
    const settle = async () => { await runner.idle(); await new Promise((r) => setTimeout(r, 20)); await runner.idle(); };
    const read = async (n: number) => JSON.parse((await store.get(keys.task(SCOPE, 'c', id(n))))!.value) as TaskRecord;
    await clock.advance(0, settle);
    assert.equal(runner.leader, true);
    await clock.advance(PENDING_RETRY_MS, settle);
    assert.equal((await read(1)).containerInstanceArn, undefined, 'no spot room in the only zone: it waits');
    assert.deepEqual([(await read(2)).lastStatus, (await read(2)).stoppedReason], ['STOPPED', 'changed my mind']);

    // The operator raises the zone's spot capacity: nothing in cluster c changes, the retry sees it.
    await writeSpotSettings(store, SCOPE.region, { interruptionsPerHour: 0, seed: 1, capacity: { 'us-east-1a': 1 } }, clock.now());
    await clock.advance(PENDING_RETRY_MS, settle);
    const placed = await read(1);
    assert.match(placed.containerInstanceArn ?? '', new RegExp(`container-instance/${FARGATE_POOL_CLUSTER}/${id(100)}$`));
    assert.equal(placed.availabilityZone, 'us-east-1a');
    assert.equal(placed.lastStatus, 'PROVISIONING', 'now its agent takes it from here');
    assert.equal(state.placementSnapshot({ scope: POOL, cluster: FARGATE_POOL_CLUSTER }).instances[0]!.cpu, 1024 - 256, 'it counts on its pool host');
    assert.deepEqual(logs.filter((l) => !l.includes('leads')), []);
  } finally {
    await runner.close();
    state.close();
    await store.close();
  }
});
