/**
 * The kinds Berth's Kubernetes API server may serve, with the REST facts its OpenAPI paths
 * need (plural resource, scope, subresources). Facts of the Kubernetes 1.32 API; a kind is
 * served only when the API server lists it, this is what the schemas know.
 */
import type { GroupVersionKind } from '../contract.ts';

export interface KindInfo extends GroupVersionKind {
  /** The OpenAPI definition name: `io.k8s.api.core.v1.ConfigMap`. */
  readonly definition: string;
  /** The REST resource: `configmaps`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Subresources served with the kind's own shape (`status`) or another (`scale`: autoscaling/v1 Scale). */
  readonly subresources: readonly string[];
  /** A review: only created (POST answers it), never stored, listed or read; it has no List kind. */
  readonly createOnly?: boolean;
}

const kind = (group: string, version: string, k: string, definition: string, plural: string, namespaced: boolean, subresources: string[] = []): KindInfo =>
  ({ group, version, kind: k, definition, plural, namespaced, subresources });

const core = 'io.k8s.api.core.v1.';

export const KINDS: readonly KindInfo[] = [
  kind('', 'v1', 'Namespace', `${core}Namespace`, 'namespaces', false, ['status']),
  kind('', 'v1', 'ConfigMap', `${core}ConfigMap`, 'configmaps', true),
  kind('', 'v1', 'Secret', `${core}Secret`, 'secrets', true),
  kind('', 'v1', 'ServiceAccount', `${core}ServiceAccount`, 'serviceaccounts', true),
  kind('', 'v1', 'Event', `${core}Event`, 'events', true),
  kind('', 'v1', 'Pod', `${core}Pod`, 'pods', true, ['status']),
  kind('', 'v1', 'Node', `${core}Node`, 'nodes', false, ['status']),
  kind('', 'v1', 'Service', `${core}Service`, 'services', true, ['status']),
  kind('', 'v1', 'Endpoints', `${core}Endpoints`, 'endpoints', true),
  kind('events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event', 'events', true),
  kind('coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease', 'leases', true),
  kind('discovery.k8s.io', 'v1', 'EndpointSlice', 'io.k8s.api.discovery.v1.EndpointSlice', 'endpointslices', true),
  kind('apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment', 'deployments', true, ['status', 'scale']),
  kind('apps', 'v1', 'ReplicaSet', 'io.k8s.api.apps.v1.ReplicaSet', 'replicasets', true, ['status', 'scale']),
  kind('apps', 'v1', 'DaemonSet', 'io.k8s.api.apps.v1.DaemonSet', 'daemonsets', true, ['status']),
  kind('batch', 'v1', 'Job', 'io.k8s.api.batch.v1.Job', 'jobs', true, ['status']),
  { ...kind('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'io.k8s.api.authorization.v1.SelfSubjectAccessReview', 'selfsubjectaccessreviews', false), createOnly: true },
  { ...kind('authentication.k8s.io', 'v1', 'SelfSubjectReview', 'io.k8s.api.authentication.v1.SelfSubjectReview', 'selfsubjectreviews', false), createOnly: true },
  kind('rbac.authorization.k8s.io', 'v1', 'Role', 'io.k8s.api.rbac.v1.Role', 'roles', true),
  kind('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'io.k8s.api.rbac.v1.ClusterRole', 'clusterroles', false),
  kind('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'io.k8s.api.rbac.v1.RoleBinding', 'rolebindings', true),
  kind('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'io.k8s.api.rbac.v1.ClusterRoleBinding', 'clusterrolebindings', false),
  { ...kind('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'io.k8s.api.authorization.v1.SelfSubjectRulesReview', 'selfsubjectrulesreviews', false), createOnly: true },
  { ...kind('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'io.k8s.api.authorization.v1.SubjectAccessReview', 'subjectaccessreviews', false), createOnly: true },
];

/** Definitions served beside the kinds: what their paths take and answer, and what clients decode. */
export const EXTRA_DEFINITIONS: readonly string[] = [
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup',
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions',
  'io.k8s.api.autoscaling.v1.Scale',
  'io.k8s.api.policy.v1.Eviction',
  'io.k8s.api.authentication.v1.TokenRequest',
  'io.k8s.api.core.v1.Binding',
];

export const gvkKey = (gvk: GroupVersionKind): string => `${gvk.group}/${gvk.version}/${gvk.kind}`;

/** `v1` or `apps/v1`: a group-version as apiVersion spells it. */
export const apiVersionOf = (gvk: { group: string; version: string }): string => (gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`);
