import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, SCOPE, taskOp } from '../../cluster/testing.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { storeServiceCounts } from './service-counts.ts';
import { serviceOperations, type ServiceIds } from './services.ts';
import { tagOperations } from './tags.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { taskSetOperations } from './task-sets.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-task-sets-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (now: number): RequestContext => ({ region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'localhost' });
const ARN = `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}`;

/** The code and the message's first sentence of a refused call. */
async function refusal(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code?: string };
    return [err.code ?? '', err.message.split(/(?<=\.) /)[0]!];
  }
  assert.fail('expected a refusal');
}

async function setUp(name: string) {
  const store = await openSqliteStore(join(dir, `${name}.db`));
  const state = createClusterState(store);
  await store.txn({ ops: [clusterOp('c')] });
  const tds = taskDefinitionOperations({ store });
  for (const image of ['busybox:1', 'busybox:2']) await tds.RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image, memory: 64 }] } as never, ctx(1_000));
  let n = 0;
  const ids: ServiceIds = { deploymentId: () => `ecs-svc/${String(++n).padStart(19, '0')}` };
  const services = serviceOperations({ store, state }, ids, storeServiceCounts(store));
  const sets = taskSetOperations({ store, state }, ids, storeServiceCounts(store));
  const close = async () => {
    state.close();
    await store.close();
  };
  return { store, services, sets, close };
}

test('an EXTERNAL service is created without a task definition, answers taskSets and no deployments, and refuses task set fields', async () => {
  const { services, close } = await setUp('create');
  try {
    const { service } = await services.CreateService({ cluster: 'c', serviceName: 'web', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } }, ctx(2_000));
    assert.deepEqual([service.taskSets, service.deployments, service.launchType, service.deploymentController, 'taskDefinition' in service], [[], [], 'EC2', { type: 'EXTERNAL' }, false]);
    assert.deepEqual(await refusal(services.CreateService({ cluster: 'c', serviceName: 'api', desiredCount: 1, taskDefinition: 'web', deploymentController: { type: 'EXTERNAL' } }, ctx(2_000))),
      ['InvalidParameterException', 'TaskDefinition must be blank.']);
    assert.equal((await refusal(services.UpdateService({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }, ctx(3_000))))[0], 'InvalidParameterException');
    const updated = await services.UpdateService({ cluster: 'c', service: 'web', desiredCount: 4 }, ctx(3_000));
    assert.deepEqual([updated.service.desiredCount, updated.service.deployments], [4, []]);
  } finally {
    await close();
  }
});

test('task sets: create, scale, primary swap, describe with failures and tags, delete; counts come from their tasks', async () => {
  const { store, services, sets, close } = await setUp('sets');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'web', desiredCount: 4, deploymentController: { type: 'EXTERNAL' } }, ctx(2_000));
    const blue = (await sets.CreateTaskSet({ cluster: 'c', service: 'web', taskDefinition: 'web:1', scale: { value: 100, unit: 'PERCENT' }, externalId: 'blue', tags: [{ key: 'color', value: 'blue' }] }, ctx(3_000))).taskSet;
    assert.equal(blue.id, 'ecs-svc/0000000000000000002');
    assert.equal(blue.taskSetArn, `${ARN}:task-set/c/web/ecs-svc/0000000000000000002`);
    assert.deepEqual([blue.status, blue.computedDesiredCount, blue.stabilityStatus, blue.externalId, blue.taskDefinition, blue.tags], ['ACTIVE', 4, 'STABILIZING', 'blue', `${ARN}:task-definition/web:1`, [{ key: 'color', value: 'blue' }]]);
    const green = (await sets.CreateTaskSet({ cluster: 'c', service: 'web', taskDefinition: 'web:2', clientToken: 'g' }, ctx(4_000))).taskSet;
    assert.deepEqual([green.scale, green.computedDesiredCount], [{ value: 0, unit: 'PERCENT' }, 0]);
    // The same clientToken answers the same set.
    assert.equal((await sets.CreateTaskSet({ cluster: 'c', service: 'web', taskDefinition: 'web:2', clientToken: 'g' }, ctx(4_500))).taskSet.id, green.id);

    let primary = (await sets.UpdateServicePrimaryTaskSet({ cluster: 'c', service: 'web', primaryTaskSet: blue.taskSetArn }, ctx(5_000))).taskSet;
    assert.equal(primary.status, 'PRIMARY');
    const scaled = (await sets.UpdateTaskSet({ cluster: 'c', service: 'web', taskSet: green.id, scale: { value: 50, unit: 'PERCENT' } }, ctx(6_000))).taskSet;
    assert.deepEqual([scaled.computedDesiredCount, scaled.updatedAt], [2, 6]);
    primary = (await sets.UpdateServicePrimaryTaskSet({ cluster: 'c', service: 'web', primaryTaskSet: green.id }, ctx(7_000))).taskSet;
    assert.equal(primary.status, 'PRIMARY');

    await store.txn({ ops: [
      taskOp('c', 't1', { group: 'service:web', startedBy: blue.id, lastStatus: 'RUNNING' }),
      taskOp('c', 't2', { group: 'service:web', startedBy: green.id, lastStatus: 'PENDING' }),
    ] });
    const described = await sets.DescribeTaskSets({ cluster: 'c', service: 'web', taskSets: [blue.id, green.taskSetArn, 'ecs-svc/9'], include: ['TAGS'] }, ctx(8_000));
    assert.deepEqual(described.taskSets.map((t) => [t.id, t.status, t.runningCount, t.pendingCount, t.tags?.length]), [[blue.id, 'ACTIVE', 1, 0, 1], [green.id, 'PRIMARY', 0, 1, 0]]);
    assert.deepEqual(described.failures, [{ arn: `${ARN}:task-set/c/web/ecs-svc/9`, reason: 'MISSING' }]);
    assert.equal((await sets.DescribeTaskSets({ cluster: 'c', service: 'web' }, ctx(8_000))).taskSets.every((t) => !('tags' in t)), true);

    const svc = (await services.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(9_000))).services[0]!;
    assert.deepEqual([svc.taskDefinition, svc.runningCount, svc.pendingCount, svc.taskSets?.map((t) => t.status)], [`${ARN}:task-definition/web:2`, 1, 1, ['ACTIVE', 'PRIMARY']]);

    assert.deepEqual(await refusal(sets.DeleteTaskSet({ cluster: 'c', service: 'web', taskSet: blue.id }, ctx(10_000))), ['InvalidParameterException', 'The task set cannot be deleted while it is scaled above 0 (100 percent).']);
    // Task sets are tagged by their ARN, like other ECS resources.
    const tags = tagOperations({ store });
    await tags.TagResource({ resourceArn: green.taskSetArn, tags: [{ key: 'stage', value: 'canary' }] }, ctx(9_500));
    await tags.UntagResource({ resourceArn: blue.taskSetArn, tagKeys: ['color'] }, ctx(9_500));
    assert.deepEqual((await tags.ListTagsForResource({ resourceArn: green.taskSetArn }, ctx(9_500))).tags, [{ key: 'stage', value: 'canary' }]);
    assert.deepEqual((await tags.ListTagsForResource({ resourceArn: blue.taskSetArn }, ctx(9_500))).tags, []);
    assert.equal((await refusal(tags.ListTagsForResource({ resourceArn: `${ARN}:task-set/c/web/ecs-svc/9` }, ctx(9_500))))[0], 'ResourceNotFoundException');

    const deleted = (await sets.DeleteTaskSet({ cluster: 'c', service: 'web', taskSet: blue.taskSetArn, force: true }, ctx(10_000))).taskSet;
    assert.deepEqual([deleted.status, deleted.computedDesiredCount], ['DRAINING', 0]);
  } finally {
    await close();
  }
});

test('task set operations refuse unknown services and sets, and services of the ECS controller, and change nothing', async () => {
  const { services, sets, close } = await setUp('refusals');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'ecs', desiredCount: 0, taskDefinition: 'web' }, ctx(2_000));
    await services.CreateService({ cluster: 'c', serviceName: 'ext', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } }, ctx(2_000));
    assert.deepEqual(await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ecs', taskDefinition: 'web' }, ctx(3_000))),
      ['InvalidParameterException', 'Amazon ECS only supports task set management on services configured to use external deployment controllers.']);
    assert.equal((await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ghost', taskDefinition: 'web' }, ctx(3_000))))[0], 'ServiceNotFoundException');
    assert.equal((await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ext', taskDefinition: 'nope' }, ctx(3_000))))[0], 'ClientException');
    assert.equal((await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ext', taskDefinition: 'web', scale: { value: 150, unit: 'PERCENT' } }, ctx(3_000))))[0], 'InvalidParameterException');
    assert.equal((await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ext', taskDefinition: 'web', loadBalancers: [{}] }, ctx(3_000))))[0], 'InvalidParameterException');
    assert.equal((await refusal(sets.UpdateTaskSet({ cluster: 'c', service: 'ext', taskSet: 'ecs-svc/404', scale: { value: 1, unit: 'PERCENT' } }, ctx(3_000))))[0], 'TaskSetNotFoundException');
    assert.equal((await refusal(sets.DeleteTaskSet({ cluster: 'c', service: 'ext', taskSet: `${ARN}:task-set/c/other/ecs-svc/1` }, ctx(3_000))))[0], 'TaskSetNotFoundException');
    assert.deepEqual((await sets.DescribeTaskSets({ cluster: 'c', service: 'ext' }, ctx(3_000))).taskSets, []);
    await sets.CreateTaskSet({ cluster: 'c', service: 'ext', taskDefinition: 'web' }, ctx(3_500));
    const deleted = (await services.DeleteService({ cluster: 'c', service: 'ext', force: true }, ctx(4_000))).service;
    assert.deepEqual([deleted.status, deleted.taskSets?.map((t) => t.status)], ['DRAINING', ['DRAINING']]);
    assert.equal((await refusal(sets.CreateTaskSet({ cluster: 'c', service: 'ext', taskDefinition: 'web' }, ctx(5_000))))[0], 'ServiceNotActiveException');
  } finally {
    await close();
  }
});

test('CreateTaskSet on Fargate: AWS\'s Fargate rules, nothing added when refused; a Fargate set shows its platform version', async () => {
  const { services, sets, store, close } = await setUp('fargate');
  try {
    await taskDefinitionOperations({ store }).RegisterTaskDefinition({ family: 'fg', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
      containerDefinitions: [{ name: 'web', image: 'nginx' }] } as never, ctx(1_000));
    await services.CreateService({ cluster: 'c', serviceName: 'web', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } }, ctx(2_000));
    const net = { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'ENABLED' as const } };
    const base = { cluster: 'c', service: 'web', networkConfiguration: net };
    assert.deepEqual(await refusal(sets.CreateTaskSet({ ...base, taskDefinition: 'web', launchType: 'FARGATE', networkConfiguration: undefined }, ctx(3_000))),
      ['InvalidParameterException', 'Task definition does not support launch_type FARGATE.']);
    assert.deepEqual(await refusal(sets.CreateTaskSet({ ...base, taskDefinition: 'fg', launchType: 'FARGATE', platformVersion: '1.1.0' }, ctx(3_000))),
      ['PlatformUnknownException', "The specified platform version doesn't exist."]);
    assert.deepEqual(await refusal(sets.CreateTaskSet({ ...base, taskDefinition: 'fg', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }, ctx(3_000))),
      ['InvalidParameterException', 'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.']);
    assert.deepEqual(await refusal(sets.CreateTaskSet({ ...base, taskDefinition: 'fg', launchType: 'EC2' }, ctx(3_000))),
      ['InvalidParameterException', 'Assign public IP is not supported for this launch type.']);
    assert.deepEqual((await services.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(4_000))).services[0]!.taskSets, [], 'no task set was added');
    const made = (await sets.CreateTaskSet({ ...base, taskDefinition: 'fg', launchType: 'FARGATE' }, ctx(5_000))).taskSet;
    assert.deepEqual([made.launchType, made.platformVersion], ['FARGATE', 'LATEST']);
  } finally {
    await close();
  }
});
