import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newService } from './service-lifecycle.ts';
import { resolveDeploymentConfiguration } from './service-rules.ts';
import { countServiceTasks, NO_COUNTS } from './service-counts.ts';
import { serviceTotals, serviceView } from './service-view.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const td = 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1';
const spec = (over: object = {}) => ({
  serviceName: 'web', taskDefinitionArn: td, desiredCount: 2, schedulingStrategy: 'REPLICA' as const, launchType: 'EC2' as const,
  deploymentConfiguration: resolveDeploymentConfiguration(undefined, 'REPLICA'), placementConstraints: [], placementStrategy: [], tags: [],
  enableECSManagedTags: false, propagateTags: 'NONE' as const, enableExecuteCommand: false, availabilityZoneRebalancing: 'ENABLED' as const, ...over,
});

test('tasks count per service and deployment while desired RUNNING: RUNNING ones running, the others pending', () => {
  const counts = countServiceTasks([
    { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'PENDING', desiredStatus: 'RUNNING' },
    { group: 'service:web', startedBy: 'ecs-svc/2', lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' },
    { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' },
    { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
    { group: 'service:web', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    { group: 'family:web', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
  ]);
  const web = counts.get('web')!;
  assert.deepEqual(web.byDeployment.get('ecs-svc/1'), { running: 1, pending: 1 });
  assert.deepEqual(web.byDeployment.get('ecs-svc/2'), { running: 0, pending: 1 });
  assert.equal(counts.size, 1);
  // The service's counts are its deployments' only: a RunTask task in its group is not one of them.
  assert.deepEqual(serviceTotals({ deployments: [{ id: 'ecs-svc/2' }, { id: 'ecs-svc/1' }] } as never, web), { running: 1, pending: 2 });
  assert.deepEqual(serviceTotals({ deployments: [{ id: 'ecs-svc/2' }] } as never, web), { running: 0, pending: 1 });
});

test('the view carries every member of a created service, counts included, tags only when asked or set', () => {
  const s = newService(scope, 'c', spec(), 'ecs-svc/1234567890123456789', 100.5, '{}');
  const v = serviceView(s, { byDeployment: new Map([['ecs-svc/1234567890123456789', { running: 1, pending: 1 }]]) }, 'omit');
  assert.deepEqual(Object.keys(v).sort(), ['availabilityZoneRebalancing', 'clusterArn', 'createdAt', 'createdBy', 'deploymentConfiguration', 'deploymentController', 'deployments',
    'desiredCount', 'enableECSManagedTags', 'enableExecuteCommand', 'events', 'launchType', 'loadBalancers', 'pendingCount', 'placementConstraints', 'placementStrategy',
    'propagateTags', 'runningCount', 'schedulingStrategy', 'serviceArn', 'serviceName', 'serviceRegistries', 'status', 'taskDefinition']);
  assert.equal(v.serviceArn, 'arn:aws:ecs:us-east-1:000000000000:service/c/web');
  assert.deepEqual([v.runningCount, v.pendingCount], [1, 1]);
  assert.deepEqual(v.deployments[0], {
    id: 'ecs-svc/1234567890123456789', status: 'PRIMARY', taskDefinition: td, desiredCount: 2, pendingCount: 1, runningCount: 1, failedTasks: 0,
    createdAt: 100.5, updatedAt: 100.5, launchType: 'EC2', rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment ecs-svc/1234567890123456789 in progress.',
  });
  assert.equal('tags' in serviceView(s, NO_COUNTS, 'answer'), false);
  assert.deepEqual(serviceView(s, NO_COUNTS, 'include').tags, []);
  const tagged = newService(scope, 'c', spec({ tags: [{ key: 'a', value: 'b' }] }), 'ecs-svc/1', 1, '{}');
  assert.deepEqual(serviceView(tagged, NO_COUNTS, 'answer').tags, [{ key: 'a', value: 'b' }]);
});

test('a service on a capacity provider strategy answers no launchType, and INACTIVE deployments are left out', () => {
  const s = newService(scope, 'c', spec({ launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1 }] }), 'ecs-svc/1', 1, '{}');
  const v = serviceView({ ...s, deployments: [...s.deployments, { ...s.deployments[0]!, id: 'ecs-svc/0', status: 'INACTIVE' }] }, NO_COUNTS, 'omit');
  assert.equal('launchType' in v, false);
  assert.deepEqual(v.capacityProviderStrategy, [{ capacityProvider: 'cp', weight: 1 }]);
  assert.deepEqual(v.deployments.map((d) => d.id), ['ecs-svc/1']);
  assert.equal('launchType' in v.deployments[0]!, false);
});
