import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTSTRAP_NAMESPACES, EVENT_TTL_MS, reconcileKube, type KubeObjectRef } from './reconcile.ts';
import { ROOT_CA_CONFIGMAP } from '../../core/kube/pod/defaults.ts';

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

  it('publishes the cluster CA as kube-root-ca.crt in every active namespace, again when deleted or changed, never in a terminating one', () => {
    const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
    const published = (namespace: string, rootCA: KubeObjectRef['rootCA']) => obj('configmaps', namespace, ROOT_CA_CONFIGMAP, { rootCA });
    const publishes = (objects: KubeObjectRef[]) => reconcileKube({ objects, rootCA: CA }, 0).actions.filter((a) => a.type === 'publishRootCA');
    assert.deepEqual(publishes(base()).map((a) => a.type === 'publishRootCA' && [a.namespace, a.create, a.ca]), BOOTSTRAP_NAMESPACES.map((n) => [n, true, CA]));
    const all = BOOTSTRAP_NAMESPACES.map((n) => published(n, { ca: CA, described: true }));
    assert.deepEqual(publishes([...base(), ...all]), [], 'published everywhere: nothing to do');
    const changed = [published('default', { ca: 'other', described: true }), ...all.slice(1)];
    assert.deepEqual(publishes([...base(), ...changed]), [{ type: 'publishRootCA', namespace: 'default', ca: CA, create: false }]);
    const undescribed = [published('default', { ca: CA, described: false }), ...all.slice(1)];
    assert.deepEqual(publishes([...base(), ...undescribed]), [{ type: 'publishRootCA', namespace: 'default', ca: CA, create: false }]);
    assert.deepEqual(publishes([...base(), ...all.slice(1)]), [{ type: 'publishRootCA', namespace: 'default', ca: CA, create: true }], 'deleted: created again');
    assert.deepEqual(publishes([...base(), ...all, ns('team', { deleting: true })]), [], 'a terminating namespace gets none');
    assert.deepEqual(reconcileKube({ objects: base() }, 0).actions.filter((a) => a.type === 'publishRootCA'), [], 'no CA given: nothing published');
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
