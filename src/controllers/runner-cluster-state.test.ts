// The runner on the real cluster state (watch-fed, src/cluster) and the real store, with
// the instance-health reconciler: what server.ts wires, with a manual clock for the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISCONNECT_GRACE_MS } from '../agent/protocol.ts';
import { createClusterState } from '../cluster/cluster-state.ts';
import { clusterOp, instanceRecord, putOp, SCOPE, taskOp } from '../cluster/testing.ts';
import { keys } from '../core/ecs/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { instanceHealthReconciler } from './instance-health.ts';
import { createControllerRunner } from './runner.ts';
import { ManualClock, RecordingPlacer } from './testing/harness.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');

test('with the real cluster state: a lost instance is shown disconnected and its service task stopped once the grace period has passed', async () => {
  const store = await openSqliteStore(':memory:');
  const clock = new ManualClock();
  const inst = { ...instanceRecord('c', id(1)), agentDisconnectedAt: clock.now() };
  await store.txn({ ops: [clusterOp('c'), putOp(keys.containerInstance(SCOPE, 'c', id(1)), inst),
    taskOp('c', id(2), { instance: id(1), group: 'service:web', lastStatus: 'RUNNING' }),
    taskOp('c', id(3), { instance: id(1), lastStatus: 'RUNNING' })] });
  const state = createClusterState(store);
  await state.ready();
  const logs: string[] = [];
  const runner = createControllerRunner({ store, state, placer: new RecordingPlacer(), reconcilers: [instanceHealthReconciler()], jobs: [], log: (l) => logs.push(l), now: clock.now, timers: clock });
  runner.start();
  const settle = async () => { await runner.idle(); await new Promise((r) => setTimeout(r, 20)); await runner.idle(); };
  const read = async (key: string) => JSON.parse((await store.get(key))!.value) as Record<string, unknown>;
  await clock.advance(0, settle);
  assert.equal(runner.leader, true);
  await clock.advance(DISCONNECT_GRACE_MS - 1, settle);
  assert.equal((await read(keys.containerInstance(SCOPE, 'c', id(1)))).agentConnected, true, 'not before the grace period ends');
  await clock.advance(1, settle);
  // The task write and the instance write land in one pass or two (the second after the state caught up).
  await clock.advance(1_000, settle);
  assert.equal((await read(keys.containerInstance(SCOPE, 'c', id(1)))).agentConnected, false);
  assert.equal((await read(keys.task(SCOPE, 'c', id(2)))).lastStatus, 'STOPPED');
  assert.equal((await read(keys.task(SCOPE, 'c', id(3)))).lastStatus, 'RUNNING');
  assert.deepEqual(logs.filter((l) => !l.includes('leads')), []);
  await runner.close();
  state.close();
  await store.close();
});
