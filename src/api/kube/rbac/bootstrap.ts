/**
 * The default roles and bindings the API server bootstraps (its rbac/bootstrap-roles
 * post-start hook), as facts of Kubernetes 1.32's bootstrap policy: the user-facing roles
 * (cluster-admin, and admin, edit, view aggregated from system:aggregate-to-*), discovery,
 * basic-user and public-info-viewer with their bindings. Each carries the
 * `rbac.authorization.kubernetes.io/autoupdate: "true"` annotation: `bootstrapWrites` (pure)
 * says what to create, and what to widen in objects that still carry it, at every start.
 * The same rules answer EKS's access policies (`accessPolicyRules`).
 */
import { sameRule, settledRules, type AggregationInput } from './aggregation.ts';
import { RBAC_GROUP, type PolicyRule, type Subject } from './types.ts';

export const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const TO = (what: string): Record<string, string> => ({ [`rbac.authorization.k8s.io/aggregate-to-${what}`]: 'true' });

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule =>
  ({ verbs, apiGroups, resources, ...(resourceNames && { resourceNames }) });
const urls = (nonResourceURLs: string[], verbs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

export interface BootstrapClusterRole extends AggregationInput {
  readonly labels: Readonly<Record<string, string>>;
}

export interface BootstrapBinding {
  readonly name: string;
  readonly role: string;
  readonly subjects: readonly Subject[];
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });
const aggregate = (what: string) => ({ clusterRoleSelectors: [{ matchLabels: TO(what) }] });

export const BOOTSTRAP_CLUSTER_ROLES: readonly BootstrapClusterRole[] = [
  { name: 'cluster-admin', labels: BOOTSTRAPPING, rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  { name: 'admin', labels: BOOTSTRAPPING, aggregationRule: aggregate('admin') },
  { name: 'edit', labels: { ...BOOTSTRAPPING, ...TO('admin') }, aggregationRule: aggregate('edit') },
  { name: 'view', labels: { ...BOOTSTRAPPING, ...TO('edit') }, aggregationRule: aggregate('view') },
  { name: 'system:aggregate-to-admin', labels: { ...BOOTSTRAPPING, ...TO('admin') }, rules: [
    rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
    rule([RBAC_GROUP], ['rolebindings', 'roles'], ALL),
  ] },
  { name: 'system:aggregate-to-edit', labels: { ...BOOTSTRAPPING, ...TO('edit') }, rules: [
    rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
    rule([''], ['serviceaccounts'], ['impersonate']),
    rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
    rule([''], ['pods/eviction'], ['create']),
    rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
    rule([''], ['serviceaccounts/token'], ['create']),
    rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['batch'], ['cronjobs', 'jobs'], WRITE),
    rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
    rule(['coordination.k8s.io'], ['leases'], ALL),
  ] },
  { name: 'system:aggregate-to-view', labels: { ...BOOTSTRAPPING, ...TO('view') }, rules: [
    rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
    rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], READ),
    rule([''], ['namespaces'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
    rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
    rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
    rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
    rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
  ] },
  { name: 'system:basic-user', labels: BOOTSTRAPPING, rules: [
    rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
    rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
  ] },
  { name: 'system:discovery', labels: BOOTSTRAPPING, rules: [
    urls(['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], ['get']),
  ] },
  { name: 'system:public-info-viewer', labels: BOOTSTRAPPING, rules: [urls(['/healthz', '/livez', '/readyz', '/version', '/version/'], ['get'])] },
];

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly BootstrapBinding[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [group('system:masters')] },
  { name: 'system:basic-user', role: 'system:basic-user', subjects: [group('system:authenticated')] },
  { name: 'system:discovery', role: 'system:discovery', subjects: [group('system:authenticated')] },
  { name: 'system:public-info-viewer', role: 'system:public-info-viewer', subjects: [group('system:authenticated'), group('system:unauthenticated')] },
];

/** The default ClusterRoles with the aggregated ones' rules filled in, as the aggregation controller leaves them. */
const AGGREGATED: ReadonlyMap<string, readonly PolicyRule[]> = settledRules(BOOTSTRAP_CLUSTER_ROLES);

/** The permissions of an EKS access policy's ClusterRole (cluster-admin, admin, edit, view) by the default policy. */
export function accessPolicyRules(clusterRole: string): readonly PolicyRule[] {
  return AGGREGATED.get(clusterRole) ?? [];
}

type Obj = { metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown> } & Record<string, unknown>;

const META = (name: string, labels: Readonly<Record<string, string>>) => ({ name, labels: { ...labels }, annotations: { [AUTOUPDATE]: 'true' } });

export function clusterRoleObject(r: BootstrapClusterRole): Obj {
  return {
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: META(r.name, r.labels),
    ...(r.aggregationRule && { aggregationRule: r.aggregationRule }), rules: [...(AGGREGATED.get(r.name) ?? [])],
  };
}

export function clusterRoleBindingObject(b: BootstrapBinding): Obj {
  return {
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: META(b.name, BOOTSTRAPPING),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: b.role }, subjects: b.subjects.map((s) => ({ ...s })),
  };
}

/** One write of the bootstrap: create a missing object, or replace one still marked autoupdate with what it lacks. */
export type BootstrapWrite =
  | { readonly type: 'create'; readonly kind: 'ClusterRole' | 'ClusterRoleBinding'; readonly object: Obj }
  | { readonly type: 'update'; readonly kind: 'ClusterRole' | 'ClusterRoleBinding'; readonly name: string; readonly change: (current: Obj) => Obj };

const autoupdate = (o: Obj): boolean => o.metadata.annotations?.[AUTOUPDATE] !== 'false';

/**
 * What the start of a server writes, given the ClusterRoles and ClusterRoleBindings that exist
 * (by name): missing defaults are created; defaults that exist and still carry autoupdate gain
 * the rules, subjects, labels and annotations they lack (nothing is taken away, as the API
 * server's reconciliation); those marked `autoupdate: "false"` are left as they are.
 */
export function bootstrapWrites(clusterRoles: ReadonlyMap<string, Obj>, bindings: ReadonlyMap<string, Obj>): BootstrapWrite[] {
  const writes: BootstrapWrite[] = [];
  for (const r of BOOTSTRAP_CLUSTER_ROLES) {
    const cur = clusterRoles.get(r.name);
    const want = clusterRoleObject(r);
    if (!cur) {
      writes.push({ type: 'create', kind: 'ClusterRole', object: want });
      continue;
    }
    if (!autoupdate(cur)) continue;
    const rules = (cur.rules ?? []) as PolicyRule[];
    // An aggregated role's rules are the aggregation's to keep; the others gain the rules they lack.
    const missing = r.aggregationRule ? [] : (want.rules as PolicyRule[]).filter((x) => !rules.some((y) => sameRule(x, y)));
    const lacksMeta = Object.entries(want.metadata.labels ?? {}).some(([k, v]) => cur.metadata.labels?.[k] !== v) || cur.metadata.annotations?.[AUTOUPDATE] !== 'true';
    const lacksAggregation = r.aggregationRule !== undefined && JSON.stringify(cur.aggregationRule) !== JSON.stringify(r.aggregationRule);
    if (missing.length > 0 || lacksMeta || lacksAggregation) {
      writes.push({ type: 'update', kind: 'ClusterRole', name: r.name, change: (o) => ({
        ...o,
        metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...want.metadata.labels }, annotations: { ...o.metadata.annotations, [AUTOUPDATE]: 'true' } },
        ...(r.aggregationRule && { aggregationRule: r.aggregationRule }),
        rules: [...((o.rules ?? []) as PolicyRule[]), ...missing],
      }) });
    }
  }
  for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) {
    const cur = bindings.get(b.name);
    if (!cur) {
      writes.push({ type: 'create', kind: 'ClusterRoleBinding', object: clusterRoleBindingObject(b) });
      continue;
    }
    if (!autoupdate(cur)) continue;
    const subjects = (cur.subjects ?? []) as Subject[];
    const missing = b.subjects.filter((s) => !subjects.some((x) => x.kind === s.kind && x.name === s.name && (x.namespace ?? '') === (s.namespace ?? '')));
    if (missing.length > 0) writes.push({ type: 'update', kind: 'ClusterRoleBinding', name: b.name, change: (o) => ({ ...o, subjects: [...((o.subjects ?? []) as Subject[]), ...missing] }) });
  }
  return writes;
}
