/**
 * What the cluster state keeps of each stored record: a task's {@link TaskSummary}, and
 * the key layout it reads (which cluster a key belongs to). Pure.
 */
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { isPodTask } from '../core/kube/pod/hosting.ts';
import type { TaskSummary } from './types.ts';

/** The kinds of record the cluster state indexes; every other key under /ecs/ is ignored. */
export type IndexedKind = 'clusters' | 'instances' | 'tasks' | 'services' | 'task-status';

export interface ParsedKey {
  readonly scope: Scope;
  readonly cluster: string;
  readonly kind: IndexedKind;
  /** The instance or task id, or the service name; the cluster name for a cluster record. */
  readonly name: string;
}

/**
 * The cluster and kind of a key of the ECS layout (core/ecs/keys.ts), or undefined for keys
 * the cluster state does not index (task definitions, settings, tokens, epochs, ...).
 */
export function parseKey(key: string): ParsedKey | undefined {
  // /ecs/<account>/<region>/<kind>/<cluster>[/<name>]. Read by slashes, not split: the
  // cluster state parses the key of every write it sees (a placed task's, a report's), and
  // split made an array of its seven parts each time.
  if (!key.startsWith('/ecs/')) return undefined;
  const r = key.indexOf('/', 5);
  const k = r < 0 ? -1 : key.indexOf('/', r + 1);
  const c = k < 0 ? -1 : key.indexOf('/', k + 1);
  if (c < 0) return undefined;
  // The kind compared in place (no string made for it); task-status: a split task's status
  // half (split-tasks.ts), beside its spec under tasks/.
  let kind: IndexedKind | undefined;
  for (const x of INDEXED_KINDS) if (x.length === c - k - 1 && key.startsWith(x, k + 1)) { kind = x; break; }
  if (kind === undefined || r === 5 || k === r + 1) return undefined;
  const n = key.indexOf('/', c + 1);
  if (n === c + 1 || c + 1 === key.length) return undefined;
  const scope = { account: key.slice(5, r), region: key.slice(r + 1, k) };
  if (kind === 'clusters') {
    if (n >= 0) return undefined;
    const a = key.slice(c + 1);
    return { scope, cluster: a, kind, name: a };
  }
  if (n < 0 || n + 1 === key.length || key.indexOf('/', n + 1) >= 0) return undefined;
  return { scope, cluster: key.slice(c + 1, n), kind, name: key.slice(n + 1) };
}

/** The kinds parseKey answers, as they appear in keys. */
const INDEXED_KINDS: readonly IndexedKind[] = ['tasks', 'task-status', 'instances', 'services', 'clusters'];

/** A task record as stored (with its Berth-own fields: healthChecked, reservedPorts, networkMode). */
export type StoredTask = TaskRecord;

/** A container instance as stored (with its Berth-own agentDisconnectedAt). */
export type StoredInstance = ContainerInstanceRecord;

/** The family of a task definition ARN (`…:task-definition/<family>:<revision>`). */
export function familyOf(taskDefinitionArn: string): string {
  const slash = taskDefinitionArn.lastIndexOf('/');
  const colon = taskDefinitionArn.lastIndexOf(':');
  return taskDefinitionArn.slice(slash + 1, colon > slash ? colon : undefined);
}

/**
 * No host ports: shared by every summary of a task that holds none (most tasks: awsvpc and
 * dynamic-port-free bridge tasks), so summarizing one allocates no Set and no array for them.
 */
const NO_PORTS: readonly string[] = Object.freeze([]);

/**
 * A task's summary. Built by assignment, not by spreading `cond && { field }` objects: each
 * spread allocated a throwaway object per optional field, and the cluster state summarizes
 * every task written (the placer's profile: summarize was 3% of the main thread's busy time
 * and ~600 B of garbage per committed task, with a Set of ports each).
 */
export function summarize(key: string, modRevision: number, t: StoredTask): TaskSummary {
  const { ports, dynamicPorts } = portsOf(t);
  // A pod on a node takes no trunk ENI slot (EKS pods: VPC CNI secondary IPs) and counts
  // against the node's max pods instead; a Fargate pod is a Fargate task to its pool host.
  const pod = isPodTask(t) && t.launchType !== 'FARGATE';
  const s: { -readonly [K in keyof TaskSummary]: TaskSummary[K] } = {
    key,
    modRevision,
    id: key.slice(key.lastIndexOf('/') + 1),
    taskArn: t.taskArn,
    taskDefinitionArn: t.taskDefinitionArn,
    family: familyOf(t.taskDefinitionArn),
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    group: t.group,
    launchType: t.launchType,
    cpu: Number(t.cpu ?? 0) || 0,
    memory: Number(t.memory ?? 0) || 0,
    ports,
    eni: t.networkMode === 'awsvpc' && !pod,
    healthStatus: t.healthStatus,
    healthChecked: t.healthChecked === true,
    createdAt: t.createdAt,
  };
  if (t.containerInstanceArn !== undefined) s.containerInstanceArn = t.containerInstanceArn;
  if (t.availabilityZone !== undefined) s.availabilityZone = t.availabilityZone;
  if (t.startedBy !== undefined) s.startedBy = t.startedBy;
  if (t.capacityProviderName !== undefined) s.capacityProviderName = t.capacityProviderName;
  if (dynamicPorts !== undefined) s.dynamicPorts = dynamicPorts;
  if (t.startedAt !== undefined) s.startedAt = t.startedAt;
  if (t.stoppingAt !== undefined) s.stoppingAt = t.stoppingAt;
  if (t.stoppedAt !== undefined) s.stoppedAt = t.stoppedAt;
  if (t.stopCode !== undefined) s.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) s.stoppedReason = t.stoppedReason;
  if (t.protectedUntil !== undefined) s.protectedUntil = t.protectedUntil;
  if (pod) s.pod = true;
  return s;
}

/** The host ports a task holds (its static reservations, then its bindings' ports not among them), and which of them are dynamic. */
function portsOf(t: StoredTask): { ports: readonly string[]; dynamicPorts: string[] | undefined } {
  const reserved = t.reservedPorts;
  let bound = false;
  for (const c of t.containers) if (c.networkBindings.length > 0) { bound = true; break; }
  if (!bound) return { ports: reserved === undefined || reserved.length === 0 ? NO_PORTS : [...new Set(reserved)], dynamicPorts: undefined };
  const ports = new Set(reserved ?? []);
  const dynamicPorts: string[] = [];
  for (const c of t.containers) {
    for (const b of c.networkBindings) {
      const p = `${b.hostPort}/${b.protocol}`;
      if (!ports.has(p)) dynamicPorts.push(p);
      ports.add(p);
    }
  }
  return { ports: [...ports], dynamicPorts: dynamicPorts.length > 0 ? dynamicPorts : undefined };
}

/** A task that holds resources on its instance: every one not yet STOPPED. */
export function holdsResources(t: TaskSummary): boolean {
  return t.lastStatus !== 'STOPPED';
}
