import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapacityProviderRecord } from '../../core/ecs/capacity-provider.ts';
import type { ClusterRecord } from '../../core/ecs/cluster.ts';
import { ApiError } from '../../core/errors.ts';
import { keys } from '../../core/ecs/keys.ts';
import { getJson } from '../../store/json.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { capacityProviderOperations } from './capacity-providers.ts';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { taskRecord } from '../../cluster/testing.ts';
import { clusterOperations } from './clusters.ts';
import { rootPrincipal } from '../../identity/principal.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const ctx: RequestContext = { region: scope.region, accountId: scope.account, requestId: 'r', now: 1_700_000_000_000, accessKeyId: undefined, principal: rootPrincipal(scope.account), host: 'localhost' };
const asg = (name: string) => ({ autoScalingGroupArn: `arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1:autoScalingGroupName/${name}` });

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-capacity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openSqliteStore(join(dir, 'state.db'));
  t.after(() => store.close());
  const state = createClusterState(store);
  t.after(() => state.close());
  await state.ready();
  const ops = { ...clusterOperations({ store, state }), ...capacityProviderOperations({ store }) };
  await ops.CreateCapacityProvider({ name: 'a', autoScalingGroupProvider: asg('a') }, ctx);
  await ops.CreateCapacityProvider({ name: 'b', autoScalingGroupProvider: asg('b') }, ctx);
  await ops.CreateCluster({ clusterName: 'c', capacityProviders: ['a', 'b'], defaultCapacityProviderStrategy: [{ capacityProvider: 'a', weight: 1 }] }, ctx);
  return { store, ops };
}

const put = (store: Store, key: string, value: string) => store.txn({ ops: [{ type: 'put', key, value }] });
const provider = async (store: Store, name: string) => (await getJson<CapacityProviderRecord>(store, keys.capacityProvider(scope, name)))!.value;
const cluster = async (store: Store, name: string) => (await getJson<ClusterRecord>(store, keys.cluster(scope, name)))!.value;
const inUse = (e: unknown) => e instanceof ApiError && e.code === 'ResourceInUseException' && e.message === 'The specified capacity provider is in use and cannot be removed.';

test('a provider in a service strategy (its own or a deployment\'s) cannot be taken from the cluster; nothing changes', async (t) => {
  const { store, ops } = await setup(t);
  const shrink = () => ops.PutClusterCapacityProviders({ cluster: 'c', capacityProviders: ['a'], defaultCapacityProviderStrategy: [{ capacityProvider: 'a', weight: 1 }] }, ctx);
  await put(store, keys.service(scope, 'c', 'web'), JSON.stringify({ status: 'ACTIVE', deployments: [{ capacityProviderStrategy: [{ capacityProvider: 'b', weight: 1 }] }] }));
  await assert.rejects(shrink(), inUse);
  assert.deepEqual((await cluster(store, 'c')).capacityProviders, ['a', 'b']);
  assert.deepEqual((await provider(store, 'b')).clusters, ['c']);
  // An INACTIVE service holds nothing.
  await put(store, keys.service(scope, 'c', 'web'), JSON.stringify({ status: 'INACTIVE', capacityProviderStrategy: [{ capacityProvider: 'b', weight: 1 }] }));
  await shrink();
  assert.deepEqual((await provider(store, 'b')).clusters, []);
});

test('a provider that tasks not STOPPED run on cannot be taken from the cluster', async (t) => {
  const { store, ops } = await setup(t);
  const task = (lastStatus: 'RUNNING' | 'STOPPED') => JSON.stringify({ ...taskRecord('c', 't1', { lastStatus, scope }), capacityProviderName: 'b' });
  await put(store, keys.task(scope, 'c', 't1'), task('RUNNING'));
  await assert.rejects(ops.PutClusterCapacityProviders({ cluster: 'c', capacityProviders: ['a'], defaultCapacityProviderStrategy: [] }, ctx), inUse);
  await put(store, keys.task(scope, 'c', 't1'), task('STOPPED'));
  await ops.PutClusterCapacityProviders({ cluster: 'c', capacityProviders: ['a'], defaultCapacityProviderStrategy: [] }, ctx);
  assert.deepEqual((await cluster(store, 'c')).capacityProviders, ['a']);
});

test('a delete racing an association never leaves a cluster with a deleted provider', async (t) => {
  const { store, ops } = await setup(t);
  await ops.CreateCapacityProvider({ name: 'racy', autoScalingGroupProvider: asg('racy') }, ctx);
  for (let round = 0; round < 20; round++) {
    const put = ops.PutClusterCapacityProviders({ cluster: 'c', capacityProviders: ['a', 'b', 'racy'], defaultCapacityProviderStrategy: [] }, ctx).catch((e: unknown) => e);
    const del = ops.DeleteCapacityProvider({ capacityProvider: 'racy' }, ctx).catch((e: unknown) => e);
    await Promise.all([put, del]);
    const p = await provider(store, 'racy');
    const c = await cluster(store, 'c');
    if (p.status === 'INACTIVE') {
      assert.ok(!c.capacityProviders.includes('racy'), `round ${round}: the cluster names a deleted provider`);
      await ops.CreateCapacityProvider({ name: 'racy', autoScalingGroupProvider: asg('racy') }, ctx);
    } else {
      assert.ok(c.capacityProviders.includes('racy'));
      assert.equal(p.updateStatus, 'DELETE_FAILED');
      await ops.PutClusterCapacityProviders({ cluster: 'c', capacityProviders: ['a', 'b'], defaultCapacityProviderStrategy: [] }, ctx);
    }
  }
});

test('deleting a cluster lets its providers go, so they can be deleted', async (t) => {
  const { store, ops } = await setup(t);
  const failed = await ops.DeleteCapacityProvider({ capacityProvider: 'a' }, ctx);
  assert.equal(failed.capacityProvider.updateStatus, 'DELETE_FAILED');
  assert.equal(failed.capacityProvider.updateStatusReason, 'The capacity provider cannot be deleted because it is associated with cluster: c. Remove the capacity provider from the cluster and try again.');
  await ops.DeleteCluster({ cluster: 'c' }, ctx);
  assert.deepEqual((await provider(store, 'a')).clusters, []);
  const deleted = await ops.DeleteCapacityProvider({ capacityProvider: 'a' }, ctx);
  assert.deepEqual([deleted.capacityProvider.status, deleted.capacityProvider.updateStatus], ['ACTIVE', 'DELETE_IN_PROGRESS']);
  const stored = await provider(store, 'a');
  assert.deepEqual([stored.status, stored.updateStatus, stored.updateStatusReason], ['INACTIVE', 'DELETE_COMPLETE', undefined]);
});

test('DescribeCapacityProviders pages through the account\'s providers, then FARGATE and FARGATE_SPOT', async (t) => {
  const { ops } = await setup(t);
  for (const n of ['c1', 'c2', 'c3']) await ops.CreateCapacityProvider({ name: n, autoScalingGroupProvider: asg(n) }, ctx);
  await ops.DeleteCapacityProvider({ capacityProvider: 'c2' }, ctx);
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ops.DescribeCapacityProviders({ maxResults: 2, ...(nextToken && { nextToken }) }, ctx);
    assert.ok(page.capacityProviders.length <= 2);
    assert.ok(!('failures' in page), 'AWS leaves failures out when there are none');
    names.push(...page.capacityProviders.map((p) => p.name));
    nextToken = 'nextToken' in page ? page.nextToken : undefined;
  } while (nextToken);
  assert.deepEqual(names, ['a', 'b', 'c1', 'c3', 'FARGATE', 'FARGATE_SPOT']);
  const ofCluster = await ops.DescribeCapacityProviders({ cluster: 'c' }, ctx);
  assert.deepEqual(ofCluster.capacityProviders.map((p) => p.name), ['a', 'b']);
});
