/**
 * What the workload controllers (replica-set.ts, deployment.ts) decide: writes of Kubernetes
 * objects, each pinned to the resourceVersion it was decided from so a write that raced another
 * fails instead of undoing it (the runner retries on the next pass). Pure data.
 */

export type WorkloadResource = 'pods' | 'replicasets' | 'deployments' | 'endpointslices' | 'endpoints' | 'services' | 'jobs' | 'daemonsets';

/** The Event a controller records once its action succeeds (`kubectl describe`, `kubectl get events`), in the API server controllers' words. */
export interface ActionEvent {
  readonly about: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly namespace: string; readonly uid: string };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** The reporting controller: `deployment-controller`, `replicaset-controller`, `job-controller`, `daemonset-controller`. */
  readonly component: string;
}

type Recorded = { readonly event?: ActionEvent };

export type WorkloadAction = Recorded & (
  | { readonly type: 'create'; readonly resource: WorkloadResource; readonly namespace: string; readonly object: object }
  /** Replaces the object's spec and metadata (not its status). */
  | { readonly type: 'update'; readonly resource: WorkloadResource; readonly namespace: string; readonly name: string; readonly resourceVersion: string; readonly object: object }
  /** The status subresource. */
  | { readonly type: 'updateStatus'; readonly resource: WorkloadResource; readonly namespace: string; readonly name: string; readonly resourceVersion: string; readonly status: object }
  | { readonly type: 'delete'; readonly resource: WorkloadResource; readonly namespace: string; readonly name: string; readonly uid: string });

/** An event about `o` (its apiVersion and kind given), Normal unless said. */
export function eventAbout(o: { metadata: { name?: string; namespace?: string; uid?: string } }, apiVersion: string, kind: string, component: string,
  reason: string, message: string, type: ActionEvent['type'] = 'Normal'): ActionEvent {
  return { about: { apiVersion, kind, name: o.metadata.name!, namespace: o.metadata.namespace!, uid: o.metadata.uid! }, type, reason, message, component };
}

/** Pods created or deleted for one ReplicaSet in one pass: the API server's controller uses the same burst (burstReplicas). */
export const MAX_POD_WRITES_PER_PASS = 500;

/** RFC 3339 in seconds, as the API server writes times. */
export function timestamp(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Deep equality of JSON values, object key order aside. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => jsonEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
