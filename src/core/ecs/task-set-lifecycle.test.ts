import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { ServiceRecord } from './service.ts';
import { computedDesiredCount, MAX_TASK_SETS_PER_SERVICE, taskSetArn, taskSetIdOf } from './task-set.ts';
import { addTaskSet, drainTaskSet, makePrimary, requireExternal, scaleTaskSet, validateScale } from './task-set-lifecycle.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const TD = (n: number) => `arn:aws:ecs:us-east-1:000000000000:task-definition/web:${n}`;

function external(over: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/c/web', serviceName: 'web', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
    status: 'ACTIVE', desiredCount: 4, launchType: 'EC2', taskDefinition: '',
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 },
    deployments: [], taskSets: [], events: [], createdAt: 0, placementConstraints: [], placementStrategy: [], schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'EXTERNAL' }, loadBalancers: [], serviceRegistries: [], tags: [], enableECSManagedTags: false, propagateTags: 'NONE', enableExecuteCommand: false,
    ...over,
  };
}

function refusal(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return [e.code, e.message];
  }
  assert.fail('expected a refusal');
}

const add = (s: ServiceRecord, id: string, over: { td?: number; scale?: number; clientToken?: string } = {}) =>
  addTaskSet(s, SCOPE, 'c', { taskDefinitionArn: TD(over.td ?? 1), tags: [], ...(over.scale !== undefined && { scale: { value: over.scale, unit: 'PERCENT' } }), ...(over.clientToken && { clientToken: over.clientToken }) }, id, 10);

test('the computed desired count is desiredCount × scale, always rounded up, never past the count a percentage names', () => {
  assert.equal(computedDesiredCount(4, { value: 50, unit: 'PERCENT' }), 2);
  assert.equal(computedDesiredCount(3, { value: 50, unit: 'PERCENT' }), 2);
  assert.equal(computedDesiredCount(1, { value: 0.1, unit: 'PERCENT' }), 1);
  assert.equal(computedDesiredCount(10, { value: 70, unit: 'PERCENT' }), 7);
  assert.equal(computedDesiredCount(100, { value: 33.3, unit: 'PERCENT' }), 34);
  assert.equal(computedDesiredCount(5, { value: 0, unit: 'PERCENT' }), 0);
});

test('task set ARNs name cluster, service and id; a reference is an id or such an ARN', () => {
  const arn = taskSetArn(SCOPE, 'c', 'web', 'ecs-svc/123');
  assert.equal(arn, 'arn:aws:ecs:us-east-1:000000000000:task-set/c/web/ecs-svc/123');
  assert.equal(taskSetIdOf(arn, 'c', 'web'), 'ecs-svc/123');
  assert.equal(taskSetIdOf('ecs-svc/123', 'c', 'web'), 'ecs-svc/123');
  assert.equal(taskSetIdOf(arn, 'c', 'api'), undefined);
  assert.equal(taskSetIdOf(arn, 'other', 'web'), undefined);
});

test('scale is 0 to 100 PERCENT, 0 when not given', () => {
  assert.deepEqual(validateScale(undefined), { value: 0, unit: 'PERCENT' });
  assert.deepEqual(validateScale({ value: 12.5 }), { value: 12.5, unit: 'PERCENT' });
  assert.match(refusal(() => validateScale({ value: 101, unit: 'PERCENT' }))[1], /^Scale value must be a number between 0 and 100/);
  assert.match(refusal(() => validateScale({ value: -1 }))[1], /between 0 and 100/);
  assert.match(refusal(() => validateScale({ value: 1, unit: 'COUNT' }))[1], /^Scale unit must be PERCENT/);
});

test('task sets belong to ACTIVE services of the EXTERNAL controller', () => {
  requireExternal(external());
  assert.deepEqual(refusal(() => requireExternal(external({ deploymentController: { type: 'ECS' } })))[0], 'InvalidParameterException');
  assert.match(refusal(() => requireExternal(external({ deploymentController: { type: 'ECS' } })))[1], /^Amazon ECS only supports task set management on services configured to use external deployment controllers\./);
  assert.deepEqual(refusal(() => requireExternal(external({ status: 'DRAINING' })))[0], 'ServiceNotActiveException');
});

test('a new set is ACTIVE and STABILIZING; its clientToken answers it again; a service holds a bounded number', () => {
  const first = add(external(), 'ecs-svc/1', { clientToken: 'tok' });
  assert.deepEqual([first.taskSet.status, first.taskSet.stabilityStatus, first.taskSet.scale.value, first.taskSet.launchType], ['ACTIVE', 'STABILIZING', 0, 'EC2']);
  const again = add(first.service, 'ecs-svc/2', { clientToken: 'tok' });
  assert.equal(again.service, first.service);
  assert.equal(again.taskSet.id, 'ecs-svc/1');
  let s = first.service;
  for (let i = 2; i <= MAX_TASK_SETS_PER_SERVICE; i++) s = add(s, `ecs-svc/${i}`).service;
  assert.equal(refusal(() => add(s, 'ecs-svc/x'))[0], 'LimitExceededException');
});

test('a new primary demotes the old one and brings its task definition to the service', () => {
  let s = add(add(external(), 'ecs-svc/1').service, 'ecs-svc/2', { td: 2 }).service;
  s = makePrimary(s, 'ecs-svc/1', 20);
  assert.equal(s.taskDefinition, TD(1));
  s = makePrimary(s, 'ecs-svc/2', 30);
  assert.deepEqual(s.taskSets!.map((t) => [t.id, t.status]), [['ecs-svc/1', 'ACTIVE'], ['ecs-svc/2', 'PRIMARY']]);
  assert.equal(s.taskDefinition, TD(2));
  assert.equal(makePrimary(s, 'ecs-svc/2', 40), s);
  assert.equal(refusal(() => makePrimary(s, 'ecs-svc/9', 40))[0], 'TaskSetNotFoundException');
});

test('a set scaled above 0 is deleted only with force; a deleted set takes no scale and cannot become primary', () => {
  let s = add(add(external(), 'ecs-svc/1', { scale: 100 }).service, 'ecs-svc/2').service;
  s = makePrimary(s, 'ecs-svc/1', 20);
  const before = s;
  assert.match(refusal(() => drainTaskSet(before, 'ecs-svc/1', false, 30))[1], /^The task set cannot be deleted while it is scaled above 0/);
  s = drainTaskSet(s, 'ecs-svc/1', true, 30);
  assert.equal(s.taskSets![0]!.status, 'DRAINING');
  // The primary is gone: the service has no task set fields.
  assert.equal(s.taskDefinition, '');
  assert.equal(drainTaskSet(s, 'ecs-svc/1', false, 40), s);
  assert.match(refusal(() => scaleTaskSet(s, 'ecs-svc/1', { value: 5, unit: 'PERCENT' }, 40))[1], /DRAINING/);
  assert.match(refusal(() => makePrimary(s, 'ecs-svc/1', 40))[1], /DRAINING/);
  // A set at 0 percent needs no force.
  assert.equal(drainTaskSet(s, 'ecs-svc/2', false, 40).taskSets![1]!.status, 'DRAINING');
});
