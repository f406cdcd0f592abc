import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn, updateService } from './testing/builders.ts';
import { failureThreshold } from './circuit-breaker.ts';

const V1 = taskDefinitionArn('web', 1);
const BAD = taskDefinitionArn('web', 2);
const NEW_ID = 'ecs-svc/0000000000000000002';

function cluster(): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < 4; i++) h.addInstance(instance({ id: `i${i}`, zone: ['us-east-1a', 'us-east-1b'][i % 2], cpu: 256 * 8, memory: 512 * 8 }));
  h.behaviours.set(V1, behaviours.good());
  return h;
}

const messages = (h: Harness) => h.service().events.map((e) => e.message);
const live = (h: Harness, td: string) => h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED' && t.taskDefinitionArn === td);

function deployBad(h: Harness, count: number, rollback: boolean, firstCompleted = true): string {
  h.putService(service({ desiredCount: count, circuitBreaker: { enable: true, rollback } }));
  if (firstCompleted) assert.ok(h.run({ until: () => h.service().steady === true }));
  const first = h.service().deployments[0]!.id;
  h.putService(updateService(h.service(), { taskDefinition: BAD, deploymentId: NEW_ID, nowSeconds: h.now / 1000 }));
  return first;
}

test('the threshold is half the desired count, at least 3 and at most 200', () => {
  assert.deepEqual([0, 1, 5, 6, 7, 10, 399, 400, 401, 1000].map(failureThreshold), [3, 3, 3, 3, 4, 5, 200, 200, 200, 200]);
});

test('bad image: the deployment fails after the threshold of tasks that never reach RUNNING, and rolls back to the last COMPLETED one', () => {
  const h = cluster();
  h.behaviours.set(BAD, behaviours.badImage());
  const first = deployBad(h, 6, true);
  const failedAt = (): boolean => h.service().deployments.some((d) => d.id === NEW_ID && d.rolloutState === 'FAILED');
  assert.ok(h.run({ until: failedAt, maxMs: 3_600_000 }));
  const s = h.service();
  const failed = s.deployments.find((d) => d.id === NEW_ID)!;
  assert.equal(failed.status, 'ACTIVE');
  assert.equal(failed.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(failed.failedTasks >= failureThreshold(6));
  const rollback = s.deployments[0]!;
  assert.equal(rollback.status, 'PRIMARY');
  assert.equal(rollback.taskDefinition, V1);
  assert.equal(rollback.rolloutState, 'IN_PROGRESS');
  assert.equal(rollback.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${first}.`);
  assert.equal(s.taskDefinition, V1);
  assert.deepEqual(messages(h).slice(0, 2), [
    `(service web) rolling back to deployment ${first}.`,
    `(service web) (deployment ${NEW_ID}) deployment failed: tasks failed to start.`,
  ]);
  // The old tasks kept serving throughout (min 100%), and the rollback completes.
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 3_600_000 }));
  const done = h.service();
  assert.deepEqual(done.deployments.map((d) => [d.status, d.rolloutState, d.taskDefinition]), [['PRIMARY', 'COMPLETED', V1]]);
  assert.equal(live(h, V1).length, 6);
  assert.deepEqual(h.violations, []);
});

test('bad health check: tasks reach RUNNING, fail their health checks, are replaced, and the breaker trips at stage 2', () => {
  const h = cluster();
  h.behaviours.set(BAD, behaviours.badHealthCheck());
  const first = deployBad(h, 4, true);
  h.putService({ ...h.service(), healthCheckGracePeriodSeconds: 5 });
  assert.ok(h.run({ until: () => h.service().deployments.some((d) => d.id === NEW_ID && d.rolloutState === 'FAILED'), maxMs: 3_600_000 }));
  const s = h.service();
  const failed = s.deployments.find((d) => d.id === NEW_ID)!;
  assert.equal(failed.circuitBreakerStage, 2);
  assert.equal(failed.failedTasks, failureThreshold(4));
  const stopped = h.taskList().filter((t) => t.taskDefinitionArn === BAD && t.stoppedReason === 'Task failed container health checks');
  assert.ok(stopped.length >= 3 && stopped.every((t) => t.startedAt !== undefined && t.stopCode === 'ServiceSchedulerInitiated'));
  assert.ok(messages(h).some((m) => m === `(service web) (task ${stopped[0]!.id}) failed container health checks.`));
  assert.equal(s.deployments[0]!.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${first}.`);
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 3_600_000 }));
  assert.deepEqual(h.violations, []);
});

test('an UNHEALTHY task is left alone during the health check grace period', () => {
  const h = cluster();
  h.behaviours.set(BAD, { ...behaviours.badHealthCheck(), healthDelayMs: () => 1000 });
  deployBad(h, 1, false);
  h.putService({ ...h.service(), healthCheckGracePeriodSeconds: 120 });
  h.run({ until: () => h.taskList().some((t) => t.taskDefinitionArn === BAD && t.healthStatus === 'UNHEALTHY'), maxMs: 60_000 });
  const sick = h.taskList().find((t) => t.taskDefinitionArn === BAD && t.healthStatus === 'UNHEALTHY')!;
  const wakeAt = (sick.startedAt! + 120) * 1000;
  h.run({ until: () => h.now >= wakeAt - 1000, maxMs: 200_000 });
  assert.equal(h.tasks.get(sick.id)!.summary.desiredStatus, 'RUNNING', 'not stopped within the grace period');
  assert.ok(h.lastResult.wakeAt !== undefined && h.lastResult.wakeAt <= wakeAt, 'asks to be woken when the grace period ends');
  h.advance(2000);
  h.pass();
  assert.equal(h.tasks.get(sick.id)!.summary.desiredStatus, 'STOPPED');
});

test('no COMPLETED deployment to go back to: the deployment fails and stalls, launching nothing more', () => {
  const h = cluster();
  h.behaviours.set(V1, behaviours.badImage());
  h.putService(service({ desiredCount: 4, circuitBreaker: { enable: true, rollback: true } }));
  assert.ok(h.run({ until: () => h.service().deployments[0]!.rolloutState === 'FAILED', maxMs: 3_600_000 }));
  const s = h.service();
  assert.equal(s.deployments.length, 1);
  assert.equal(s.deployments[0]!.status, 'PRIMARY');
  assert.equal(s.deployments[0]!.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.equal(messages(h)[0], `(service web) (deployment ${s.deployments[0]!.id}) deployment failed: tasks failed to start.`);
  const launched = h.tasks.size;
  h.run({ until: () => false, maxMs: 600_000, stepMs: 5000 });
  assert.equal(h.tasks.size, launched, 'a FAILED deployment launches no new task');
});

test('rollback off: the deployment fails, the old tasks keep running, nothing more is launched', () => {
  const h = cluster();
  h.behaviours.set(BAD, behaviours.badImage());
  deployBad(h, 4, false);
  assert.ok(h.run({ until: () => h.service().deployments[0]!.rolloutState === 'FAILED', maxMs: 3_600_000 }));
  assert.equal(h.service().deployments[0]!.id, NEW_ID);
  assert.equal(h.service().deployments[0]!.status, 'PRIMARY');
  const launched = h.tasks.size;
  h.run({ until: () => false, maxMs: 300_000, stepMs: 5000 });
  assert.equal(h.tasks.size, launched);
  assert.equal(live(h, V1).length, 4);
});
