/**
 * The Kubernetes side's background decisions over one cluster's objects, pure:
 * `reconcileKube(snapshot, now) → actions`. The loop that feeds it and applies what it
 * decides is controller-loop.ts.
 *
 * - bootstrap namespaces: default, kube-system, kube-public, kube-node-lease always exist;
 * - default service accounts: every active namespace has a ServiceAccount `default`;
 * - namespace lifecycle: a Terminating namespace's objects are deleted, then its
 *   `kubernetes` finalizer is removed (the namespace goes with its last finalizer);
 * - garbage collection by ownerReferences (uids): a dependent whose owners are all gone is
 *   deleted (background); an owner deleted with `orphan` has its dependents' references to it
 *   removed, then the finalizer; with `foregroundDeletion`, its dependents are deleted first
 *   (in the foreground themselves, so a Deployment goes after its ReplicaSets' pods), then
 *   the finalizer;
 * - root CA publisher: every active namespace has the ConfigMap `kube-root-ca.crt` whose
 *   `ca.crt` is the cluster's CA (what pods' projected kube-api-access volumes read), put back
 *   when deleted and rewritten when changed, with its description annotation;
 * - event expiry: an Event goes EVENT_TTL_MS after it was last seen (the API server's
 *   --event-ttl, 1 hour), so events never pile up.
 */

import { ROOT_CA_CONFIGMAP } from '../../core/kube/pod/defaults.ts';

/** One object as the reconciler sees it: its kind named by `resource` (`configmaps`, `leases.coordination.k8s.io`). */
export interface KubeObjectRef {
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid: string;
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
  readonly ownerUids: readonly string[];
  /** Namespaces only: spec.finalizers still holds `kubernetes`. */
  readonly contentFinalizer?: boolean;
  /** Events only: epoch ms when it was last seen (its last timestamp, else its creation). */
  readonly lastSeenAt?: number;
  /** The `kube-root-ca.crt` ConfigMap only: its `ca.crt`, and whether it carries the publisher's description. */
  readonly rootCA?: { readonly ca: string | undefined; readonly described: boolean };
}

export interface KubeSnapshot {
  readonly objects: readonly KubeObjectRef[];
  /** The cluster's CA certificate (PEM), published to every namespace; none: nothing published. */
  readonly rootCA?: string;
}

export type KubeAction =
  | { readonly type: 'createNamespace'; readonly name: string }
  | { readonly type: 'createServiceAccount'; readonly namespace: string; readonly name: string }
  /** `foreground`: the dependent goes in the foreground too (its own dependents first), as its owner does. */
  | { readonly type: 'delete'; readonly resource: string; readonly namespace: string | undefined; readonly name: string; readonly uid: string; readonly foreground?: boolean }
  | { readonly type: 'removeFinalizer'; readonly resource: string; readonly namespace: string | undefined; readonly name: string; readonly finalizer: string }
  | { readonly type: 'removeOwnerReference'; readonly resource: string; readonly namespace: string | undefined; readonly name: string; readonly ownerUid: string }
  | { readonly type: 'finalizeNamespace'; readonly name: string }
  /** Writes `kube-root-ca.crt` in `namespace` (creates it when `create`) with `ca.crt` = `ca` and the description. */
  | { readonly type: 'publishRootCA'; readonly namespace: string; readonly ca: string; readonly create: boolean };

/** The root CA publisher's annotation and text, as the publisher writes them. */
export const ROOT_CA_DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

export const BOOTSTRAP_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** How long an Event lives after it was last seen: the API server's --event-ttl default. */
export const EVENT_TTL_MS = 60 * 60_000;

export interface KubeReconcileResult {
  readonly actions: KubeAction[];
  /** When to run again though nothing changed (the next event expiry), epoch ms. */
  readonly wakeAt: number | undefined;
}

/** Actions of one pass at most: the rest come in the next pass (each write triggers one). */
export const MAX_ACTIONS_PER_PASS = 500;

export function reconcileKube(snapshot: KubeSnapshot, now: number): KubeReconcileResult {
  const actions: KubeAction[] = [];
  const namespaces = snapshot.objects.filter((o) => o.resource === 'namespaces');
  const byUid = new Map(snapshot.objects.map((o) => [o.uid, o]));
  const present = new Set(namespaces.map((n) => n.name));
  for (const name of BOOTSTRAP_NAMESPACES) if (!present.has(name)) actions.push({ type: 'createNamespace', name });
  const inNamespace = new Map<string, KubeObjectRef[]>();
  for (const o of snapshot.objects) {
    if (o.namespace === undefined) continue;
    let list = inNamespace.get(o.namespace);
    if (!list) inNamespace.set(o.namespace, (list = []));
    list.push(o);
  }
  for (const ns of namespaces) {
    const contents = inNamespace.get(ns.name) ?? [];
    if (!ns.deleting) {
      if (!contents.some((o) => o.resource === 'serviceaccounts' && o.name === 'default')) {
        actions.push({ type: 'createServiceAccount', namespace: ns.name, name: 'default' });
      }
      if (snapshot.rootCA !== undefined) {
        const cm = contents.find((o) => o.resource === 'configmaps' && o.name === ROOT_CA_CONFIGMAP);
        if (!cm) actions.push({ type: 'publishRootCA', namespace: ns.name, ca: snapshot.rootCA, create: true });
        else if (!cm.deleting && (cm.rootCA?.ca !== snapshot.rootCA || !cm.rootCA.described)) actions.push({ type: 'publishRootCA', namespace: ns.name, ca: snapshot.rootCA, create: false });
      }
      continue;
    }
    for (const o of contents) if (!o.deleting) actions.push({ type: 'delete', resource: o.resource, namespace: o.namespace, name: o.name, uid: o.uid });
    if (contents.length === 0 && ns.contentFinalizer) actions.push({ type: 'finalizeNamespace', name: ns.name });
  }
  const dependents = new Map<string, KubeObjectRef[]>();
  for (const o of snapshot.objects) {
    for (const uid of o.ownerUids) {
      let list = dependents.get(uid);
      if (!list) dependents.set(uid, (list = []));
      list.push(o);
    }
    if (o.ownerUids.length > 0 && !o.deleting && o.ownerUids.every((uid) => !byUid.has(uid))) {
      actions.push({ type: 'delete', resource: o.resource, namespace: o.namespace, name: o.name, uid: o.uid });
    }
  }
  for (const owner of snapshot.objects) {
    if (!owner.deleting) continue;
    const deps = dependents.get(owner.uid) ?? [];
    if (owner.finalizers.includes('orphan')) {
      for (const d of deps) actions.push({ type: 'removeOwnerReference', resource: d.resource, namespace: d.namespace, name: d.name, ownerUid: owner.uid });
      if (deps.length === 0) actions.push({ type: 'removeFinalizer', resource: owner.resource, namespace: owner.namespace, name: owner.name, finalizer: 'orphan' });
    } else if (owner.finalizers.includes('foregroundDeletion')) {
      for (const d of deps) if (!d.deleting) actions.push({ type: 'delete', resource: d.resource, namespace: d.namespace, name: d.name, uid: d.uid, foreground: true });
      if (deps.length === 0) actions.push({ type: 'removeFinalizer', resource: owner.resource, namespace: owner.namespace, name: owner.name, finalizer: 'foregroundDeletion' });
    }
  }
  let wakeAt: number | undefined;
  for (const o of snapshot.objects) {
    if (o.lastSeenAt === undefined || o.deleting) continue;
    const expires = o.lastSeenAt + EVENT_TTL_MS;
    if (expires <= now) actions.push({ type: 'delete', resource: o.resource, namespace: o.namespace, name: o.name, uid: o.uid });
    else if (wakeAt === undefined || expires < wakeAt) wakeAt = expires;
  }
  return { actions: actions.slice(0, MAX_ACTIONS_PER_PASS), wakeAt };
}
