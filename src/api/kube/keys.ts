/**
 * Where a cluster's Kubernetes objects live in the store (per cluster uid, so a new cluster of
 * the same name starts empty):
 *
 *   /berth/kube/<uid>/r/<group|core>/<plural>/<name>              cluster-scoped object
 *   /berth/kube/<uid>/r/<group|core>/<plural>/<namespace>/<name>  namespaced object
 *   .../<plural>/~deleted, .../<plural>/<namespace>/~deleted      the last object deleted there
 *
 * The `~deleted` key is written in the same transaction as a delete, so a watcher receives the
 * deleted object's last state (a DELETED event carries it) just before the delete itself; '~' is
 * in no valid name and sorts after every one, so lists skip it at the end of each range.
 */
import type { KindInfo } from './kinds.ts';

export const TOMBSTONE = '~deleted';

/** Everything of one cluster's Kubernetes side. */
export const clusterRoot = (uid: string): string => `/berth/kube/${uid}/`;

export const clusterPrefix = (uid: string): string => `${clusterRoot(uid)}r/`;

export function resourcePrefix(uid: string, kind: Pick<KindInfo, 'group' | 'plural'>): string {
  return `${clusterPrefix(uid)}${kind.group === '' ? 'core' : kind.group}/${kind.plural}/`;
}

/** Every object of the kind in `namespace` (all namespaces when undefined, or for cluster-scoped kinds). */
export function listPrefix(uid: string, kind: KindInfo, namespace: string | undefined): string {
  const base = resourcePrefix(uid, kind);
  return kind.namespaced && namespace !== undefined ? `${base}${namespace}/` : base;
}

export function objectKey(uid: string, kind: KindInfo, namespace: string | undefined, name: string): string {
  return kind.namespaced ? `${resourcePrefix(uid, kind)}${namespace}/${name}` : `${resourcePrefix(uid, kind)}${name}`;
}

export function tombstoneKey(uid: string, kind: KindInfo, namespace: string | undefined): string {
  return kind.namespaced ? `${resourcePrefix(uid, kind)}${namespace}/${TOMBSTONE}` : `${resourcePrefix(uid, kind)}${TOMBSTONE}`;
}

export const isTombstone = (key: string): boolean => key.endsWith(TOMBSTONE);
