/**
 * Table columns per kind, as the real API server prints them for `kubectl get` (its
 * internal printers): names, types, priorities (1: only with `-o wide`) and cells.
 */
import { humanDuration } from '../../core/kube/duration.ts';

export type KubeObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
  readonly cell: (object: KubeObject, now: number) => unknown;
}

const meta = (o: KubeObject): Record<string, unknown> => (o.metadata ?? {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function since(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name of the object, unique within its namespace.', priority: 0, cell: (o) => meta(o).name };
const AGE: Column = { name: 'Age', type: 'string', format: '', description: 'Time since the object was created (metadata.creationTimestamp).', priority: 0, cell: (o, now) => since(meta(o).creationTimestamp, now) };
const count = (field: string, description: string): Column => ({
  name: 'Data', type: 'integer', format: '', description, priority: 0,
  cell: (o) => Object.keys(obj(o[field])).length + (field === 'data' && o.binaryData ? Object.keys(obj(o.binaryData)).length : 0),
});

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

/** A node's STATUS as kubectl prints it: Ready / NotReady (Unknown without a Ready condition), then SchedulingDisabled when cordoned. */
function nodeStatus(o: KubeObject): string {
  const conditions = obj(o.status).conditions;
  const ready = (Array.isArray(conditions) ? conditions : []).map(obj).find((c) => c.type === 'Ready');
  const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (obj(o.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` labels and the older `kubernetes.io/role`, sorted; `<none>` without. */
function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj(meta(o).labels))) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && str(v) !== '') roles.add(str(v));
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(o: KubeObject, type: string): string {
  const addresses = obj(o.status).addresses;
  const a = (Array.isArray(addresses) ? addresses : []).map(obj).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

const nodeInfo = (field: string) => (o: KubeObject): string => str(obj(obj(o.status).nodeInfo)[field]) || '<unknown>';

const NODE: readonly Column[] = [
  NAME,
  { name: 'Status', type: 'string', format: '', description: 'The status of the node', priority: 0, cell: nodeStatus },
  { name: 'Roles', type: 'string', format: '', description: 'The roles of the node', priority: 0, cell: nodeRoles },
  AGE,
  { name: 'Version', type: 'string', format: '', description: 'Kubelet Version reported by the node.', priority: 0, cell: (o) => str(obj(obj(o.status).nodeInfo).kubeletVersion) },
  { name: 'Internal-IP', type: 'string', format: '', description: 'List of addresses reachable to the node. Queried from cloud provider, if available.', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
  { name: 'External-IP', type: 'string', format: '', description: 'List of addresses reachable to the node. Queried from cloud provider, if available.', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
  { name: 'OS-Image', type: 'string', format: '', description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', priority: 1, cell: nodeInfo('osImage') },
  { name: 'Kernel-Version', type: 'string', format: '', description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority: 1, cell: nodeInfo('kernelVersion') },
  { name: 'Container-Runtime', type: 'string', format: '', description: 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).', priority: 1, cell: nodeInfo('containerRuntimeVersion') },
];

const BY_RESOURCE: Readonly<Record<string, readonly Column[]>> = {
  '/namespaces': [NAME, { name: 'Status', type: 'string', format: '', description: 'The phase of the namespace (Active, Terminating).', priority: 0, cell: (o) => str(obj(o.status).phase) }, AGE],
  '/configmaps': [NAME, count('data', 'Number of keys in data and binaryData.'), AGE],
  '/secrets': [NAME, { name: 'Type', type: 'string', format: '', description: 'The type of the secret.', priority: 0, cell: (o) => str(o.type) }, count('data', 'Number of keys in data.'), AGE],
  '/serviceaccounts': [NAME, { name: 'Secrets', type: 'integer', format: '', description: 'Number of secrets listed in secrets.', priority: 0, cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, AGE],
  '/events': EVENT,
  '/nodes': NODE,
  'events.k8s.io/events': EVENT,
  'coordination.k8s.io/leases': [NAME, { name: 'Holder', type: 'string', format: '', description: 'The holder of the lease.', priority: 0, cell: (o) => str(obj(o.spec).holderIdentity) }, AGE],
};

export function columnsFor(group: string, plural: string): readonly Column[] {
  return BY_RESOURCE[`${group}/${plural}`] ?? DEFAULT;
}
