/**
 * Table columns per kind, as the real API server prints them for `kubectl get` (its
 * internal printers): names, types, priorities (1: only with `-o wide`) and cells.
 */
import { NODE_COLUMNS } from './node-columns.ts';
import { ENDPOINT_SLICE_COLUMNS, ENDPOINTS_COLUMNS, SERVICE_COLUMNS } from './service-columns.ts';
import { DAEMON_SET_COLUMNS, DEPLOYMENT_COLUMNS, JOB_COLUMNS, REPLICA_SET_COLUMNS } from './workload-columns.ts';
import { POD_COLUMNS } from './pod-columns.ts';
import { AGE, count, meta, NAME, obj, since, str, type Column, type KubeObject } from './table-cells.ts';

export type { Column, KubeObject } from './table-cells.ts';

/** The default for kinds without a printer of their own: Name and Created At, as the server's default table convertor. */
const DEFAULT: readonly Column[] = [
  NAME,
  { name: 'Created At', type: 'date', format: '', description: 'When the object was created (metadata.creationTimestamp).', priority: 0, cell: (o) => meta(o).creationTimestamp },
];

function eventLastSeen(o: KubeObject): unknown {
  const series = obj(o.series);
  return series.lastObservedTime ?? o.lastTimestamp ?? o.eventTime ?? o.deprecatedLastTimestamp ?? meta(o).creationTimestamp;
}

const EVENT: readonly Column[] = [
  { name: 'Last Seen', type: 'string', format: '', description: 'Time since the event was last observed.', priority: 0, cell: (o, now) => since(eventLastSeen(o), now) },
  { name: 'Type', type: 'string', format: '', description: 'Type of the event (Normal, Warning).', priority: 0, cell: (o) => str(o.type) },
  { name: 'Reason', type: 'string', format: '', description: 'Short, machine-understandable reason.', priority: 0, cell: (o) => str(o.reason) },
  { name: 'Object', type: 'string', format: '', description: 'The object this event is about.', priority: 0, cell: (o) => {
    const io = obj(o.involvedObject ?? o.regarding);
    return `${str(io.kind).toLowerCase()}/${str(io.name)}`;
  } },
  { name: 'Subobject', type: 'string', format: '', description: 'The part of the object (a container) the event is about.', priority: 1, cell: (o) => str(obj(o.involvedObject ?? o.regarding).fieldPath) },
  { name: 'Source', type: 'string', format: '', description: 'The component reporting the event.', priority: 1, cell: (o) => {
    const s = obj(o.source ?? o.deprecatedSource);
    const component = str(s.component) || str(o.reportingController);
    const host = str(s.host) || str(o.reportingInstance);
    return host ? `${component}, ${host}` : component;
  } },
  { name: 'Message', type: 'string', format: '', description: 'Human-readable description of the event.', priority: 0, cell: (o) => str(o.message ?? o.note) },
  { name: 'First Seen', type: 'string', format: '', description: 'Time since the event was first observed.', priority: 1, cell: (o, now) => since(o.firstTimestamp ?? o.deprecatedFirstTimestamp ?? o.eventTime, now) },
  { name: 'Count', type: 'string', format: '', description: 'How many times the event occurred.', priority: 1, cell: (o) => String(obj(o.series).count ?? o.count ?? o.deprecatedCount ?? 1) },
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the event.', priority: 1, cell: (o) => meta(o).name },
];

/** A binding's subjects of one kind, as the server's printer joins them (`ns/name` for service accounts). */
function subjectsOf(o: KubeObject, kind: string): string {
  const subjects = Array.isArray(o.subjects) ? (o.subjects as unknown[]).map(obj) : [];
  return subjects.filter((s) => s.kind === kind).map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name))).join(', ');
}

const BINDING: readonly Column[] = [
  NAME,
  { name: 'Role', type: 'string', format: '', description: 'The role this binding grants: its kind and name.', priority: 0, cell: (o) => `${str(obj(o.roleRef).kind)}/${str(obj(o.roleRef).name)}` },
  AGE,
  { name: 'Users', type: 'string', format: '', description: 'Users in the binding.', priority: 1, cell: (o) => subjectsOf(o, 'User') },
  { name: 'Groups', type: 'string', format: '', description: 'Groups in the binding.', priority: 1, cell: (o) => subjectsOf(o, 'Group') },
  { name: 'ServiceAccounts', type: 'string', format: '', description: 'ServiceAccounts in the binding.', priority: 1, cell: (o) => subjectsOf(o, 'ServiceAccount') },
];

const BY_RESOURCE: Readonly<Record<string, readonly Column[]>> = {
  // Roles and ClusterRoles print Name and Created At, the default columns.
  'rbac.authorization.k8s.io/rolebindings': BINDING,
  'rbac.authorization.k8s.io/clusterrolebindings': BINDING,
  '/namespaces': [NAME, { name: 'Status', type: 'string', format: '', description: 'The phase of the namespace (Active, Terminating).', priority: 0, cell: (o) => str(obj(o.status).phase) }, AGE],
  '/configmaps': [NAME, count('data', 'Number of keys in data and binaryData.'), AGE],
  '/secrets': [NAME, { name: 'Type', type: 'string', format: '', description: 'The type of the secret.', priority: 0, cell: (o) => str(o.type) }, count('data', 'Number of keys in data.'), AGE],
  '/serviceaccounts': [NAME, { name: 'Secrets', type: 'integer', format: '', description: 'Number of secrets listed in secrets.', priority: 0, cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, AGE],
  '/pods': POD_COLUMNS,
  '/events': EVENT,
  '/nodes': NODE_COLUMNS,
  'events.k8s.io/events': EVENT,
  '/services': SERVICE_COLUMNS,
  '/endpoints': ENDPOINTS_COLUMNS,
  'discovery.k8s.io/endpointslices': ENDPOINT_SLICE_COLUMNS,
  'apps/deployments': DEPLOYMENT_COLUMNS,
  'apps/replicasets': REPLICA_SET_COLUMNS,
  'apps/daemonsets': DAEMON_SET_COLUMNS,
  'batch/jobs': JOB_COLUMNS,
  'coordination.k8s.io/leases': [NAME, { name: 'Holder', type: 'string', format: '', description: 'The holder of the lease.', priority: 0, cell: (o) => str(obj(o.spec).holderIdentity) }, AGE],
};

export function columnsFor(group: string, plural: string): readonly Column[] {
  return BY_RESOURCE[`${group}/${plural}`] ?? DEFAULT;
}
