import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { drainService, newService, serviceNameOf, updateService } from './service-lifecycle.ts';
import { resolveDeploymentConfiguration } from './service-rules.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const td = (rev: number) => `arn:aws:ecs:us-east-1:000000000000:task-definition/web:${rev}`;
const created = () => newService(scope, 'c', {
  serviceName: 'web', taskDefinitionArn: td(1), desiredCount: 2, schedulingStrategy: 'REPLICA', launchType: 'EC2',
  deploymentConfiguration: resolveDeploymentConfiguration(undefined, 'REPLICA'), placementConstraints: [], placementStrategy: [], tags: [],
  enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false, availabilityZoneRebalancing: 'ENABLED',
}, 'ecs-svc/1', 100, '{}');
let n = 1;
const nextId = () => `ecs-svc/${++n}`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return e.code;
  }
  assert.fail('expected a refusal');
}

test('a new service is ACTIVE with one PRIMARY deployment IN_PROGRESS and no events', () => {
  const s = created();
  assert.equal(s.status, 'ACTIVE');
  assert.deepEqual(s.events, []);
  assert.deepEqual(s.deployments.map((d) => [d.id, d.status, d.desiredCount, d.rolloutState]), [['ecs-svc/1', 'PRIMARY', 2, 'IN_PROGRESS']]);
});

test('a desiredCount-only update moves the PRIMARY deployment and starts none', () => {
  const s = updateService(created(), { desiredCount: 5 }, () => assert.fail('no new deployment'), 200);
  assert.equal(s.desiredCount, 5);
  assert.deepEqual(s.deployments.map((d) => [d.id, d.status, d.desiredCount, d.updatedAt]), [['ecs-svc/1', 'PRIMARY', 5, 200]]);
  assert.equal(s.steady, false);
});

test('a new task definition starts a PRIMARY deployment; the previous PRIMARY becomes ACTIVE', () => {
  const s = updateService(created(), { taskDefinitionArn: td(2) }, nextId, 200);
  assert.equal(s.taskDefinition, td(2));
  assert.deepEqual(s.deployments.map((d) => [d.status, d.taskDefinition, d.desiredCount]), [['PRIMARY', td(2), 2], ['ACTIVE', td(1), 2]]);
});

test('forceNewDeployment, network, platform version and capacity provider strategy each start a deployment', () => {
  for (const c of [{ forceNewDeployment: true }, { networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }, { platformVersion: '1.4.0' },
    { capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] }]) {
    const s = updateService(created(), c, nextId, 200);
    assert.equal(s.deployments.length, 2, JSON.stringify(c));
    assert.equal(s.deployments[0]!.status, 'PRIMARY');
  }
  const cp = updateService(created(), { capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] }, nextId, 200);
  assert.equal(cp.launchType, undefined);
  assert.equal(cp.deployments[0]!.launchType, undefined);
});

test('the same task definition again changes nothing', () => {
  const s = created();
  assert.deepEqual(updateService(s, { taskDefinitionArn: td(1) }, () => assert.fail('no new deployment'), 200), s);
});

test('UpdateService refuses a service that is not ACTIVE', () => {
  const draining = drainService({ ...created(), desiredCount: 0 }, false, 200);
  assert.equal(code(() => updateService(draining, { desiredCount: 1 }, nextId, 300)), 'ServiceNotActiveException');
});

test('DeleteService: scaled above 0 needs force; then DRAINING with no desired tasks', () => {
  assert.equal(code(() => drainService(created(), false, 200)), 'InvalidParameterException');
  const s = drainService(created(), true, 200);
  assert.deepEqual([s.status, s.desiredCount, s.deployments[0]!.desiredCount], ['DRAINING', 0, 0]);
  assert.equal(drainService(s, false, 300), s, 'a DRAINING service is answered as it is');
  const inactive = { ...s, status: 'INACTIVE' as const };
  assert.equal(drainService(inactive, true, 300), inactive, 'and so is an INACTIVE one');
});

test('a DAEMON service is deleted without force', () => {
  const daemon = { ...created(), schedulingStrategy: 'DAEMON' as const, desiredCount: 3 };
  assert.equal(drainService(daemon, false, 200).status, 'DRAINING');
});

test('service references: names, long and short ARNs, ARNs of another cluster', () => {
  assert.equal(serviceNameOf('web', 'c'), 'web');
  assert.equal(serviceNameOf('arn:aws:ecs:us-east-1:000000000000:service/c/web', 'c'), 'web');
  assert.equal(serviceNameOf('arn:aws:ecs:us-east-1:000000000000:service/web', 'c'), 'web');
  assert.equal(serviceNameOf('arn:aws:ecs:us-east-1:000000000000:service/other/web', 'c'), undefined);
  assert.equal(serviceNameOf('arn:aws:ecs:us-east-1:000000000000:task/c/abc', 'c'), undefined);
});
