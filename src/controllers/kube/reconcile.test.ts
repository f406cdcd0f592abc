import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTSTRAP_NAMESPACES, EVENT_TTL_MS, reconcileKube, type KubeObjectRef } from './reconcile.ts';

const ns = (name: string, extra: Partial<KubeObjectRef> = {}): KubeObjectRef => ({
  resource: 'namespaces', namespace: undefined, name, uid: `ns-${name}`, deleting: false, finalizers: [], ownerUids: [], contentFinalizer: true, ...extra,
});
const obj = (resource: string, namespace: string, name: string, extra: Partial<KubeObjectRef> = {}): KubeObjectRef => ({
  resource, namespace, name, uid: `${resource}-${namespace}-${name}`, deleting: false, finalizers: [], ownerUids: [], ...extra,
});
const base = (): KubeObjectRef[] => BOOTSTRAP_NAMESPACES.flatMap((n) => [ns(n), obj('serviceaccounts', n, 'default')]);

describe('the kube reconciler', () => {
  it('makes the bootstrap namespaces, then a default service account in each', () => {
    assert.deepEqual(reconcileKube({ objects: [] }, 0).actions.map((a) => a.type === 'createNamespace' && a.name), BOOTSTRAP_NAMESPACES);
    assert.deepEqual(reconcileKube({ objects: BOOTSTRAP_NAMESPACES.map((n) => ns(n)) }, 0).actions.filter((a) => a.type === 'createServiceAccount').length, 4);
    assert.deepEqual(reconcileKube({ objects: base() }, 0).actions, []);
  });

  it('empties a terminating namespace, then removes its kubernetes finalizer', () => {
    const team = ns('team', { deleting: true });
    const cm = obj('configmaps', 'team', 'c');
    assert.deepEqual(reconcileKube({ objects: [...base(), team, cm] }, 0).actions, [{ type: 'delete', resource: 'configmaps', namespace: 'team', name: 'c', uid: cm.uid }]);
    assert.deepEqual(reconcileKube({ objects: [...base(), team, { ...cm, deleting: true, finalizers: ['x/y'] }] }, 0).actions, []);
    assert.deepEqual(reconcileKube({ objects: [...base(), team] }, 0).actions, [{ type: 'finalizeNamespace', name: 'team' }]);
  });

  it('expires events an hour after they were last seen, and wakes for the next expiry', () => {
    const old = obj('events', 'default', 'old', { lastSeenAt: 0 });
    const fresh = obj('events', 'default', 'fresh', { lastSeenAt: 30 * 60_000 });
    const r = reconcileKube({ objects: [...base(), old, fresh] }, EVENT_TTL_MS);
    assert.deepEqual(r.actions, [{ type: 'delete', resource: 'events', namespace: 'default', name: 'old', uid: old.uid }]);
    assert.equal(r.wakeAt, 30 * 60_000 + EVENT_TTL_MS);
  });

  it('collects dependents whose owners are gone, orphans on request, and deletes foreground dependents first', () => {
    const owner = obj('configmaps', 'default', 'owner');
    const dep = obj('configmaps', 'default', 'dep', { ownerUids: [owner.uid] });
    assert.deepEqual(reconcileKube({ objects: [...base(), dep] }, 0).actions, [{ type: 'delete', resource: 'configmaps', namespace: 'default', name: 'dep', uid: dep.uid }]);
    assert.deepEqual(reconcileKube({ objects: [...base(), owner, dep] }, 0).actions, []);
    const orphaning = { ...owner, deleting: true, finalizers: ['orphan'] };
    assert.deepEqual(reconcileKube({ objects: [...base(), orphaning, dep] }, 0).actions, [{ type: 'removeOwnerReference', resource: 'configmaps', namespace: 'default', name: 'dep', ownerUid: owner.uid }]);
    assert.deepEqual(reconcileKube({ objects: [...base(), orphaning] }, 0).actions, [{ type: 'removeFinalizer', resource: 'configmaps', namespace: 'default', name: 'owner', finalizer: 'orphan' }]);
    const foreground = { ...owner, deleting: true, finalizers: ['foregroundDeletion'] };
    assert.deepEqual(reconcileKube({ objects: [...base(), foreground, dep] }, 0).actions, [{ type: 'delete', resource: 'configmaps', namespace: 'default', name: 'dep', uid: dep.uid, foreground: true }]);
    assert.deepEqual(reconcileKube({ objects: [...base(), foreground] }, 0).actions, [{ type: 'removeFinalizer', resource: 'configmaps', namespace: 'default', name: 'owner', finalizer: 'foregroundDeletion' }]);
  });
});
