/** kubectl's columns for Deployments, ReplicaSets, DaemonSets and Jobs. */
import { humanDuration } from '../../core/kube/duration.ts';
import { AGE, arr, col, meta, NAME, num, obj, str, type Column, type KubeObject } from './table-cells.ts';

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

export const DEPLOYMENT_COLUMNS: readonly Column[] = [
  NAME,
  col('Ready', 'string', 'Number of the pods ready over the number desired.', (o) => `${num(obj(o.status).readyReplicas)}/${num(obj(o.spec).replicas)}`),
  col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', (o) => num(obj(o.status).updatedReplicas)),
  col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', (o) => num(obj(o.status).availableReplicas)),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

export const REPLICA_SET_COLUMNS: readonly Column[] = [
  NAME,
  col('Desired', 'integer', 'Number of desired pods.', (o) => num(obj(o.spec).replicas)),
  col('Current', 'integer', 'The most recently observed number of replicas.', (o) => num(obj(o.status).replicas)),
  col('Ready', 'integer', 'The number of ready replicas for this replica set.', (o) => num(obj(o.status).readyReplicas)),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];

export const DAEMON_SET_COLUMNS: readonly Column[] = [
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

export const JOB_COLUMNS: readonly Column[] = [
  NAME,
  col('Status', 'string', 'Status of the job.', jobStatus),
  col('Completions', 'string', 'The desired number of successfully finished pods the job should be run with.', jobCompletions),
  col('Duration', 'string', 'Time required to complete the job.', jobDuration),
  AGE, CONTAINERS, IMAGES, SELECTOR,
];
