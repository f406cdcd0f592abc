import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteFirst, reconcileReplicaSet } from './replica-set.ts';
import type { Pod, ReplicaSet } from './workload-objects.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const rs: ReplicaSet = {
  metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-1', resourceVersion: '7', generation: 2 },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
};
const own = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', controller: true }];
function pod(name: string, o: { ready?: string; phase?: string; node?: string; created?: string; owner?: boolean } = {}): Pod {
  return {
    metadata: { name, uid: `u-${name}`, namespace: 'default', labels: { app: 'web' }, creationTimestamp: o.created ?? '2026-12-07T11:00:00Z', ...(o.owner !== false && { ownerReferences: own }) },
    spec: { ...(o.node && { nodeName: o.node }) },
    status: { phase: o.phase ?? 'Running', ...(o.ready && { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: o.ready }] }) },
  };
}

test('missing pods are created from the template, owned, named after the ReplicaSet', () => {
  let n = 0;
  const actions = reconcileReplicaSet(rs, [pod('web-abc-1', { ready: '2026-12-07T11:00:00Z' }), pod('stray', { owner: false })], NOW, () => `x${++n}`);
  const creates = actions.filter((a) => a.type === 'create');
  assert.equal(creates.length, 2);
  const p = creates[0]!.type === 'create' ? creates[0]!.object as Pod : undefined;
  assert.equal(p?.metadata.name, 'web-abc-x1');
  assert.equal(p?.metadata.generateName, 'web-abc-');
  assert.deepEqual(p?.metadata.labels, { app: 'web' });
  assert.deepEqual(p?.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(p?.spec, { containers: [{ name: 'web', image: 'nginx' }] });
  const status = actions.find((a) => a.type === 'updateStatus');
  assert.deepEqual(status?.type === 'updateStatus' && status.status, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
  assert.equal(status?.type === 'updateStatus' && status.resourceVersion, '7');
});

test('extra pods go worth-least first: unscheduled, pending, not ready, ready the shortest time, newest', () => {
  const pods = [
    pod('old-ready', { ready: '2026-12-07T10:00:00Z', node: 'h' }),
    pod('new-ready', { ready: '2026-12-07T11:59:00Z', node: 'h' }),
    pod('not-ready', { node: 'h' }),
    pod('pending', { phase: 'Pending', node: 'h' }),
    pod('unscheduled', { phase: 'Pending' }),
  ];
  assert.deepEqual([...pods].sort(deleteFirst).map((p) => p.metadata.name), ['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready']);
  const actions = reconcileReplicaSet({ ...rs, spec: { ...rs.spec, replicas: 2 } }, pods, NOW, () => 'x');
  assert.deepEqual(actions.filter((a) => a.type === 'delete').map((a) => a.type === 'delete' && a.name), ['unscheduled', 'pending', 'not-ready']);
  // The pods it deletes no longer count: the Deployment controller must not spend availability that is going.
  const status = actions.find((a) => a.type === 'updateStatus');
  assert.deepEqual(status?.type === 'updateStatus' && status.status, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 });
});

test('finished or deleting pods do not count; a ReplicaSet being deleted creates nothing; an unchanged status is not written', () => {
  const done = [pod('a', { phase: 'Succeeded' }), { ...pod('b'), metadata: { ...pod('b').metadata, deletionTimestamp: '2026-12-07T11:59:59Z' } }];
  assert.equal(reconcileReplicaSet(rs, done, NOW, () => 'x').filter((a) => a.type === 'create').length, 3);
  assert.equal(reconcileReplicaSet({ ...rs, metadata: { ...rs.metadata, deletionTimestamp: '2026-12-07T11:59:59Z' } }, [], NOW, () => 'x').filter((a) => a.type === 'create').length, 0);
  const ready = ['1', '2', '3'].map((n) => pod(`p${n}`, { ready: '2026-12-07T11:00:00Z' }));
  const steady = { ...rs, status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2 } };
  assert.deepEqual(reconcileReplicaSet(steady, ready, NOW, () => 'x'), []);
});

test('availability waits minReadySeconds after Ready', () => {
  const fresh = [pod('p', { ready: new Date(NOW - 5_000).toISOString() })];
  const actions = reconcileReplicaSet({ ...rs, spec: { ...rs.spec, replicas: 1, minReadySeconds: 10 } }, fresh, NOW, () => 'x');
  const s = actions.find((a) => a.type === 'updateStatus');
  assert.deepEqual(s?.type === 'updateStatus' && s.status, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 0, observedGeneration: 2 });
});
