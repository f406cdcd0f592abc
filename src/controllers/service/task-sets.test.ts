import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainService } from '../../core/ecs/service-lifecycle.ts';
import { drainTaskSet, makePrimary, scaleTaskSet } from '../../core/ecs/task-set-lifecycle.ts';
import type { TaskSetRecord } from '../../core/ecs/task-set.ts';
import { Harness } from './testing/harness.ts';
import { behaviours, externalService, instance, taskDefinitionArn, taskSet } from './testing/builders.ts';

const A = 'ecs-svc/0000000000000000011';
const B = 'ecs-svc/0000000000000000022';
const pct = (value: number) => ({ value, unit: 'PERCENT' as const });

function cluster(instances = 2): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < instances; i++) h.addInstance(instance({ id: `i${i}`, zone: `us-east-1${'abc'[i % 3]}` }));
  h.behaviours.set(taskDefinitionArn('web', 1), behaviours.good());
  h.behaviours.set(taskDefinitionArn('web', 2), behaviours.good());
  return h;
}

/** Tasks of a set desired RUNNING and not yet STOPPED. */
const live = (h: Harness, id: string) => h.taskList().filter((t) => t.startedBy === id && t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED').length;
const holding = (h: Harness, id: string) => h.taskList().filter((t) => t.startedBy === id && t.lastStatus !== 'STOPPED').length;
const setOf = (h: Harness, id: string): TaskSetRecord | undefined => h.service().taskSets?.find((t) => t.id === id);
const stable = (h: Harness) => (h.service().taskSets ?? []).every((t) => t.stabilityStatus === 'STEADY_STATE');
const messages = (h: Harness) => h.service().events.map((e) => e.message);

test('each task set runs its scale of the desired count, rounded up, with no rolling limits between sets', () => {
  const h = cluster();
  h.putService(externalService({ desiredCount: 4, taskSets: [taskSet({ id: A, status: 'PRIMARY' }), taskSet({ id: B, scale: 50, taskDefinition: taskDefinitionArn('web', 2) })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  assert.deepEqual([live(h, A), live(h, B)], [4, 2]);
  assert.ok(h.taskList().filter((t) => t.startedBy === B).every((t) => t.taskDefinitionArn === taskDefinitionArn('web', 2) && t.group === 'service:web'));
  assert.equal(messages(h).filter((m) => m === '(service web) has reached a steady state.').length, 1);
  assert.ok(setOf(h, A)!.stabilityStatusAt > 0);

  // The controller shifts everything to B at once: 100 percent of 4 beside the 4 of A, no ceiling.
  h.putService(scaleTaskSet(h.service(), B, pct(100), h.now / 1000));
  h.pass();
  assert.equal(live(h, B) + live(h, A), 8);
  assert.equal(setOf(h, B)!.stabilityStatus, 'STABILIZING');
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));

  h.putService(makePrimary(h.service(), B, h.now / 1000));
  h.putService(scaleTaskSet(h.service(), A, pct(0), h.now / 1000));
  assert.ok(h.run({ until: () => holding(h, A) === 0 && stable(h), maxMs: 60_000 }));
  assert.ok(messages(h).some((m) => new RegExp(`^\\(service web, taskSet ${A}\\) has stopped 4 running tasks: (\\(task t\\d+\\) ?){4}\\.$`).test(m)), messages(h).join('\n'));
  assert.ok(messages(h).some((m) => new RegExp(`^\\(service web, taskSet ${B}\\) has started 2 tasks: `).test(m)), messages(h).join('\n'));
  assert.deepEqual([setOf(h, A)!.status, setOf(h, B)!.status, live(h, B)], ['ACTIVE', 'PRIMARY', 4]);

  // The service's desiredCount moves every set: 6 × 100 % on B.
  h.putService({ ...h.service(), desiredCount: 6 });
  assert.ok(h.run({ until: () => live(h, B) === 6 && stable(h), maxMs: 60_000 }));
});

test('scale rounds up: 3 tasks × 50 percent is 2', () => {
  const h = cluster();
  h.putService(externalService({ desiredCount: 3, taskSets: [taskSet({ id: A, scale: 50 })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  assert.equal(live(h, A), 2);
});

test('a deleted task set drains its tasks and is dropped; a set at 0 percent is steady with none', () => {
  const h = cluster();
  h.putService(externalService({ desiredCount: 2, taskSets: [taskSet({ id: A, status: 'PRIMARY' }), taskSet({ id: B, scale: 0 })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  assert.deepEqual([live(h, A), live(h, B), setOf(h, B)!.stabilityStatus], [2, 0, 'STEADY_STATE']);
  h.putService(drainTaskSet(h.service(), A, true, h.now / 1000));
  assert.equal(h.service().taskDefinition, '');
  h.pass();
  assert.equal(setOf(h, A)?.status, 'DRAINING');
  assert.ok(h.run({ until: () => setOf(h, A) === undefined, maxMs: 60_000 }));
  assert.equal(holding(h, A), 0);
  assert.deepEqual(h.service().taskSets!.map((t) => t.id), [B]);
});

test('a deleted service drains every task set, then is INACTIVE', () => {
  const h = cluster();
  h.putService(externalService({ desiredCount: 2, taskSets: [taskSet({ id: A, status: 'PRIMARY' }), taskSet({ id: B, scale: 50 })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  h.putService(drainService(h.service(), true, h.now / 1000));
  assert.ok(h.run({ until: () => h.service().status === 'INACTIVE', maxMs: 60_000 }));
  assert.deepEqual([holding(h, A), holding(h, B), h.service().taskSets], [0, 0, []]);
});

test('a task on a DRAINING instance is replaced on another', () => {
  const h = cluster(2);
  h.putService(externalService({ desiredCount: 2, taskSets: [taskSet({ id: A, status: 'PRIMARY' })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  h.setInstance('i0', { status: 'DRAINING' });
  assert.ok(h.run({ until: () => stable(h) && holding(h, A) === 2, maxMs: 60_000 }));
  const on = h.taskList().filter((t) => t.startedBy === A && t.lastStatus !== 'STOPPED').map((t) => t.containerInstanceArn!.split('/').pop());
  assert.deepEqual(on, ['i1', 'i1']);
});

test('a task set whose tasks fail to start is throttled as a deployment is, and says so once', () => {
  const h = cluster(1);
  h.behaviours.set(taskDefinitionArn('bad', 1), behaviours.badImage());
  h.putService(externalService({ desiredCount: 1, taskSets: [taskSet({ id: A, taskDefinition: taskDefinitionArn('bad', 1) })] }));
  h.run({ until: () => false, maxMs: 120_000 });
  const throttled = messages(h).filter((m) => m.startsWith('(service web) is unable to consistently start tasks successfully.'));
  assert.equal(throttled.length, 1);
  assert.equal(h.service().throttle?.deploymentId, A);
  // Unthrottled it would launch every 3 s (40 in 2 minutes); the back-off keeps it to a few.
  const launched = h.taskList().filter((t) => t.startedBy === A).length;
  assert.ok(launched >= 3 && launched < 12, `launched ${launched}`);
  assert.ok(h.lastResult.wakeAt === undefined || h.lastResult.wakeAt > h.now);
});

test('tasks of a task set that is no longer the service\'s are stopped', () => {
  const h = cluster();
  h.putService(externalService({ desiredCount: 1, taskSets: [taskSet({ id: A })] }));
  assert.ok(h.run({ until: () => stable(h), maxMs: 60_000 }));
  h.putService({ ...h.service(), taskSets: [] });
  assert.ok(h.run({ until: () => holding(h, A) === 0, maxMs: 60_000 }));
});
