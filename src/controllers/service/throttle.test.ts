import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailures, current, delaySeconds, holds, THROTTLE_MAX_SECONDS } from './throttle.ts';
import { service } from './testing/builders.ts';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, taskDefinitionArn, updateService } from './testing/builders.ts';

test('a few failures are retried at once; then the delay doubles up to ECS\'s 27 minutes', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(delaySeconds), [0, 0, 0, 15, 30, 60, 120]);
  assert.equal(delaySeconds(50), THROTTLE_MAX_SECONDS);
  assert.equal(THROTTLE_MAX_SECONDS, 27 * 60);
});

test('the throttle begins once, holds until its time, and belongs to one deployment', () => {
  const a = afterFailures(undefined, 'ecs-svc/1', 2, 1000);
  assert.equal(a.began, false);
  const b = afterFailures(a.throttle, 'ecs-svc/1', 1, 1010);
  assert.equal(b.began, true);
  assert.deepEqual(b.throttle, { consecutiveFailures: 3, nextLaunchAt: 1025, deploymentId: 'ecs-svc/1' });
  assert.equal(afterFailures(b.throttle, 'ecs-svc/1', 1, 1030).began, false, 'said once per episode');
  assert.ok(holds(b.throttle, 1024) && !holds(b.throttle, 1025));
  const r = { ...service(), throttle: b.throttle };
  assert.deepEqual(current(r, 'ecs-svc/1'), b.throttle);
  assert.equal(current(r, 'ecs-svc/2'), undefined, 'a new deployment starts unthrottled');
});

test('tasks that keep failing to start are throttled; a new task definition starts at once', () => {
  const V1 = taskDefinitionArn('web', 1);
  const V2 = taskDefinitionArn('web', 2);
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0' }));
  h.behaviours.set(V1, behaviours.badImage());
  h.behaviours.set(V2, behaviours.good());
  h.putService(service({ desiredCount: 1 }));
  h.run({ until: () => false, maxMs: 1_200_000, stepMs: 1000 });
  const attempts = h.tasks.size;
  // Unthrottled it would be one attempt every ~3 s: 400 in 20 minutes.
  assert.ok(attempts >= 4 && attempts < 20, `${attempts} attempts`);
  assert.ok(h.service().events.some((e) => e.message.startsWith('(service web) is unable to consistently start tasks successfully.')));
  const wake = h.lastResult.wakeAt;
  assert.ok(wake !== undefined && wake === h.service().throttle!.nextLaunchAt * 1000, 'wakes when the throttle lets go');
  h.putService(updateService(h.service(), { taskDefinition: V2, deploymentId: 'ecs-svc/0000000000000000002', nowSeconds: h.now / 1000 }));
  h.pass();
  assert.ok(h.taskList().some((t) => t.taskDefinitionArn === V2), 'the new deployment launches at once');
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 120_000 }));
  assert.equal(h.service().throttle, undefined);
});

test('a steady service whose tasks start failing later is throttled too, and its deployment stays COMPLETED', () => {
  const V1 = taskDefinitionArn('web', 1);
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0' }));
  h.behaviours.set(V1, behaviours.good());
  h.putService(service({ desiredCount: 2, circuitBreaker: { enable: true, rollback: true } }));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  // The image is gone from the registry: every new task fails to pull.
  h.behaviours.set(V1, behaviours.badImage());
  for (const t of h.tasks.values()) t.summary = { ...t.summary, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: h.now / 1000, stopCode: 'EssentialContainerExited' };
  h.run({ until: () => false, maxMs: 1_200_000, stepMs: 1000 });
  assert.ok(h.tasks.size < 30, `${h.tasks.size} tasks in 20 minutes`);
  assert.ok(h.service().events.some((e) => e.message.startsWith('(service web) is unable to consistently start tasks successfully.')));
  assert.deepEqual(h.service().deployments.map((d) => [d.rolloutState, d.failedTasks]), [['COMPLETED', 0]]);
});
