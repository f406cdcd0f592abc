import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { DeploymentRecord, ServiceRecord } from './service.ts';
import {
  MAX_SERVICE_DEPLOYMENTS, openServiceDeployment, requestRollback, revisionsDropped, serviceDeploymentBrief, serviceDeploymentView,
} from './service-deployment.ts';
import { captureRevision, parseServiceChildArn, serviceRevisionArn, serviceRevisionView } from './service-revision.ts';
import { newService, updateService, type ServiceSpec } from './service-lifecycle.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const TD1 = 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1';
const TD2 = 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2';
const spec: ServiceSpec = {
  serviceName: 'web', taskDefinitionArn: TD1, desiredCount: 2, schedulingStrategy: 'REPLICA', launchType: 'EC2',
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
  placementConstraints: [], placementStrategy: [], tags: [], enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false, availabilityZoneRebalancing: 'DISABLED',
};

let n = 0;
const deploymentId = () => `ecs-svc/${String(++n).padStart(19, '0')}`;
const created = (): ServiceRecord => openServiceDeployment(undefined, newService(SCOPE, 'c', spec, deploymentId(), 100, '{}'), { serviceDeploymentId: 'sd1', revisionId: 'r1' }, 100);
const redeploy = (s: ServiceRecord, i: number, now: number): ServiceRecord =>
  openServiceDeployment(s, updateService(s, { forceNewDeployment: true }, deploymentId, now), { serviceDeploymentId: `sd${i}`, revisionId: `r${i}` }, now);

test('ARNs: service-deployment and service-revision name the cluster and service; other scopes and kinds are not parsed', () => {
  assert.equal(serviceRevisionArn(SCOPE, 'c', 'web', '123'), 'arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/123');
  assert.deepEqual(parseServiceChildArn('arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/abc', 'service-deployment', SCOPE), { cluster: 'c', service: 'web', id: 'abc' });
  assert.equal(parseServiceChildArn('arn:aws:ecs:us-west-2:000000000000:service-deployment/c/web/abc', 'service-deployment', SCOPE), undefined);
  assert.equal(parseServiceChildArn('arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/abc', 'service-deployment', SCOPE), undefined);
  assert.equal(parseServiceChildArn('arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web', 'service-deployment', SCOPE), undefined);
});

test('a change that starts no deployment opens no service deployment', () => {
  const s = created();
  const scaled = updateService(s, { desiredCount: 5 }, deploymentId, 200);
  assert.equal(openServiceDeployment(s, scaled, { serviceDeploymentId: 'x', revisionId: 'y' }, 200), scaled);
});

test('a new deployment stops the unfinished one it replaces and names its revision as the source', () => {
  const s = redeploy(created(), 2, 200);
  assert.deepEqual(s.serviceDeployments!.map((e) => [e.id, e.status, e.statusReason, e.sourceRevisionIds, e.stoppedAt]), [
    ['sd2', 'PENDING', undefined, ['r1'], undefined],
    ['sd1', 'STOPPED', 'Stopped: service deployment sd2 was started and replaces it.', [], 200],
  ]);
  assert.deepEqual(s.deployments.map((d) => [d.status, d.serviceRevisionId]), [['PRIMARY', 'r2'], ['ACTIVE', 'r1']]);
});

test(`at most ${MAX_SERVICE_DEPLOYMENTS} service deployments are kept; the revisions only the dropped ones named are dropped with them`, () => {
  let s = created();
  for (let i = 2; i <= MAX_SERVICE_DEPLOYMENTS + 2; i++) {
    const next = redeploy(s, i, 100 + i);
    // Deployments finish (the reconciler would drop their records), so only entries hold revisions.
    next.deployments = next.deployments.filter((d) => d.status === 'PRIMARY');
    // r1 goes once no kept entry names it: not sd1's target, nor sd2's source.
    if (i === MAX_SERVICE_DEPLOYMENTS + 1) assert.deepEqual(revisionsDropped(s, next), []);
    if (i === MAX_SERVICE_DEPLOYMENTS + 2) assert.deepEqual(revisionsDropped(s, next), ['r1']);
    s = next;
  }
  assert.equal(s.serviceDeployments!.length, MAX_SERVICE_DEPLOYMENTS);
  assert.equal(s.serviceDeployments!.at(-1)!.id, 'sd3');
});

test('StopServiceDeployment: a finished deployment, or a first one with nothing to go back to, is refused with ConflictException and nothing changes', () => {
  const first = created();
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof ApiError);
      return [e.code, e.message];
    }
    assert.fail('expected a refusal');
  };
  const [code, message] = refusal(() => requestRollback(first, first.serviceDeployments![0]!, 'ARN', undefined, 'ecs-svc/9', 300));
  assert.equal(code, 'ConflictException');
  assert.match(message!, /no previous service revision to roll back to/);
  const s = redeploy(first, 2, 200);
  const [code2, message2] = refusal(() => requestRollback(s, s.serviceDeployments![1]!, 'ARN', undefined, 'ecs-svc/9', 300));
  assert.equal(code2, 'ConflictException');
  assert.match(message2!, /is STOPPED and cannot be stopped/);
});

test('StopServiceDeployment: a rollback deployment of the source revision becomes PRIMARY; the service runs its task definition again', () => {
  const first = created();
  const s = redeploy({ ...first, taskDefinition: TD1 }, 2, 200);
  const withTd2: ServiceRecord = { ...s, taskDefinition: TD2, deployments: s.deployments.map((d): DeploymentRecord => (d.status === 'PRIMARY' ? { ...d, taskDefinition: TD2 } : d)) };
  const r1 = captureRevision(first, 'r1', [{ name: 'web', image: 'busybox' }], 100);
  const next = requestRollback(withTd2, withTd2.serviceDeployments![0]!, 'ARN', r1, 'ecs-svc/rb', 300);
  assert.equal(next.taskDefinition, TD1);
  assert.deepEqual(next.deployments.map((d) => [d.id, d.status, d.taskDefinition, d.rolloutState, d.serviceRevisionId, d.rollbackOf]), [
    ['ecs-svc/rb', 'PRIMARY', TD1, 'IN_PROGRESS', 'r1', s.deployments[0]!.id],
    [s.deployments[0]!.id, 'ACTIVE', TD2, 'FAILED', 'r2', undefined],
    [s.deployments[1]!.id, 'ACTIVE', TD1, 'IN_PROGRESS', 'r1', undefined],
  ]);
  const e = next.serviceDeployments![0]!;
  assert.deepEqual([e.status, e.statusReason, e.rollback], ['ROLLBACK_REQUESTED', 'Rollback requested with StopServiceDeployment.', { reason: 'Rollback requested with StopServiceDeployment.', startedAt: 300, serviceRevisionId: 'r1' }]);
});

test('views: the brief and the full shape, with the revision task counts of the moment', () => {
  const s = redeploy(created(), 2, 200);
  const [sd2, sd1] = s.serviceDeployments!;
  const counts = { byDeployment: new Map([[s.deployments[0]!.id, { running: 1, pending: 1 }], [s.deployments[1]!.id, { running: 2, pending: 0 }]]) };
  const arn = (kind: string, id: string) => `arn:aws:ecs:us-east-1:000000000000:${kind}/c/web/${id}`;
  assert.deepEqual(serviceDeploymentBrief(SCOPE, 'c', s, sd1!), {
    serviceDeploymentArn: arn('service-deployment', 'sd1'), serviceArn: s.serviceArn, clusterArn: s.clusterArn, createdAt: 100, finishedAt: 200,
    targetServiceRevisionArn: arn('service-revision', 'r1'), status: 'STOPPED', statusReason: 'Stopped: service deployment sd2 was started and replaces it.',
  });
  const v = serviceDeploymentView(SCOPE, 'c', s, sd2!, counts);
  assert.deepEqual(v.targetServiceRevision, { arn: arn('service-revision', 'r2'), requestedTaskCount: 2, runningTaskCount: 1, pendingTaskCount: 1 });
  assert.deepEqual(v.sourceServiceRevisions, [{ arn: arn('service-revision', 'r1'), requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 }]);
  assert.deepEqual(v.deploymentCircuitBreaker, { status: 'MONITORING', failureCount: 0, threshold: 3 });
  assert.deepEqual(v.alarms, { status: 'DISABLED' });
  assert.equal(v.status, 'PENDING');
  const rev = serviceRevisionView(SCOPE, 'c', 'web', captureRevision(s, 'r2', [{ name: 'web', image: 'busybox' }], 200));
  assert.deepEqual([rev.serviceRevisionArn, rev.taskDefinition, rev.launchType, rev.containerImages, rev.guardDutyEnabled, rev.createdAt],
    [arn('service-revision', 'r2'), TD1, 'EC2', [{ containerName: 'web', image: 'busybox' }], false, 200]);
});
