import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import {
  checkDaemon, checkExternalCreate, checkExternalUpdate, checkLaunchTypeAndStrategy, checkNetworkConfiguration, checkStrategyChange, checkServiceTaskDefinition, checkUnsupported, defaultDeploymentConfiguration,
  resolveDeploymentConfiguration, validateCapacityProviderStrategy, validateClientToken, validateDesiredCount, validateServiceName,
} from './service-rules.ts';
import { checkPlatformVersion } from './fargate-rules.ts';
import type { TaskDefinitionRecord } from './task-definition.ts';

/** The code and message a rule refuses with. */
function refusal(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return [e.code, e.message];
  }
  assert.fail('expected a refusal');
}

test('service names are 1 to 255 letters, numbers, hyphens and underscores', () => {
  validateServiceName('web_1-a');
  validateServiceName('x'.repeat(255));
  for (const bad of ['', 'x'.repeat(256), 'web.1', 'a b', 'ü']) assert.equal(refusal(() => validateServiceName(bad))[0], 'InvalidParameterException', bad);
});

test('clientToken is up to 36 printable ASCII characters', () => {
  validateClientToken('a'.repeat(36));
  validateClientToken('!~token');
  for (const bad of ['a'.repeat(37), 'with space', 'é']) assert.equal(refusal(() => validateClientToken(bad))[0], 'InvalidParameterException', bad);
});

test('desiredCount is between 0 and the tasks-per-service quota', () => {
  validateDesiredCount(0);
  validateDesiredCount(5000);
  assert.match(refusal(() => validateDesiredCount(-1))[1], /between 0 and 5000/);
  assert.match(refusal(() => validateDesiredCount(5001))[1], /between 0 and 5000/);
});

test('DAEMON refuses a desired count, placement strategies and a capacity provider strategy with ECS sentences', () => {
  checkDaemon({ placementStrategy: [] });
  assert.deepEqual(refusal(() => checkDaemon({ desiredCount: 1 })), ['InvalidParameterException',
    'The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again']);
  assert.deepEqual(refusal(() => checkDaemon({ placementStrategy: [{ type: 'random' }] })), ['InvalidParameterException',
    'The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again']);
  assert.match(refusal(() => checkDaemon({ capacityProviderStrategy: [{ capacityProvider: 'cp' }] }))[1], /^Specifying a capacity provider strategy is not supported when you create a service using the DAEMON/);
});

test('deployment configuration defaults: 100/200 for REPLICA, 0/100 for DAEMON, circuit breaker off', () => {
  assert.deepEqual(defaultDeploymentConfiguration('REPLICA'), { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 200, minimumHealthyPercent: 100 });
  assert.deepEqual(resolveDeploymentConfiguration(undefined, 'DAEMON'), { deploymentCircuitBreaker: { enable: false, rollback: false }, maximumPercent: 100, minimumHealthyPercent: 0 });
});

test('deployment configuration: given members go over the current ones', () => {
  const current = resolveDeploymentConfiguration({ maximumPercent: 150, minimumHealthyPercent: 50 }, 'REPLICA');
  const next = resolveDeploymentConfiguration({ deploymentCircuitBreaker: { enable: true, rollback: true } }, 'REPLICA', current);
  assert.deepEqual(next, { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 150, minimumHealthyPercent: 50 });
});

test('deployment configuration bounds', () => {
  assert.match(refusal(() => resolveDeploymentConfiguration({ maximumPercent: 50 }, 'REPLICA'))[1], /maximumPercent \(50\) must be greater than or equal to minimumHealthyPercent \(100\)/);
  assert.match(refusal(() => resolveDeploymentConfiguration({ minimumHealthyPercent: 101 }, 'REPLICA'))[1], /between 0 and 100/);
  assert.match(refusal(() => resolveDeploymentConfiguration({ minimumHealthyPercent: -1 }, 'REPLICA'))[1], /between 0 and 100/);
  assert.match(refusal(() => resolveDeploymentConfiguration({ maximumPercent: 200 }, 'DAEMON'))[1], /^The daemon scheduling strategy does not support values above 100 for maximumPercent/);
  assert.match(refusal(() => resolveDeploymentConfiguration({ deploymentCircuitBreaker: { enable: false, rollback: true } }, 'REPLICA'))[1], /rollback needs enable/);
  assert.match(refusal(() => resolveDeploymentConfiguration({ strategy: 'BLUE_GREEN' }, 'REPLICA'))[1], /use ROLLING/);
  // 0/100 is what a REPLICA service may choose to deploy without extra capacity.
  resolveDeploymentConfiguration({ minimumHealthyPercent: 0, maximumPercent: 100 }, 'REPLICA');
});

test('capacity provider strategies: weights, bases, duplicates, size', () => {
  validateCapacityProviderStrategy([{ capacityProvider: 'a', weight: 1, base: 2 }, { capacityProvider: 'b', weight: 3 }]);
  assert.match(refusal(() => validateCapacityProviderStrategy([{ capacityProvider: 'a', weight: 1001 }]))[1], /between 0 and 1000/);
  assert.match(refusal(() => validateCapacityProviderStrategy([{ capacityProvider: 'a', weight: 1, base: 100_001 }]))[1], /between 0 and 100000/);
  assert.match(refusal(() => validateCapacityProviderStrategy([{ capacityProvider: 'a', weight: 1 }, { capacityProvider: 'a', weight: 1 }]))[1], /more than once/);
  assert.match(refusal(() => validateCapacityProviderStrategy([{ capacityProvider: 'a', base: 1, weight: 1 }, { capacityProvider: 'b', base: 1 }]))[1], /Only one capacity provider/);
  assert.match(refusal(() => validateCapacityProviderStrategy([{ capacityProvider: 'a' }]))[1], /weight greater than 0/);
  assert.match(refusal(() => validateCapacityProviderStrategy(Array.from({ length: 21 }, (_, i) => ({ capacityProvider: `p${i}`, weight: 1 }))))[1], /at most 20/);
});

test('a launch type and a capacity provider strategy together are refused, even EC2', () => {
  checkLaunchTypeAndStrategy('EC2', []);
  assert.deepEqual(refusal(() => checkLaunchTypeAndStrategy('EC2', [{}])), ['InvalidParameterException',
    'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.']);
});

const td = (networkMode: 'awsvpc' | 'bridge', status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') =>
  ({ taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1', networkMode, status }) as TaskDefinitionRecord;

test('network configuration follows the task definition network mode, as RunTask has it', () => {
  checkNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'] } }, td('awsvpc'));
  checkNetworkConfiguration(undefined, td('bridge'));
  assert.match(refusal(() => checkNetworkConfiguration(undefined, td('awsvpc')))[1], /^Network Configuration must be provided when networkMode 'awsvpc' is specified/);
  assert.match(refusal(() => checkNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'] } }, td('bridge')))[1], /^Network Configuration is not valid/);
  assert.match(refusal(() => checkNetworkConfiguration({ awsvpcConfiguration: { subnets: [] } }, td('awsvpc')))[1], /subnets can not be empty/);
  assert.match(refusal(() => checkNetworkConfiguration({ awsvpcConfiguration: { subnets: Array(17).fill('s') } }, td('awsvpc')))[1], /At most 16 subnets/);
  assert.match(refusal(() => checkNetworkConfiguration({ awsvpcConfiguration: { subnets: ['s'], securityGroups: Array(6).fill('g') } }, td('awsvpc')))[1], /At most 5 security groups/);
});

test('the task definition must exist and be ACTIVE (ClientException)', () => {
  checkServiceTaskDefinition(td('bridge'), 'f');
  assert.deepEqual(refusal(() => checkServiceTaskDefinition(undefined, 'ghost:1')).map((x, i) => (i === 1 ? x.split('.')[0] : x)), ['ClientException', 'TaskDefinition not found']);
  assert.deepEqual(refusal(() => checkServiceTaskDefinition(td('bridge', 'INACTIVE'), 'f:1')).map((x, i) => (i === 1 ? x.split('.')[0] : x)), ['ClientException', 'TaskDefinition is inactive']);
});

test('features Berth does not have yet are refused by name', () => {
  checkUnsupported({ loadBalancers: [], deploymentController: { type: 'ECS' } });
  checkUnsupported({ deploymentController: { type: 'EXTERNAL' } });
  assert.match(refusal(() => checkUnsupported({ loadBalancers: [{}] }))[1], /loadBalancers \(Elastic Load Balancing\) is not available/);
  assert.match(refusal(() => checkUnsupported({ deploymentController: { type: 'CODE_DEPLOY' } }))[1], /deploymentController CODE_DEPLOY/);
});

test('an EXTERNAL service takes no task set field and no DAEMON strategy; its updates change no task set field', () => {
  checkExternalCreate({ schedulingStrategy: 'REPLICA' });
  assert.deepEqual(refusal(() => checkExternalCreate({ taskDefinition: 'web' })).map((x, i) => (i === 1 ? x.split('. ')[0] : x)), ['InvalidParameterException', 'TaskDefinition must be blank']);
  assert.match(refusal(() => checkExternalCreate({ taskDefinition: '' }))[1], /^Family should not be null or empty\. /);
  assert.match(refusal(() => checkExternalCreate({ networkConfiguration: {} }))[1], /^NetworkConfiguration must be null\. A service of the EXTERNAL deployment controller takes its network configuration from its task sets/);
  assert.match(refusal(() => checkExternalCreate({ schedulingStrategy: 'DAEMON' }))[1], /DAEMON scheduling strategy is not supported with the EXTERNAL/);
  checkExternalUpdate({});
  assert.match(refusal(() => checkExternalUpdate({ taskDefinition: 'web:2' }))[1], /^taskDefinition cannot be updated on a service that uses the EXTERNAL deployment controller: create a new task set/);
  assert.match(refusal(() => checkExternalUpdate({ forceNewDeployment: true }))[1], /^forceNewDeployment cannot be updated/);
});

test('a platform version with the EC2 launch type is refused', () => {
  checkPlatformVersion('FARGATE', 'LATEST');
  checkPlatformVersion(undefined, 'LATEST');
  assert.match(refusal(() => checkPlatformVersion('EC2', 'LATEST'))[1], /^The platform version must be null when specifying an EC2 launch type\./);
});

test('a new capacity provider strategy on UpdateService takes forceNewDeployment, in every direction', () => {
  const spot = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];
  const message = 'When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.';
  for (const [current, given] of [[{}, spot], [{ capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, spot], [{ capacityProviderStrategy: spot }, []]] as const) {
    const [code, text] = refusal(() => checkStrategyChange(current, given, undefined));
    assert.deepEqual([code, text.startsWith(message)], ['InvalidParameterException', true], JSON.stringify([current, given]));
    checkStrategyChange(current, given, true);
  }
  // The same strategy again, none given, or none to none: nothing changes, nothing to force.
  checkStrategyChange({ capacityProviderStrategy: spot }, spot, false);
  checkStrategyChange({ capacityProviderStrategy: spot }, undefined, false);
  checkStrategyChange({}, [], false);
});
