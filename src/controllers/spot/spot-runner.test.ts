// The Spot reclaim job on the runner, the real cluster state and the real store, as
// server.ts wires it, with a manual clock: a rate set by changeSpotSettings interrupts
// running FARGATE_SPOT tasks over time, and the event of each is a TerminationNotice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, instanceOp, putOp, SCOPE, taskRecord } from '../../cluster/testing.ts';
import { keys } from '../../core/ecs/keys.ts';
import { changeSpotSettings } from '../../core/ecs/spot-settings.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { createControllerRunner } from '../runner.ts';
import { ManualClock, RecordingPlacer } from '../testing/harness.ts';
import { reclaim } from './reclaim.ts';
import { SPOT_PASS_MS, spotReclaimJob } from './spot-job.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');
const N = 40;

test('on the runner: at 20 per hour, the tasks whose draw has come are interrupted each second, exactly as the model says', async () => {
  const store = await openSqliteStore(':memory:');
  const clock = new ManualClock();
  const startedAt = clock.now() / 1000;
  const tasks: TaskRecord[] = Array.from({ length: N }, (_, i) => ({ ...taskRecord('c', id(i + 1), { instance: 'i1', lastStatus: 'RUNNING', group: 'service:web' }), startedAt, capacityProviderName: 'FARGATE_SPOT' }));
  await store.txn({ ops: [clusterOp('c'), instanceOp('c', 'i1'), ...tasks.map((t, i) => putOp(keys.task(SCOPE, 'c', id(i + 1)), t))] });
  const state = createClusterState(store);
  await state.ready();
  const logs: string[] = [];
  const runner = createControllerRunner({ store, state, placer: new RecordingPlacer(), reconcilers: [], jobs: [spotReclaimJob({ store, state })], log: (l) => logs.push(l), now: clock.now, timers: clock });
  runner.start();
  const settle = async () => { await runner.idle(); await new Promise((r) => setTimeout(r, 10)); await runner.idle(); };
  const interrupted = async () => {
    const out: string[] = [];
    for (let i = 1; i <= N; i++) {
      const t = JSON.parse((await store.get(keys.task(SCOPE, 'c', id(i))))!.value) as TaskRecord;
      if (t.stopCode === 'TerminationNotice') out.push(t.taskArn);
    }
    return out.sort();
  };
  try {
    await clock.advance(0, settle);
    const settings = await changeSpotSettings(store, 'us-east-1', { interruptionsPerHour: 20, seed: 99 }, clock.now());
    await clock.advance(3 * 60_000, settle);
    // What the model says for the same tasks, settings and time (to the last whole pass).
    const expected = reclaim(tasks.map((t) => ({ key: t.taskArn, modRevision: 1, taskArn: t.taskArn, lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const, createdAt: t.createdAt, startedAt })), settings, clock.now() - SPOT_PASS_MS)
      .interrupt.map((x) => x.task.taskArn).sort();
    const got = await interrupted();
    assert.ok(expected.every((a) => got.includes(a)), 'every draw that had come was honoured');
    assert.ok(got.length <= expected.length + 2, `${got.length} interrupted, the model says ${expected.length}`);
    assert.ok(got.length > 5 && got.length < N, `${got.length} of ${N} in three minutes at 20 per hour (expected about ${Math.round(N * (1 - Math.exp(-1)))})`);
    assert.deepEqual(logs.filter((l) => !l.includes('leads')), []);
  } finally {
    await runner.close();
    state.close();
    await store.close();
  }
});
