import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FARGATE_POOL_CLUSTER, fargatePoolScope, HOST_ATTRIBUTE } from '../core/ecs/fargate.ts';
import { keys } from '../core/ecs/keys.ts';
import { ecsArn } from '../core/ecs/scope.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { createClusterState } from './cluster-state.ts';
import { HostSiblings, MAX_REGISTRATIONS_PER_HOST, sumUsage } from './host-siblings.ts';
import { clusterOp, instanceOp, instanceRecord, putOp, SCOPE, taskRecord } from './testing.ts';
import type { ClusterRef } from './types.ts';

const POOL = fargatePoolScope(SCOPE.region);
const pool: ClusterRef = { scope: POOL, cluster: FARGATE_POOL_CLUSTER };
const own: ClusterRef = { scope: SCOPE, cluster: 'a' };
const poolArn = (id: string) => ecsArn(POOL, `container-instance/${FARGATE_POOL_CLUSTER}/${id}`);
const ownArn = (id: string) => ecsArn(SCOPE, `container-instance/a/${id}`);
const onHost = (h: string) => [{ name: HOST_ATTRIBUTE, value: h }];

/** A 256/512 Fargate task of cluster a on pool host `host`. */
function fargateTaskOp(id: string, host: string, lastStatus: 'PENDING' | 'STOPPED' = 'PENDING') {
  const { containerInstanceArn: _none, ...rest } = taskRecord('a', id, { awsvpc: true, cpu: 256, memory: 512, lastStatus });
  return putOp(keys.task(SCOPE, 'a', id), { ...rest, launchType: 'FARGATE', containerInstanceArn: poolArn(host) });
}

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  try { await fn(store); } finally { await store.close(); }
}

const view = (state: ReturnType<typeof createClusterState>, ref: ClusterRef, arn: string) => {
  const i = state.placementInstance(ref, arn)!;
  return [i.cpu, i.memory, i.eni];
};

test('a host registered in its cluster and in the pool: each view subtracts the other\'s tasks, and the other\'s feed hears of it', async () => {
  await withStore(async (store) => {
    await store.txn({ ops: [
      clusterOp(FARGATE_POOL_CLUSTER, POOL), clusterOp('a'),
      instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, attributes: onHost('H') }),
      instanceOp('a', 'i1', { attributes: onHost('H') }),
      // Same resources, no host id: on its own, as before.
      instanceOp('a', 'i2'),
    ] });
    const state = createClusterState(store);
    try {
      await state.ready();
      assert.deepEqual(state.siblingClusters(pool).map((r) => r.cluster), ['a']);
      assert.deepEqual(state.siblingClusters(own).map((r) => r.cluster), [FARGATE_POOL_CLUSTER]);
      assert.deepEqual(state.siblingClusters(own, [ownArn('i2')]), [], 'an instance without the attribute shares no host');
      const poolFeed = state.followPlacement(pool);
      const ownFeed = state.followPlacement(own);

      // An EC2 task on the host's cluster instance: the pool host's view loses it too.
      let r = await store.txn({ ops: [putOp(keys.task(SCOPE, 'a', 't1'), taskRecord('a', 't1', { instance: 'i1', cpu: 512, memory: 1024 }))] });
      await state.caughtUp(r.revision);
      assert.deepEqual(view(state, own, ownArn('i1')), [2048 - 512, 4096 - 1024, 120]);
      assert.deepEqual(view(state, pool, poolArn('h1')), [2048 - 512, 4096 - 1024, 120]);
      assert.deepEqual([...poolFeed.drain().arns], [poolArn('h1')], 'the pool\'s placer re-reads its host');
      assert.ok(ownFeed.drain().arns.has(ownArn('i1')));
      assert.equal(state.placementSnapshot(pool).instances[0]!.cpu, 2048 - 512, 'the whole snapshot agrees with the point read');

      // A Fargate task on the pool host: the cluster instance's view loses its CPU, memory and ENI.
      r = await store.txn({ ops: [fargateTaskOp('f1', 'h1')] });
      await state.caughtUp(r.revision);
      assert.deepEqual(view(state, own, ownArn('i1')), [2048 - 768, 4096 - 1536, 119]);
      assert.deepEqual(view(state, pool, poolArn('h1')), [2048 - 768, 4096 - 1536, 119]);
      assert.ok(ownFeed.drain().arns.has(ownArn('i1')), 'the cluster\'s placer re-reads its instance');
      assert.deepEqual(view(state, own, ownArn('i2')), [2048, 4096, 120], 'the lone instance is untouched');
      assert.ok(!poolFeed.drain().arns.has(ownArn('i2')));

      // Stopped: the sibling gets it back.
      r = await store.txn({ ops: [fargateTaskOp('f1', 'h1', 'STOPPED')] });
      await state.caughtUp(r.revision);
      assert.deepEqual(view(state, own, ownArn('i1')), [2048 - 512, 4096 - 1024, 120]);
      assert.ok(ownFeed.drain().arns.has(ownArn('i1')));

      // Deregistered (INACTIVE): no longer linked, and the pool host is whole again.
      r = await store.txn({ ops: [putOp(keys.containerInstance(SCOPE, 'a', 'i1'), instanceRecord('a', 'i1', { attributes: onHost('H'), status: 'INACTIVE' }))] });
      await state.caughtUp(r.revision);
      assert.deepEqual(view(state, pool, poolArn('h1')), [2048, 4096, 120]);
      assert.ok(poolFeed.drain().arns.has(poolArn('h1')));
      assert.deepEqual(state.siblingClusters(pool), []);
      poolFeed.close();
      ownFeed.close();
    } finally {
      state.close();
    }
  });
});

test('a state loaded from the store links siblings whatever order it reads them in', async () => {
  await withStore(async (store) => {
    // The task is stored before either registration, and the pool's scope sorts after the account's.
    await store.txn({ ops: [fargateTaskOp('f1', 'h1'), putOp(keys.task(SCOPE, 'a', 't1'), taskRecord('a', 't1', { instance: 'i1', cpu: 512, memory: 1024 }))] });
    await store.txn({ ops: [clusterOp(FARGATE_POOL_CLUSTER, POOL), clusterOp('a'), instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, attributes: onHost('H') }), instanceOp('a', 'i1', { attributes: onHost('H') })] });
    const state = createClusterState(store);
    try {
      await state.ready();
      assert.deepEqual(view(state, own, ownArn('i1')), [2048 - 768, 4096 - 1536, 119]);
      assert.deepEqual(view(state, pool, poolArn('h1')), [2048 - 768, 4096 - 1536, 119]);
    } finally {
      state.close();
    }
  });
});

test('hosts are per region, and a host takes at most MAX_REGISTRATIONS_PER_HOST registrations', () => {
  const clusterOf = (arn: string) => arn.split(':')[5]!.split('/')[1];
  const s = new HostSiblings(clusterOf);
  const arn = (region: string, cluster: string, id: string) => `arn:aws:ecs:${region}:123456789012:container-instance/${cluster}/${id}`;
  assert.deepEqual(s.link(arn('r1', 'a', '1'), 'H'), []);
  assert.deepEqual(s.link(arn('r1', 'b', '2'), 'H'), [arn('r1', 'a', '1')], 'the new sibling\'s sibling is told');
  assert.deepEqual(s.link(arn('r2', 'b', '3'), 'H'), [], 'another region: another host');
  assert.deepEqual(s.siblingsOf(arn('r1', 'a', '1')), [arn('r1', 'b', '2')]);
  assert.deepEqual([...s.siblingClusters('a')], ['b']);
  assert.deepEqual(s.link(arn('r1', 'b', '2'), 'H'), [], 'the same link again changes nothing');
  for (let i = 3; i <= MAX_REGISTRATIONS_PER_HOST; i++) s.link(arn('r1', 'c', String(i)), 'H');
  assert.equal(s.siblingsOf(arn('r1', 'a', '1')).length, MAX_REGISTRATIONS_PER_HOST - 1);
  s.link(arn('r1', 'c', 'extra'), 'H');
  assert.equal(s.overflow(), 1);
  assert.deepEqual(s.siblingsOf(arn('r1', 'c', 'extra')), [], 'past the bound: on its own');
  assert.deepEqual(s.link(arn('r1', 'a', '1'), undefined).length, MAX_REGISTRATIONS_PER_HOST - 1, 'unlinked: its old siblings are told');
  assert.deepEqual([...s.siblingClusters('a')], []);
  assert.deepEqual(sumUsage(['x', 'y', 'z'], (a) => (a === 'z' ? undefined : { cpu: 1, memory: 2, eni: 1 })), { cpu: 2, memory: 4, eni: 2 });
  assert.equal(sumUsage(['x'], () => undefined), undefined);
});
