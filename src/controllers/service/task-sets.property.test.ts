/**
 * The task set controller's promise, over 100 randomized runs (fast-check, seeded so a
 * failure reproduces): an EXTERNAL service with two or three task sets, whose scales, the
 * service's desiredCount and the primary change at random moments while tasks start at
 * random speeds, some fail to start, and instances drain. Once the changes stop, the
 * reconciler settles: every set is STEADY_STATE with exactly its computed count of live
 * tasks (desiredCount × scale, rounded up), each of its own task definition, none on a
 * DRAINING instance, and no task of the service belongs to no set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../../lib/seeded-random.ts';
import { makePrimary, scaleTaskSet } from '../../core/ecs/task-set-lifecycle.ts';
import { computedDesiredCount } from '../../core/ecs/task-set.ts';
import { Harness } from './testing/harness.ts';
import { externalService, instance, taskDefinitionArn, taskSet, type Behaviour } from './testing/builders.ts';

const RUNS = 100;
/** Fixed so a failure reproduces; BERTH_PROPERTY_SEED explores others. */
const SEED = Number(process.env.BERTH_PROPERTY_SEED ?? 1414);
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const SET_IDS = ['ecs-svc/0000000000000000011', 'ecs-svc/0000000000000000022', 'ecs-svc/0000000000000000033'];

const change = fc.record({
  atMs: fc.integer({ min: 0, max: 60_000 }),
  kind: fc.constantFrom('scale', 'desired', 'primary', 'drain'),
  set: fc.integer({ min: 0, max: 2 }),
  value: fc.integer({ min: 0, max: 100 }),
});

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  sets: fc.integer({ min: 2, max: 3 }),
  desired: fc.integer({ min: 0, max: 8 }),
  scales: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 3, maxLength: 3 }),
  maxStartMs: fc.integer({ min: 500, max: 20_000 }),
  failureRate: fc.constantFrom(0, 0, 0.1),
  changes: fc.array(change, { maxLength: 6 }),
  stepMs: fc.integer({ min: 200, max: 3000 }),
});

test(`task sets: ${RUNS} randomized runs of scale, desired count and primary changes settle at every set's computed count`, () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const h = new Harness(seededRandom(s.seed));
      // 6 instances × 10 places: room for every set at 100 % of 8, with one drained.
      for (let i = 0; i < 6; i++) h.addInstance(instance({ id: `i${i}`, zone: ZONES[i % 3], cpu: 256 * 10, memory: 512 * 10 }));
      for (let n = 1; n <= 3; n++) {
        const b: Behaviour = {
          cpu: 256, memory: 512, healthChecked: false,
          startDelayMs: (r) => 100 + Math.floor(r() * s.maxStartMs),
          // Some starts fail: the set is throttled a while, and the next start that succeeds ends it.
          outcome: (r) => (r() < s.failureRate ? 'failToStart' : 'run'),
        };
        h.behaviours.set(taskDefinitionArn('web', n), b);
      }
      const ids = SET_IDS.slice(0, s.sets);
      h.putService(externalService({
        desiredCount: s.desired,
        taskSets: ids.map((id, i) => taskSet({ id, scale: s.scales[i]!, taskDefinition: taskDefinitionArn('web', i + 1), ...(i === 0 && { status: 'PRIMARY' as const }) })),
      }));
      const start = h.now;
      const pending = [...s.changes].sort((a, b) => a.atMs - b.atMs);
      let drained = 0;
      const apply = (c: (typeof pending)[number]) => {
        const id = ids[c.set % ids.length]!;
        const now = h.now / 1000;
        if (c.kind === 'scale') h.putService(scaleTaskSet(h.service(), id, { value: c.value, unit: 'PERCENT' }, now));
        else if (c.kind === 'desired') h.putService({ ...h.service(), desiredCount: c.value % 9 });
        else if (c.kind === 'primary') h.putService(makePrimary(h.service(), id, now));
        else if (drained < 1) h.setInstance(`i${drained++}`, { status: 'DRAINING' });
      };
      const settled = () => {
        if (pending.length) return false;
        const svc = h.service();
        return (svc.taskSets ?? []).every((t) => t.stabilityStatus === 'STEADY_STATE');
      };
      const done = h.run({
        until: settled,
        stepMs: () => {
          while (pending.length && start + pending[0]!.atMs <= h.now) apply(pending.shift()!);
          return s.stepMs;
        },
        maxMs: 3 * 3_600_000,
      });
      assert.ok(done, 'the task sets settle');
      const svc = h.service();
      const live = h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
      for (const set of svc.taskSets ?? []) {
        const mine = live.filter((t) => t.startedBy === set.id);
        assert.equal(mine.length, computedDesiredCount(svc.desiredCount, set.scale), `set ${set.id} at ${set.scale.value} % of ${svc.desiredCount}`);
        assert.ok(mine.every((t) => t.taskDefinitionArn === set.taskDefinition && t.lastStatus === 'RUNNING'));
      }
      assert.ok(live.every((t) => ids.includes(t.startedBy ?? '')), 'no task belongs to no set');
      const onDrained = live.filter((t) => h.instances.find((i) => i.record.containerInstanceArn === t.containerInstanceArn)!.record.status !== 'ACTIVE');
      assert.deepEqual(onDrained, [], 'nothing left on a draining instance');
      assert.equal(svc.taskSets!.filter((t) => t.status === 'PRIMARY').length, 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
