import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, SCOPE, taskOp } from '../../cluster/testing.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { clusterStateServiceCounts, storeServiceCounts } from './service-counts.ts';
import { serviceOperations, type ServiceIds } from './services.ts';
import { taskDefinitionOperations } from './task-definitions.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-services-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (now: number): RequestContext => ({ region: SCOPE.region, accountId: SCOPE.account, requestId: 'r', now, accessKeyId: undefined, principal: rootPrincipal(SCOPE.account), host: 'localhost' });

test('deployment ids come from the injected source; counts are the same from the store and from the cluster state', async () => {
  const store = await openSqliteStore(join(dir, 'a.db'));
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [clusterOp('c')] });
    await taskDefinitionOperations({ store }).RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] } as never, ctx(1_000));
    let n = 0;
    const ids: ServiceIds = { deploymentId: () => `ecs-svc/${String(++n).padStart(19, '0')}` };
    const fromStore = serviceOperations({ store, state }, ids, storeServiceCounts(store));
    const created = await fromStore.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 3 }, ctx(2_000));
    assert.deepEqual(created.service.deployments.map((d) => [d.id, d.createdAt]), [['ecs-svc/0000000000000000001', 2]]);
    const updated = await fromStore.UpdateService({ cluster: 'c', service: 'web', forceNewDeployment: true }, ctx(3_000));
    assert.deepEqual(updated.service.deployments.map((d) => [d.id, d.status]), [['ecs-svc/0000000000000000002', 'PRIMARY'], ['ecs-svc/0000000000000000001', 'ACTIVE']]);

    await store.txn({ ops: [
      taskOp('c', 't1', { group: 'service:web', startedBy: 'ecs-svc/0000000000000000001', lastStatus: 'RUNNING' }),
      taskOp('c', 't2', { group: 'service:web', startedBy: 'ecs-svc/0000000000000000002', lastStatus: 'PENDING' }),
      taskOp('c', 't3', { group: 'service:web', startedBy: 'ecs-svc/0000000000000000002', lastStatus: 'RUNNING' }),
      taskOp('c', 't4', { group: 'service:other', lastStatus: 'RUNNING' }),
      taskOp('c', 't5', { group: 'service:web', startedBy: 'ecs-svc/0000000000000000001', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }),
    ] });
    await state.ready();
    await state.caughtUp(await store.revision());
    const fromState = serviceOperations({ store, state }, ids, clusterStateServiceCounts(state));
    const counts = async (ops: typeof fromStore) => {
      const s = (await ops.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(4_000))).services[0]!;
      return [s.runningCount, s.pendingCount, s.deployments.map((d) => [d.runningCount, d.pendingCount])];
    };
    assert.deepEqual(await counts(fromStore), [2, 1, [[1, 1], [1, 0]]]);
    assert.deepEqual(await counts(fromState), await counts(fromStore));
  } finally {
    state.close();
    await store.close();
  }
});

test('a create while a service of that name is still DRAINING is refused as ECS refuses it, and changes nothing', async () => {
  // No service scheduler runs here, so the deleted service stays DRAINING (in a running Berth
  // it turns INACTIVE as soon as its tasks are gone).
  const store = await openSqliteStore(join(dir, 'draining.db'));
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [clusterOp('c')] });
    await state.ready();
    await taskDefinitionOperations({ store }).RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] } as never, ctx(1_000));
    const ops = serviceOperations({ store, state });
    await ops.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }, ctx(2_000));
    await ops.DeleteService({ cluster: 'c', service: 'web', force: true }, ctx(3_000));
    const before = (await ops.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(4_000))).services[0]!;
    assert.equal(before.status, 'DRAINING');
    await assert.rejects(ops.CreateService({ cluster: 'c', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }, ctx(5_000)),
      (e: Error & { code?: string }) => e.message.startsWith('Unable to Start a service that is still Draining.') && e.code === 'InvalidParameterException');
    assert.deepEqual((await ops.DescribeServices({ cluster: 'c', services: ['web'] }, ctx(6_000))).services[0], before);
    await assert.rejects(ops.UpdateService({ cluster: 'c', service: 'web', desiredCount: 1 }, ctx(7_000)), /Service was not ACTIVE\./);
  } finally {
    state.close();
    await store.close();
  }
});

test('DescribeServices counts each service from its own group\'s running sums, never from every task of the cluster', async () => {
  const store = await openSqliteStore(join(dir, 'by-group.db'));
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [clusterOp('c')] });
    await state.ready();
    await taskDefinitionOperations({ store }).RegisterTaskDefinition({ family: 'web', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] } as never, ctx(1_000));
    const asked: (string | undefined)[] = [];
    const source = clusterStateServiceCounts(state);
    const ops = serviceOperations({ store, state }, undefined, async (scope, cluster, service) => { asked.push(service); return source(scope, cluster, service); });
    const a = await ops.CreateService({ cluster: 'c', serviceName: 'a', taskDefinition: 'web', desiredCount: 1 }, ctx(2_000));
    await ops.CreateService({ cluster: 'c', serviceName: 'b', taskDefinition: 'web', desiredCount: 1 }, ctx(2_000));
    const r = await store.txn({ ops: [
      taskOp('c', 't1', { group: 'service:a', startedBy: a.service.deployments[0]!.id, lastStatus: 'RUNNING' }),
      taskOp('c', 't2', { group: 'family:web', lastStatus: 'RUNNING' }),
    ] });
    await state.caughtUp(r.revision);
    asked.length = 0;
    const d = await ops.DescribeServices({ cluster: 'c', services: ['a', 'b', 'missing'] }, ctx(3_000));
    assert.deepEqual(asked, ['a', 'b']);
    assert.deepEqual(d.services.map((s) => [s.serviceName, s.runningCount]), [['a', 1], ['b', 0]]);
    assert.deepEqual(d.failures.map((f) => f.reason), ['MISSING']);
  } finally {
    state.close();
    await store.close();
  }
});
