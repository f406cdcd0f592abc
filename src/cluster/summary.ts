/**
 * What the cluster state keeps of each stored record: a task's {@link TaskSummary}, and
 * the key layout it reads (which cluster a key belongs to). Pure.
 */
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { POD_GROUP_PREFIX } from '../core/kube/pod/hosting.ts';
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
  // /ecs/<account>/<region>/<kind>/<cluster>[/<name>]
  const parts = key.split('/');
  if (parts[1] !== 'ecs') return undefined;
  const [, , account, region, kind, a, b] = parts;
  if (!account || !region || !a) return undefined;
  const scope = { account, region };
  if (kind === 'clusters' && parts.length === 6) return { scope, cluster: a, kind, name: a };
  // task-status: a split task's status half (split-tasks.ts), beside its spec under tasks/.
  if ((kind === 'instances' || kind === 'tasks' || kind === 'services' || kind === 'task-status') && parts.length === 7 && b) return { scope, cluster: a, kind, name: b };
  return undefined;
}

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
 * A pod's task: no task definition (an ECS task always has one) and the pod group. The
 * group alone is not enough: RunTask's --group may be any text.
 */
export function isPodTask(t: Pick<StoredTask, 'taskDefinitionArn' | 'group'>): boolean {
  return t.taskDefinitionArn === '' && t.group.startsWith(POD_GROUP_PREFIX);
}

export function summarize(key: string, modRevision: number, t: StoredTask): TaskSummary {
  const ports = new Set(t.reservedPorts ?? []);
  const dynamicPorts: string[] = [];
  const pod = isPodTask(t);
  for (const c of t.containers) {
    for (const b of c.networkBindings) {
      const p = `${b.hostPort}/${b.protocol}`;
      if (!ports.has(p)) dynamicPorts.push(p);
      ports.add(p);
    }
  }
  return {
    key,
    modRevision,
    id: key.slice(key.lastIndexOf('/') + 1),
    taskArn: t.taskArn,
    taskDefinitionArn: t.taskDefinitionArn,
    family: familyOf(t.taskDefinitionArn),
    ...(t.containerInstanceArn !== undefined && { containerInstanceArn: t.containerInstanceArn }),
    ...(t.availabilityZone !== undefined && { availabilityZone: t.availabilityZone }),
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    group: t.group,
    ...(t.startedBy !== undefined && { startedBy: t.startedBy }),
    launchType: t.launchType,
    ...(t.capacityProviderName !== undefined && { capacityProviderName: t.capacityProviderName }),
    cpu: Number(t.cpu ?? 0) || 0,
    memory: Number(t.memory ?? 0) || 0,
    ports: [...ports],
    ...(dynamicPorts.length > 0 && { dynamicPorts }),
    // EKS pods (VPC CNI secondary IPs) use no trunk ENI slot; they count against the node's max pods.
    eni: t.networkMode === 'awsvpc' && !pod,
    ...(pod && { pod }),
    healthStatus: t.healthStatus,
    healthChecked: t.healthChecked === true,
    createdAt: t.createdAt,
    ...(t.startedAt !== undefined && { startedAt: t.startedAt }),
    ...(t.stoppingAt !== undefined && { stoppingAt: t.stoppingAt }),
    ...(t.stoppedAt !== undefined && { stoppedAt: t.stoppedAt }),
    ...(t.stopCode !== undefined && { stopCode: t.stopCode }),
    ...(t.stoppedReason !== undefined && { stoppedReason: t.stoppedReason }),
    ...(t.protectedUntil !== undefined && { protectedUntil: t.protectedUntil }),
  };
}

/** A task that holds resources on its instance: every one not yet STOPPED. */
export function holdsResources(t: TaskSummary): boolean {
  return t.lastStatus !== 'STOPPED';
}
