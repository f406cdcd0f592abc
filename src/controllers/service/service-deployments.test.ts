// Service deployments as the reconciler moves them: every record it writes passes through
// followServiceDeployments, so a deployment's ServiceDeployment status follows its
// DeploymentRecords — to SUCCESSFUL, STOPPED, or through a rollback — without a second
// state machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import { openServiceDeployment, requestRollback, type ServiceDeploymentEntry } from '../../core/ecs/service-deployment.ts';
import { captureRevision } from '../../core/ecs/service-revision.ts';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn, updateService } from './testing/builders.ts';

const V1 = taskDefinitionArn('web', 1);
const V2 = taskDefinitionArn('web', 2);
const NEW_ID = 'ecs-svc/0000000000000000002';

function cluster(): Harness {
  const h = new Harness(() => 0.5);
  for (let i = 0; i < 4; i++) h.addInstance(instance({ id: `i${i}`, zone: ['us-east-1a', 'us-east-1b'][i % 2], cpu: 256 * 8, memory: 512 * 8 }));
  h.behaviours.set(V1, behaviours.good());
  return h;
}

const entries = (h: Harness): ServiceDeploymentEntry[] => h.service().serviceDeployments ?? [];
const entry = (h: Harness, id: string): ServiceDeploymentEntry => entries(h).find((e) => e.id === id)!;

/** CreateService as the API does it: the first service deployment, PENDING, of revision r1. */
function create(h: Harness, record: ServiceRecord): void {
  h.putService(openServiceDeployment(undefined, record, { serviceDeploymentId: 'sd1', revisionId: 'r1' }, h.now / 1000));
  assert.deepEqual(entries(h).map((e) => [e.id, e.status, e.targetRevisionId, e.sourceRevisionIds]), [['sd1', 'PENDING', 'r1', []]]);
}

/** UpdateService to `td` as the API does it: service deployment sd2 of revision r2, replacing r1. */
function update(h: Harness, td: string): void {
  const before = h.service();
  h.putService(openServiceDeployment(before, updateService(before, { taskDefinition: td, deploymentId: NEW_ID, nowSeconds: h.now / 1000 }), { serviceDeploymentId: 'sd2', revisionId: 'r2' }, h.now / 1000));
}

test('a deployment goes PENDING, IN_PROGRESS, SUCCESSFUL as its DeploymentRecord completes; the next one names it as its source', () => {
  const h = cluster();
  create(h, service({ desiredCount: 3 }));
  h.pass();
  const started = entry(h, 'sd1');
  assert.equal(started.status, 'IN_PROGRESS');
  assert.equal(started.startedAt, h.now / 1000);
  assert.ok(h.run({ until: () => h.service().steady === true }));
  const done = entry(h, 'sd1');
  assert.equal(done.status, 'SUCCESSFUL');
  assert.equal(done.finishedAt, h.service().deployments[0]!.updatedAt);

  h.behaviours.set(V2, behaviours.good());
  update(h, V2);
  assert.deepEqual(entries(h).map((e) => [e.id, e.status, e.sourceRevisionIds]), [['sd2', 'PENDING', ['r1']], ['sd1', 'SUCCESSFUL', []]]);
  assert.ok(h.run({ until: () => h.service().steady === true }));
  assert.deepEqual(entries(h).map((e) => [e.id, e.status]), [['sd2', 'SUCCESSFUL'], ['sd1', 'SUCCESSFUL']]);
  // The first deployment's record is gone (INACTIVE, dropped); its service deployment stays.
  assert.deepEqual(h.service().deployments.map((d) => d.id), [NEW_ID]);
  assert.deepEqual(h.violations, []);
});

test('the circuit breaker trips with rollback: ROLLBACK_IN_PROGRESS, then ROLLBACK_SUCCESSFUL once the old revision runs again', () => {
  const h = cluster();
  h.behaviours.set(V2, behaviours.badImage());
  create(h, service({ desiredCount: 4, circuitBreaker: { enable: true, rollback: true } }));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  update(h, V2);
  assert.ok(h.run({ until: () => entry(h, 'sd2').status === 'ROLLBACK_IN_PROGRESS', maxMs: 3_600_000 }));
  const rolling = entry(h, 'sd2');
  assert.equal(rolling.statusReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.equal(rolling.rollback?.serviceRevisionId, 'r1');
  assert.equal(rolling.rollback?.reason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(rolling.failureCount >= rolling.threshold && rolling.threshold === 3);
  // The rollback runs revision r1 again: no new revision, as ECS makes none for a rollback.
  assert.equal(h.service().deployments[0]!.serviceRevisionId, 'r1');
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 3_600_000 }));
  assert.equal(entry(h, 'sd2').status, 'ROLLBACK_SUCCESSFUL');
  assert.equal(entry(h, 'sd1').status, 'SUCCESSFUL');
  assert.deepEqual(h.violations, []);
});

test('the circuit breaker trips without rollback: the deployment is STOPPED with the breaker\'s reason', () => {
  const h = cluster();
  h.behaviours.set(V2, behaviours.badImage());
  create(h, service({ desiredCount: 4, circuitBreaker: { enable: true, rollback: false } }));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  update(h, V2);
  assert.ok(h.run({ until: () => entry(h, 'sd2').status === 'STOPPED', maxMs: 3_600_000 }));
  const stopped = entry(h, 'sd2');
  assert.equal(stopped.statusReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.equal(stopped.stoppedAt, h.service().deployments[0]!.updatedAt);
  assert.equal(stopped.rollback, undefined);
});

test('StopServiceDeployment ROLLBACK on a deployment that never becomes healthy: ROLLBACK_REQUESTED, in progress, then successful', () => {
  const h = cluster();
  // V2 starts but never passes its health checks, and no circuit breaker is on: only a user can stop it.
  h.behaviours.set(V2, behaviours.badHealthCheck());
  create(h, service({ desiredCount: 2 }));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  update(h, V2);
  h.run({ until: () => false, maxMs: 60_000, stepMs: 1000 });
  assert.equal(entry(h, 'sd2').status, 'IN_PROGRESS');
  const r1 = captureRevision({ ...h.service(), taskDefinition: V1 }, 'r1', [{ name: 'web', image: 'busybox' }], 0);
  const requested = requestRollback(h.service(), entry(h, 'sd2'), 'arn-sd2', r1, 'ecs-svc/0000000000000000003', h.now / 1000);
  h.putService(requested);
  assert.equal(entry(h, 'sd2').status, 'ROLLBACK_REQUESTED');
  assert.deepEqual(h.service().deployments.map((d) => [d.id, d.status, d.taskDefinition, d.rollbackOf]),
    [['ecs-svc/0000000000000000003', 'PRIMARY', V1, NEW_ID], [NEW_ID, 'ACTIVE', V2, undefined], ['ecs-svc/0000000000000000001', 'ACTIVE', V1, undefined]]);
  // Asked again while rolling back: the rollback goes on, nothing changes.
  assert.equal(requestRollback(h.service(), entry(h, 'sd2'), 'arn-sd2', r1, 'ecs-svc/0000000000000000004', h.now / 1000), h.service());
  h.pass();
  assert.equal(entry(h, 'sd2').status, 'ROLLBACK_IN_PROGRESS');
  assert.ok(h.run({ until: () => h.service().steady === true, maxMs: 3_600_000 }));
  assert.equal(entry(h, 'sd2').status, 'ROLLBACK_SUCCESSFUL');
  assert.equal(entry(h, 'sd2').statusReason, 'Rollback requested with StopServiceDeployment.');
  assert.equal(h.taskList().filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus === 'RUNNING' && t.taskDefinitionArn === V1).length, 2);
  assert.deepEqual(h.violations, []);
});

test('a deleted service stops its unfinished deployment', () => {
  const h = cluster();
  h.behaviours.set(V1, behaviours.badHealthCheck());
  create(h, service({ desiredCount: 2 }));
  h.pass();
  h.putService({ ...h.service(), status: 'DRAINING', desiredCount: 0 });
  h.pass();
  assert.deepEqual([entry(h, 'sd1').status, entry(h, 'sd1').statusReason], ['STOPPED', 'Stopped: the service was deleted.']);
});
