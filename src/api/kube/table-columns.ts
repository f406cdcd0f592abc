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

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const col = (name: string, type: Column['type'], description: string, cell: Column['cell'], priority = 0): Column => ({ name, type, format: '', description, priority, cell });

/** A label selector as kubectl prints one (metav1.FormatLabelSelector): `<none>` when empty. */
function formatSelector(s: unknown): string {
  const sel = obj(s);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj(sel.matchLabels))) parts.push(`${k}=${str(v)}`);
  for (const r of arr(sel.matchExpressions).map(obj)) {
    const values = arr(r.values).map(str).join(',');
    const op = str(r.operator);
    if (op === 'In') parts.push(`${str(r.key)} in (${values})`);
    else if (op === 'NotIn') parts.push(`${str(r.key)} notin (${values})`);
    else if (op === 'Exists') parts.push(str(r.key));
    else if (op === 'DoesNotExist') parts.push(`!${str(r.key)}`);
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}

const templateContainers = (o: KubeObject): Record<string, unknown>[] => arr(obj(obj(obj(o.spec).template).spec).containers).map(obj);
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', (o) => templateContainers(o).map((c) => str(c.name)).join(','), 1);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', (o) => templateContainers(o).map((c) => str(c.image)).join(','), 1);
const SELECTOR = col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', (o) => formatSelector(obj(o.spec).selector), 1);

/** At most three items then `+ N more...`, as kubectl's endpoint printers shorten lists. */
function firstThree(items: readonly string[], empty: string): string {
  if (items.length === 0) return empty;
  return items.length > 3 ? `${items.slice(0, 3).join(',')} + ${items.length - 3} more...` : items.join(',');
}

function servicePorts(o: KubeObject): string {
  const ports = arr(obj(o.spec).ports).map(obj);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${num(p.port)}${num(p.nodePort) > 0 ? `:${num(p.nodePort)}` : ''}/${str(p.protocol) || 'TCP'}`).join(',');
}

function externalIP(o: KubeObject): string {
  const spec = obj(o.spec);
  const type = str(spec.type);
  const external = arr(spec.externalIPs).map(str);
  if (type === 'ExternalName') return str(spec.externalName);
  if (type === 'LoadBalancer') {
    const ingress = arr(obj(obj(o.status).loadBalancer).ingress).map(obj).map((i) => str(i.ip) || str(i.hostname));
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return external.length > 0 ? external.join(',') : '<none>';
}

function endpointsCell(o: KubeObject): string {
  const out: string[] = [];
  for (const subset of arr(o.subsets).map(obj)) {
    const ports = arr(subset.ports).map(obj);
    for (const a of arr(subset.addresses).map(obj)) {
      if (ports.length === 0) out.push(str(a.ip));
      for (const p of ports) out.push(`${str(a.ip)}:${num(p.port)}`);
    }
  }
  return firstThree(out, '<none>');
}

/** A Job's state as kubectl 1.32 prints it: the first true terminal condition, else Suspended, Terminating or Running. */
function jobStatus(o: KubeObject): string {
  const conditions = arr(obj(o.status).conditions).map(obj).filter((c) => c.status === 'True');
  for (const type of ['Failed', 'Complete', 'FailureTarget', 'SuccessCriteriaMet', 'Suspended']) if (conditions.some((c) => c.type === type)) return type;
  if (meta(o).deletionTimestamp !== undefined) return 'Terminating';
  return 'Running';
}

function jobDuration(o: KubeObject, now: number): string {
  const status = obj(o.status);
  const start = Date.parse(str(status.startTime));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(str(status.completionTime));
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}

function jobCompletions(o: KubeObject): string {
  const spec = obj(o.spec);
  const succeeded = num(obj(o.status).succeeded);
  if (spec.completions !== undefined && spec.completions !== null) return `${succeeded}/${num(spec.completions)}`;
  const parallelism = num(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

const SERVICE: readonly Column[] = [
  NAME,
  col('Type', 'string', 'The type of the service (ClusterIP, NodePort, LoadBalancer, ExternalName).', (o) => str(obj(o.spec).type)),
  col('Cluster-IP', 'string', 'The virtual IP of the service.', (o) => str(obj(o.spec).clusterIP) || '<none>'),
  col('External-IP', 'string', 'The addresses the service is reached at from outside the cluster.', externalIP),
  col('Port(s)', 'string', 'The ports the service exposes (with their node ports).', servicePorts),
  AGE,
  col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', (o) => {
    const sel = obj(obj(o.spec).selector);
    return Object.keys(sel).length === 0 ? '<none>' : Object.entries(sel).map(([k, v]) => `${k}=${str(v)}`).join(',');
  }, 1),
];

const DEPLOYMENT: readonly Column[] = [
  NAME,
  col('Ready', 'string', 'Number of the pods ready over the number desired.', (o) => `${num(obj(o.status).readyReplicas)}/${num(obj(o.spec).replicas)}`),
  col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', (o) => num(obj(o.status).updatedReplicas)),
  col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', (o) => num(obj(o.status).availableReplicas)),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

const REPLICA_SET: readonly Column[] = [
  NAME,
  col('Desired', 'integer', 'Number of desired pods.', (o) => num(obj(o.spec).replicas)),
  col('Current', 'integer', 'The most recently observed number of replicas.', (o) => num(obj(o.status).replicas)),
  col('Ready', 'integer', 'The number of ready replicas for this replica set.', (o) => num(obj(o.status).readyReplicas)),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

const DAEMON_SET: readonly Column[] = [
  NAME,
  col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.', (o) => num(obj(o.status).desiredNumberScheduled)),
  col('Current', 'integer', 'The number of nodes that are running at least one daemon pod and are supposed to.', (o) => num(obj(o.status).currentNumberScheduled)),
  col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', (o) => num(obj(o.status).numberReady)),
  col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.', (o) => num(obj(o.status).updatedNumberScheduled)),
  col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', (o) => num(obj(o.status).numberAvailable)),
  col('Node Selector', 'string', 'The node selector of the pod template.', (o) => {
    const sel = obj(obj(obj(obj(o.spec).template).spec).nodeSelector);
    return Object.keys(sel).length === 0 ? '<none>' : Object.entries(sel).map(([k, v]) => `${k}=${str(v)}`).join(',');
  }),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

const JOB: readonly Column[] = [
  NAME,
  col('Status', 'string', 'Status of the job.', jobStatus),
  col('Completions', 'string', 'The desired number of successfully finished pods the job should be run with.', jobCompletions),
  col('Duration', 'string', 'Time required to complete the job.', jobDuration),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

const BY_RESOURCE: Readonly<Record<string, readonly Column[]>> = {
  '/namespaces': [NAME, { name: 'Status', type: 'string', format: '', description: 'The phase of the namespace (Active, Terminating).', priority: 0, cell: (o) => str(obj(o.status).phase) }, AGE],
  '/configmaps': [NAME, count('data', 'Number of keys in data and binaryData.'), AGE],
  '/secrets': [NAME, { name: 'Type', type: 'string', format: '', description: 'The type of the secret.', priority: 0, cell: (o) => str(o.type) }, count('data', 'Number of keys in data.'), AGE],
  '/serviceaccounts': [NAME, { name: 'Secrets', type: 'integer', format: '', description: 'Number of secrets listed in secrets.', priority: 0, cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0) }, AGE],
  '/events': EVENT,
  'events.k8s.io/events': EVENT,
  '/services': SERVICE,
  '/endpoints': [NAME, col('Endpoints', 'string', 'Endpoints of the service (ready addresses and their ports).', endpointsCell), AGE],
  'discovery.k8s.io/endpointslices': [
    NAME,
    col('AddressType', 'string', 'The type of address carried by this EndpointSlice.', (o) => str(o.addressType)),
    col('Ports', 'string', 'The ports exposed by this EndpointSlice.', (o) => firstThree(arr(o.ports).map(obj).map((p) => String(num(p.port))), '<unset>')),
    col('Endpoints', 'string', 'The addresses of the endpoints of this EndpointSlice.', (o) => firstThree(arr(o.endpoints).map(obj).flatMap((e) => arr(e.addresses).map(str)), '<unset>')),
    AGE,
  ],
  'apps/deployments': DEPLOYMENT,
  'apps/replicasets': REPLICA_SET,
  'apps/daemonsets': DAEMON_SET,
  'batch/jobs': JOB,
  'coordination.k8s.io/leases': [NAME, { name: 'Holder', type: 'string', format: '', description: 'The holder of the lease.', priority: 0, cell: (o) => str(obj(o.spec).holderIdentity) }, AGE],
};

export function columnsFor(group: string, plural: string): readonly Column[] {
  return BY_RESOURCE[`${group}/${plural}`] ?? DEFAULT;
}
