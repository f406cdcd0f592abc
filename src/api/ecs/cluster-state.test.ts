import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClusterState } from '../../cluster/cluster-state.ts';
import { clusterOp, instanceOp, instanceRecord, putOp, SCOPE, taskOp, taskRecord } from '../../cluster/testing.ts';
import type { ClusterRef } from '../../cluster/types.ts';
import { FARGATE_POOL_CLUSTER, fargatePoolScope, HOST_ATTRIBUTE } from '../../core/ecs/fargate.ts';
import { keys } from '../../core/ecs/keys.ts';
import { ecsArn } from '../../core/ecs/scope.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { instanceView } from './cluster-state.ts';

test('instanceView: counts and remaining resources from the cluster state, Berth\'s own fields left out', () => {
  const record = { ...instanceRecord('c1', 'i1', { cpu: 2048, memory: 4096, ports: ['8000'] }), agentDisconnectedAt: 1_700_000_000_000 };
  const view = instanceView(record, { cpu: 512, memory: 1024, eni: 0, running: 2, pending: 1, ports: ['8080/tcp', '5353/udp', '8000/tcp'] });
  assert.equal('agentDisconnectedAt' in view, false);
  assert.equal(view.runningTasksCount, 2);
  assert.equal(view.pendingTasksCount, 1);
  const left = new Map(view.remainingResources.map((r) => [r.name, r]));
  assert.equal(left.get('CPU')!.integerValue, 1536);
  assert.equal(left.get('MEMORY')!.integerValue, 3072);
  assert.deepEqual([...left.get('PORTS')!.stringSetValue!].sort(), ['22', '2375', '2376', '51678', '51679', '8000', '8080']);
  assert.deepEqual(left.get('PORTS_UDP')!.stringSetValue, ['5353']);
  assert.deepEqual(view.registeredResources, record.registeredResources, 'registered resources as registered');
});

test('instanceView: a host registered twice has less left by what its sibling registration\'s tasks hold', () => {
  const record = instanceRecord('c1', 'i1', { cpu: 2048, memory: 4096 });
  const view = instanceView(record, { cpu: 512, memory: 1024, eni: 0, running: 1, pending: 0, ports: [], siblings: { cpu: 256, memory: 512, eni: 1 } });
  const left = new Map(view.remainingResources.map((r) => [r.name, r.integerValue]));
  assert.equal(left.get('CPU'), 2048 - 512 - 256);
  assert.equal(left.get('MEMORY'), 4096 - 1024 - 512);
  assert.equal(view.runningTasksCount, 1, 'the sibling\'s tasks are not counted as this instance\'s');
});

test('DescribeContainerInstances and the placer see the same remaining resources on a host registered twice', async () => {
  const POOL = fargatePoolScope(SCOPE.region);
  const onHost = [{ name: HOST_ATTRIBUTE, value: 'H' }];
  const own: ClusterRef = { scope: SCOPE, cluster: 'a' };
  const ownArn = ecsArn(SCOPE, 'container-instance/a/i1');
  const store = await openSqliteStore(':memory:');
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [
      clusterOp(FARGATE_POOL_CLUSTER, POOL), clusterOp('a'),
      instanceOp(FARGATE_POOL_CLUSTER, 'h1', { scope: POOL, attributes: onHost }),
      instanceOp('a', 'i1', { attributes: onHost }),
    ] });
    await state.ready();
    // An EC2 task on the cluster's instance and a Fargate task (of the same cluster) on the pool host.
    const { containerInstanceArn: _none, ...fargate } = taskRecord('a', 'f1', { awsvpc: true, cpu: 256, memory: 512 });
    const r = await store.txn({ ops: [
      taskOp('a', 't1', { instance: 'i1', cpu: 512, memory: 1024 }),
      putOp(keys.task(SCOPE, 'a', 'f1'), { ...fargate, launchType: 'FARGATE', containerInstanceArn: ecsArn(POOL, `container-instance/${FARGATE_POOL_CLUSTER}/h1`) }),
    ] });
    await state.caughtUp(r.revision);
    const record = instanceRecord('a', 'i1', { attributes: onHost });
    const left = new Map(instanceView(record, state.instanceUsage(own, ownArn)).remainingResources.map((x) => [x.name, x.integerValue]));
    const placed = state.placementInstance(own, ownArn)!;
    assert.deepEqual([left.get('CPU'), left.get('MEMORY')], [2048 - 512 - 256, 4096 - 1024 - 512]);
    assert.deepEqual([left.get('CPU'), left.get('MEMORY')], [placed.cpu, placed.memory], 'the view and the placer agree');
  } finally {
    state.close();
    await store.close();
  }
});
