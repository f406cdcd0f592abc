/**
 * The shapes RBAC decides on (rbac.authorization.k8s.io/v1's PolicyRule, Subject, RoleRef),
 * a request's attributes (the API server's authorizer.Attributes) and the snapshot of a
 * cluster's RBAC objects the authorizer reads.
 */
import type { KubeUser } from '../../../core/kube/user.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface Subject {
  readonly kind: string;
  readonly apiGroup?: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface RoleRef {
  readonly apiGroup: string;
  readonly kind: string;
  readonly name: string;
}

/** A Role or ClusterRole as the authorizer needs it: its rules. */
export interface RoleView {
  readonly name: string;
  readonly rules: readonly PolicyRule[];
}

/** A RoleBinding (namespace set) or ClusterRoleBinding (namespace undefined). */
export interface BindingView {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly subjects: readonly Subject[];
  readonly roleRef: RoleRef;
}

/** What one request asks to do (the API server's authorizer.Attributes). */
export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

export interface ResourceAttributes {
  readonly resourceRequest: true;
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** The plural: `pods`. */
  readonly resource: string;
  /** `log` of `pods/log`, '' when none. */
  readonly subresource: string;
  /** '' for a cluster-wide request (a cluster-scoped kind, or a list across namespaces). */
  readonly namespace: string;
  /** '' when the request names no object (list, create). */
  readonly name: string;
}

export interface NonResourceAttributes {
  readonly resourceRequest: false;
  /** The lower-cased HTTP method: `get`, `post`. */
  readonly verb: string;
  readonly path: string;
}

/**
 * The cluster's RBAC objects, indexed as the authorizer walks them. Its size is the cluster's
 * RBAC objects (one view per Role, ClusterRole, RoleBinding, ClusterRoleBinding): the bound is
 * the cluster's own, as the API server's informer caches of the four kinds.
 */
export interface RbacSnapshot {
  readonly clusterRoles: ReadonlyMap<string, RoleView>;
  /** namespace → name → role. */
  readonly roles: ReadonlyMap<string, ReadonlyMap<string, RoleView>>;
  readonly clusterRoleBindings: readonly BindingView[];
  /** namespace → its RoleBindings. */
  readonly roleBindings: ReadonlyMap<string, readonly BindingView[]>;
}

export const EMPTY_SNAPSHOT: RbacSnapshot = { clusterRoles: new Map(), roles: new Map(), clusterRoleBindings: [], roleBindings: new Map() };

export type Decision =
  | { readonly allowed: true; readonly reason: string }
  | { readonly allowed: false; readonly reason: string };

export type { KubeUser };
