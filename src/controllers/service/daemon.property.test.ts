/**
 * DAEMON under churn, randomized (fast-check, seeded): instances join, drain and leave at
 * random times while tasks start at random speeds. After every pass no instance holds two
 * of the daemon's tasks, none is started on an instance that is not ACTIVE, and once the
 * churn stops every ACTIVE instance runs exactly one healthy task and the service is steady.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn } from './testing/builders.ts';

const V1 = taskDefinitionArn('agent', 1);
const RUNS = 100;
const SEED = Number(process.env.BERTH_PROPERTY_SEED ?? 1414);

const churn = fc.record({
  initial: fc.integer({ min: 0, max: 4 }),
  changes: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 120_000 }), kind: fc.constantFrom('join', 'drain', 'leave', 'activate'), pick: fc.nat() }), { maxLength: 8 }),
  maxStartMs: fc.integer({ min: 100, max: 20_000 }),
  stepMs: fc.integer({ min: 200, max: 4000 }),
});

test(`DAEMON: ${RUNS} randomized runs of instances joining, draining and leaving`, () => {
  fc.assert(
    fc.property(churn, (c) => {
      const h = new Harness(() => 0.5);
      h.behaviours.set(V1, behaviours.good({ startDelayMs: () => c.maxStartMs }));
      let next = 0;
      for (; next < c.initial; next++) h.addInstance(instance({ id: `i${next}` }));
      h.putService(service({ name: 'agent', schedulingStrategy: 'DAEMON', taskDefinition: V1 }));
      const changes = [...c.changes].sort((a, b) => a.atMs - b.atMs);
      const start = h.now;
      const apply = () => {
        while (changes.length && start + changes[0]!.atMs <= h.now) {
          const ch = changes.shift()!;
          const ids = h.instances.map((i) => i.record.containerInstanceArn.slice(i.record.containerInstanceArn.lastIndexOf('/') + 1));
          if (ch.kind === 'join') h.addInstance(instance({ id: `i${next++}` }));
          else if (ids.length) h.setInstance(ids[ch.pick % ids.length]!, { status: ch.kind === 'drain' ? 'DRAINING' : ch.kind === 'leave' ? 'INACTIVE' : 'ACTIVE' });
        }
      };
      const done = h.run({
        until: () => changes.length === 0 && h.service('agent').steady === true,
        stepMs: () => {
          apply();
          return c.stepMs;
        },
        maxMs: 3_600_000,
        observe: () => {
          const holding = new Map<string, number>();
          for (const t of h.taskList()) {
            if (t.lastStatus === 'STOPPED') continue;
            holding.set(t.containerInstanceArn!, (holding.get(t.containerInstanceArn!) ?? 0) + 1);
          }
          for (const [arn, n] of holding) assert.ok(n <= 1, `${n} daemon tasks on ${arn}`);
        },
      });
      assert.ok(done, 'the daemon settles once the churn stops');
      assert.deepEqual(h.violations, []);
      const active = h.instances.filter((i) => i.record.status === 'ACTIVE').map((i) => i.record.containerInstanceArn);
      const live = h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
      assert.deepEqual(live.map((t) => t.containerInstanceArn).sort(), [...active].sort());
      assert.ok(live.every((t) => h.isHealthy(t)));
      assert.equal(h.service('agent').desiredCount, active.length);
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
