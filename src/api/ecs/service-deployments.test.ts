import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, SCOPE } from '../../cluster/testing.ts';
import { ApiError } from '../../core/errors.ts';
import { keys } from '../../core/ecs/keys.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { serviceDeploymentOperations } from './service-deployments.ts';
import { storeServiceCounts } from './service-counts.ts';
import { serviceOperations, type ServiceIds } from './services.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-service-deployments-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (now: number): RequestContext => ({ region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'localhost' });
const arn = (resource: string) => `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:${resource}`;

async function refusal(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return [e.code, e.message];
  }
  return assert.fail('expected a refusal');
}

async function setup(name: string) {
  const store = await openSqliteStore(join(dir, `${name}.db`));
  const state = createClusterState(store);
  await store.txn({ ops: [clusterOp('c')] });
  const tds = taskDefinitionOperations({ store });
  await tds.RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] } as never, ctx(1_000));
  await tds.RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox:2', memory: 64 }] } as never, ctx(1_000));
  let d = 0;
  let sd = 0;
  let rev = 0;
  const ids: ServiceIds = {
    deploymentId: () => `ecs-svc/${String(++d).padStart(19, '0')}`,
    serviceDeploymentId: () => `sd${++sd}`,
    serviceRevisionId: () => `${++rev}`.padStart(19, '0'),
  };
  const services = serviceOperations({ store, state }, ids, storeServiceCounts(store));
  const deployments = serviceDeploymentOperations({ store, state }, () => ids.deploymentId(), storeServiceCounts(store));
  return { store, state, services, deployments, close: async () => { await state.close(); store.close(); } };
}

const REV1 = arn('service-revision/c/web/0000000000000000001');
const REV2 = arn('service-revision/c/web/0000000000000000002');
const SD1 = arn('service-deployment/c/web/sd1');
const SD2 = arn('service-deployment/c/web/sd2');

test('CreateService and UpdateService each open a service deployment and its revision; a desired count alone opens none', async () => {
  const { services, deployments, close } = await setup('open');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 2 }, ctx(2_000));
    await services.UpdateService({ cluster: 'c', service: 'web', desiredCount: 3 }, ctx(3_000));
    const { service: updated } = await services.UpdateService({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }, ctx(4_000));
    // The Service shape names its newest service deployment and the revisions it runs: how a caller follows its update.
    assert.equal(updated.currentServiceDeployment, SD2);
    assert.deepEqual(updated.currentServiceRevisions, [
      { arn: REV2, requestedTaskCount: 3, runningTaskCount: 0, pendingTaskCount: 0 },
      { arn: REV1, requestedTaskCount: 0, runningTaskCount: 0, pendingTaskCount: 0 },
    ]);
    const listed = await deployments.ListServiceDeployments({ cluster: 'c', service: 'web' }, ctx(5_000));
    assert.deepEqual(listed.serviceDeployments.map((d) => [d.serviceDeploymentArn, d.status, d.targetServiceRevisionArn, d.createdAt]), [
      [SD2, 'PENDING', REV2, 4], [SD1, 'STOPPED', REV1, 2],
    ]);
    assert.equal(listed.nextToken, undefined);
    const { serviceDeployments: [sd2], failures } = await deployments.DescribeServiceDeployments({ serviceDeploymentArns: [SD2, arn('service-deployment/c/web/ghost')] }, ctx(5_000));
    assert.deepEqual(failures, [{ arn: arn('service-deployment/c/web/ghost'), reason: 'MISSING' }]);
    assert.deepEqual(sd2!.sourceServiceRevisions.map((r) => r.arn), [REV1]);
    assert.deepEqual(sd2!.targetServiceRevision, { arn: REV2, requestedTaskCount: 3, runningTaskCount: 0, pendingTaskCount: 0 });
    const revisions = await deployments.DescribeServiceRevisions({ serviceRevisionArns: [REV1, REV2, arn('service-revision/c/web/9')] }, ctx(5_000));
    assert.deepEqual(revisions.serviceRevisions.map((r) => [r.serviceRevisionArn, r.taskDefinition, r.containerImages[0]!.image, r.createdAt]), [
      [REV1, arn('task-definition/web:1'), 'busybox', 2], [REV2, arn('task-definition/web:2'), 'busybox:2', 4],
    ]);
    assert.deepEqual(revisions.failures, [{ arn: arn('service-revision/c/web/9'), reason: 'MISSING' }]);
  } finally {
    await close();
  }
});

test('ListServiceDeployments filters by status and creation time and pages with nextToken', async () => {
  const { services, deployments, close } = await setup('list');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 1 }, ctx(10_000));
    for (let i = 2; i <= 5; i++) await services.UpdateService({ cluster: 'c', service: 'web', forceNewDeployment: true }, ctx(i * 10_000));
    const list = (input: object) => deployments.ListServiceDeployments({ cluster: 'c', service: arn('service/c/web'), ...input }, ctx(60_000));
    assert.deepEqual((await list({ status: ['PENDING'] })).serviceDeployments.map((d) => d.serviceDeploymentArn), [arn('service-deployment/c/web/sd5')]);
    assert.deepEqual((await list({ createdAt: { after: 20, before: 50 } })).serviceDeployments.map((d) => d.createdAt), [40, 30]);
    assert.deepEqual((await list({ createdAt: { before: '1970-01-01T00:00:25Z' } })).serviceDeployments.map((d) => d.createdAt), [20, 10]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await list({ maxResults: 2, ...(token && { nextToken: token }) });
      seen.push(...page.serviceDeployments.map((d) => d.serviceDeploymentArn.split('/').pop()!));
      token = page.nextToken;
    } while (token);
    assert.deepEqual(seen, ['sd5', 'sd4', 'sd3', 'sd2', 'sd1']);
    assert.deepEqual(await refusal(list({ maxResults: 101 })), ['InvalidParameterException', 'maxResults must be between 1 and 100; it was 101.']);
    assert.equal((await refusal(list({ nextToken: 'bogus' })))[0], 'InvalidParameterException');
    assert.equal((await refusal(deployments.ListServiceDeployments({ cluster: 'c', service: 'ghost' }, ctx(0))))[0], 'ServiceNotFoundException');
    assert.equal((await refusal(deployments.ListServiceDeployments({ cluster: 'nope', service: 'web' }, ctx(0))))[0], 'ClusterNotFoundException');
  } finally {
    await close();
  }
});

test('StopServiceDeployment rolls the service back to the revision it replaced; refusals change nothing', async () => {
  const { store, services, deployments, close } = await setup('stop');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 2 }, ctx(2_000));
    await services.UpdateService({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }, ctx(3_000));
    const before = await store.get(keys.service(SCOPE, 'c', 'web'));
    assert.deepEqual(await refusal(deployments.StopServiceDeployment({ serviceDeploymentArn: arn('service-deployment/c/web/ghost') }, ctx(4_000))),
      ['ServiceDeploymentNotFoundException', `The service deployment ${arn('service-deployment/c/web/ghost')} does not exist. List a service's deployments with ListServiceDeployments.`]);
    assert.deepEqual(await refusal(deployments.StopServiceDeployment({ serviceDeploymentArn: SD1, stopType: 'ROLLBACK' }, ctx(4_000))),
      ['ConflictException', `The service deployment ${SD1} is STOPPED and cannot be stopped: only a PENDING or IN_PROGRESS service deployment can be. List the service's deployments with ListServiceDeployments.`]);
    assert.equal((await refusal(deployments.StopServiceDeployment({ serviceDeploymentArn: SD2, stopType: 'ABORT' }, ctx(4_000))))[0], 'UnsupportedFeatureException');
    assert.equal((await refusal(deployments.ContinueServiceDeployment({ serviceDeploymentArn: SD2, hookId: 'h' }, ctx(4_000))))[0], 'InvalidParameterException');
    assert.equal((await refusal(deployments.ContinueServiceDeployment({ serviceDeploymentArn: arn('service-deployment/c/web/ghost'), hookId: 'h' }, ctx(4_000))))[0], 'ServiceDeploymentNotFoundException');
    assert.deepEqual(await store.get(keys.service(SCOPE, 'c', 'web')), before, 'no refusal wrote anything');

    assert.deepEqual(await deployments.StopServiceDeployment({ serviceDeploymentArn: SD2 }, ctx(5_000)), { serviceDeploymentArn: SD2 });
    const { serviceDeployments: [sd2] } = await deployments.DescribeServiceDeployments({ serviceDeploymentArns: [SD2] }, ctx(5_000));
    assert.deepEqual([sd2!.status, sd2!.rollback], ['ROLLBACK_REQUESTED', { reason: 'Rollback requested with StopServiceDeployment.', startedAt: 5, serviceRevisionArn: REV1 }]);
    const { services: [svc] } = await services.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(5_000));
    assert.equal(svc!.taskDefinition, arn('task-definition/web:1'));
    assert.deepEqual(svc!.deployments.map((d) => [d.status, d.taskDefinition, d.rolloutState]), [
      ['PRIMARY', arn('task-definition/web:1'), 'IN_PROGRESS'], ['ACTIVE', arn('task-definition/web:2'), 'FAILED'], ['ACTIVE', arn('task-definition/web:1'), 'IN_PROGRESS'],
    ]);
    // Stopping it again while it rolls back: the rollback goes on.
    const after = await store.get(keys.service(SCOPE, 'c', 'web'));
    assert.deepEqual(await deployments.StopServiceDeployment({ serviceDeploymentArn: SD2, stopType: 'ROLLBACK' }, ctx(6_000)), { serviceDeploymentArn: SD2 });
    assert.deepEqual(await store.get(keys.service(SCOPE, 'c', 'web')), after);
  } finally {
    await close();
  }
});

test('a service created again under a deleted one\'s name starts with no service deployments and none of its revisions', async () => {
  const { store, services, deployments, close } = await setup('recreate');
  try {
    await services.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 0 }, ctx(2_000));
    await services.UpdateService({ cluster: 'c', service: 'web', taskDefinition: 'web:2' }, ctx(3_000));
    await services.DeleteService({ cluster: 'c', service: 'web' }, ctx(4_000));
    const key = keys.service(SCOPE, 'c', 'web');
    const drained = JSON.parse((await store.get(key))!.value);
    await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify({ ...drained, status: 'INACTIVE' }) }] });
    await services.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 0 }, ctx(5_000));
    const listed = await deployments.ListServiceDeployments({ cluster: 'c', service: 'web' }, ctx(6_000));
    assert.deepEqual(listed.serviceDeployments.map((d) => d.serviceDeploymentArn), [arn('service-deployment/c/web/sd3')]);
    assert.deepEqual((await store.list(keys.serviceRevisions(SCOPE, 'c', 'web'))).items.map((kv) => kv.key.split('/').pop()), ['0000000000000000003']);
  } finally {
    await close();
  }
});
