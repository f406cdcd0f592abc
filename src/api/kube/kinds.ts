/**
 * The kinds registry: one table of every kind this server serves, the one source for
 * discovery, routing, Table columns and OpenAPI's `served` list. A kind's `backend` says who
 * keeps its objects: 'generic' is this package's storage (objects as JSON under the cluster's
 * keys); a kind kept elsewhere (a pod is a task, a node a container instance) gets a backend
 * of its own implementing the same verbs (see storage-backend.ts), and the table does not change.
 */
import type { NameRule } from '../../core/kube/names.ts';
import type { GroupVersionKind } from './contract.ts';
import { columnsFor, type Column } from './table-columns.ts';

export interface Subresource {
  readonly name: string;
  readonly verbs: readonly Verb[];
  readonly kind?: GroupVersionKind;
}

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface KindInfo extends GroupVersionKind {
  /** The resource name in URLs: `configmaps`. */
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  /**
   * Subresources served, with their verbs (`namespaces/status`), and the kind they take and
   * answer when it is not the resource's own (`deployments/scale`: autoscaling/v1 Scale).
   */
  readonly subresources: readonly Subresource[];
  /** The rule names of this kind follow. */
  readonly nameRule: NameRule;
  /**
   * Whether objects carry metadata.generation, bumped on spec changes only (deployments and
   * their kin, next). The real server's strategies for the kinds served now set none, Lease's
   * included, so neither does Berth.
   */
  readonly generation: boolean;
  /** Fields a fieldSelector may name beyond metadata.name and metadata.namespace. */
  readonly fieldSelectors: readonly string[];
  /**
   * Who stores it (backends.ts): 'generic' for this package's JSON objects, 'events.k8s.io/v1'
   * for the view of core Events, 'nodes' for container instances (node-backend.ts), 'pods' for
   * tasks of the workload model (pod-backend.ts). Only
   * 'generic' kinds have keys of their own (keys.ts).
   */
  readonly backend: string;
  /** Table columns (`kubectl get`), as the real server prints this kind. */
  readonly columns: readonly Column[];
}

const ALL: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function kind(k: Omit<KindInfo, 'columns' | 'categories' | 'subresources' | 'fieldSelectors' | 'backend' | 'verbs' | 'shortNames'> & Partial<KindInfo>): KindInfo {
  return {
    categories: [], subresources: [], fieldSelectors: [], backend: 'generic', verbs: ALL, shortNames: [],
    ...k, columns: k.columns ?? columnsFor(k.group, k.plural),
  };
}

const STATUS: Subresource = { name: 'status', verbs: ['get', 'patch', 'update'] };
/** `kubectl scale` finds the Scale kind of a resource from discovery's subresource entry. */
const SCALE: Subresource = { name: 'scale', verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } };
/** What `kubectl get all` lists. */
const ALL_CATEGORY = ['all'];

const EVENT_FIELDS = ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
  'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'];

/**
 * The pods row's streaming subresources (pod-streams.ts serves them), as discovery lists them
 * beside `status`: the kinds the real server names and the verbs it takes.
 */
export const POD_STREAM_SUBRESOURCES: readonly Subresource[] = [
  { name: 'attach', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodAttachOptions' } },
  { name: 'exec', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodExecOptions' } },
  { name: 'log', verbs: ['get'], kind: { group: '', version: 'v1', kind: 'Pod' } },
  { name: 'portforward', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' } },
];

/** Every kind served now. */
export const KINDS: readonly KindInfo[] = [
  kind({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], nameRule: 'label', generation: false, fieldSelectors: ['status.phase'],
    subresources: [{ name: 'finalize', verbs: ['update'] }, { name: 'status', verbs: ['get', 'patch', 'update'] }] }),
  kind({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], nameRule: 'subdomain', generation: false }),
  kind({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true, nameRule: 'subdomain', generation: false, fieldSelectors: ['type'] }),
  // `serviceaccounts/token`: TokenRequest (token-request.ts), create only.
  kind({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], nameRule: 'subdomain', generation: false,
    subresources: [{ name: 'token', verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } }] }),
  kind({ group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], nameRule: 'subdomain', generation: false, fieldSelectors: EVENT_FIELDS }),
  kind({ group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], nameRule: 'subdomain', generation: false, backend: 'events.k8s.io/v1',
    fieldSelectors: ['regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reason', 'reportingController', 'type'] }),
  // Nodes are the container instances the cluster's node groups claimed (node-backend.ts): not created through the API, status read-only.
  kind({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], nameRule: 'subdomain', generation: false, backend: 'nodes',
    verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], fieldSelectors: ['spec.unschedulable'], subresources: [{ name: 'status', verbs: ['get'] }] }),
  // Pods are tasks of the workload model (pod-backend.ts): placed by the pod scheduler, run by the agents.
  kind({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ALL_CATEGORY, nameRule: 'subdomain',
    generation: false, backend: 'pods', fieldSelectors: ['spec.nodeName', 'status.phase'], subresources: [STATUS, ...POD_STREAM_SUBRESOURCES] }),
  kind({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true, nameRule: 'subdomain', generation: false }),
  kind({ group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ALL_CATEGORY,
    nameRule: 'dns1035', generation: false, subresources: [STATUS] }),
  kind({ group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], nameRule: 'subdomain', generation: false }),
  kind({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', singular: 'endpointslice', namespaced: true, nameRule: 'subdomain', generation: true,
    fieldSelectors: ['addressType'] }),
  kind({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ALL_CATEGORY,
    nameRule: 'subdomain', generation: true, subresources: [SCALE, STATUS] }),
  kind({ group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ALL_CATEGORY,
    nameRule: 'subdomain', generation: true, subresources: [SCALE, STATUS] }),
  kind({ group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: ALL_CATEGORY,
    nameRule: 'subdomain', generation: true, subresources: [STATUS] }),
  kind({ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true, categories: ALL_CATEGORY,
    nameRule: 'subdomain', generation: true, subresources: [STATUS] }),
  // Reviews: created and answered, never stored (reviews.ts): `kubectl auth can-i`, `kubectl auth whoami`.
  kind({ group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', namespaced: false,
    verbs: ['create'], nameRule: 'subdomain', generation: false, backend: 'reviews' }),
  kind({ group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false,
    verbs: ['create'], nameRule: 'subdomain', generation: false, backend: 'reviews' }),
  // `kubectl auth can-i --list`, and the review of another user's access (system:auth-delegator's).
  kind({ group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', namespaced: false,
    verbs: ['create'], nameRule: 'subdomain', generation: false, backend: 'reviews' }),
  kind({ group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', singular: 'subjectaccessreview', namespaced: false,
    verbs: ['create'], nameRule: 'subdomain', generation: false, backend: 'reviews' }),
  // RBAC (rbac/): names are path segments (`system:basic-user`), as the server validates them.
  kind({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', singular: 'clusterrolebinding', namespaced: false, nameRule: 'path-segment', generation: false }),
  kind({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', singular: 'clusterrole', namespaced: false, nameRule: 'path-segment', generation: false }),
  kind({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', singular: 'rolebinding', namespaced: true, nameRule: 'path-segment', generation: false }),
  kind({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', singular: 'role', namespaced: true, nameRule: 'path-segment', generation: false }),
];

export class KindRegistry {
  readonly kinds: readonly KindInfo[];
  readonly #byPath = new Map<string, KindInfo>();
  readonly #byGvk = new Map<string, KindInfo>();

  constructor(kinds: readonly KindInfo[] = KINDS) {
    this.kinds = kinds;
    for (const k of kinds) {
      this.#byPath.set(`${k.group}/${k.version}/${k.plural}`, k);
      this.#byGvk.set(`${k.group}/${k.version}/${k.kind}`, k);
    }
  }

  /** The kind served at `/api/v1/<plural>` (group '') or `/apis/<group>/<version>/<plural>`. */
  byResource(group: string, version: string, plural: string): KindInfo | undefined {
    return this.#byPath.get(`${group}/${version}/${plural}`);
  }

  byKind(group: string, version: string, kindName: string): KindInfo | undefined {
    return this.#byGvk.get(`${group}/${version}/${kindName}`);
  }

  /** Group-versions served, core ('') first, each group's versions in preference order. */
  groups(): { group: string; versions: string[] }[] {
    const out: { group: string; versions: string[] }[] = [];
    for (const k of this.kinds) {
      let g = out.find((x) => x.group === k.group);
      if (!g) out.push((g = { group: k.group, versions: [] }));
      if (!g.versions.includes(k.version)) g.versions.push(k.version);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): KindInfo[] {
    return this.kinds.filter((k) => k.group === group && k.version === version);
  }

  served(): GroupVersionKind[] {
    return this.kinds.map((k) => ({ group: k.group, version: k.version, kind: k.kind }));
  }
}

export const apiVersionOf = (k: GroupVersionKind): string => (k.group === '' ? k.version : `${k.group}/${k.version}`);
