/**
 * What a service's tasks are, as the scheduler counts them: live (desired RUNNING and not
 * yet STOPPED), healthy (counts toward minimumHealthyPercent), stopping (desired STOPPED
 * but still holding its place: counts toward maximumPercent until it is STOPPED), and
 * which live ones must be replaced (on a DRAINING or vanished instance, or unhealthy).
 */
import type { InstanceState, TaskSummary } from '../../cluster/types.ts';

/**
 * A task with no container health check counts toward the minimum healthy percent once it
 * has been RUNNING this long (DeploymentConfiguration.minimumHealthyPercent reference:
 * "the service scheduler will wait for 40 seconds after a task reaches a RUNNING state").
 */
export const NO_HEALTH_CHECK_SETTLE_SECONDS = 40;

/** Why a live task must be replaced. */
export type Doom = 'draining' | 'unhealthy' | 'lost';

export interface TaskView {
  readonly task: TaskSummary;
  /** Desired RUNNING and not STOPPED. */
  readonly live: boolean;
  /** Counts toward the minimum healthy percent. */
  readonly healthy: boolean;
  /** Epoch ms at which a live RUNNING task will count as healthy without further news (no health check), if later than now. */
  readonly healthyAt?: number;
  readonly doom?: Doom;
  /** The availability zone of its instance (scale-in balances over zones). */
  readonly zone: string;
  /** Under scale-in protection now (src/core/ecs/task-protection.ts): neither scale-in nor a deployment stops it. */
  readonly protected?: boolean;
}

export function serviceGroup(name: string): string {
  return `service:${name}`;
}

/** Every deployment id is "ecs-svc/" and digits, and is the startedBy of its tasks. */
export const DEPLOYMENT_ID_PREFIX = 'ecs-svc/';

/**
 * Whether a task is a service's: in its group and started by one of its deployments. A
 * task RunTask started with `--group service:web` is in the group but is nobody's
 * deployment's, and the service neither counts nor stops it.
 */
export function isServiceTask(t: TaskSummary): boolean {
  return t.group.startsWith('service:') && (t.startedBy?.startsWith(DEPLOYMENT_ID_PREFIX) ?? false);
}

export function zoneOf(instance: InstanceState | undefined): string {
  return instance?.record.attributes.find((a) => a.name === 'ecs.availability-zone')?.value ?? '';
}

/**
 * Classifies one task at `now` (epoch ms). `graceSeconds`: healthCheckGracePeriodSeconds,
 * during which an UNHEALTHY status after the task started is ignored.
 */
export function view(task: TaskSummary, instances: ReadonlyMap<string, InstanceState>, now: number, graceSeconds: number): TaskView {
  const v = classify(task, instances, now, graceSeconds);
  return task.protectedUntil !== undefined && task.protectedUntil * 1000 > now && v.live ? { ...v, protected: true } : v;
}

function classify(task: TaskSummary, instances: ReadonlyMap<string, InstanceState>, now: number, graceSeconds: number): TaskView {
  const instance = task.containerInstanceArn ? instances.get(task.containerInstanceArn) : undefined;
  // A Fargate task runs on a host of the Fargate pool, never one of the cluster's own: its
  // zone is the one it recorded, and its host's loss is instance-health's over the pool.
  const fargate = task.launchType === 'FARGATE';
  const zone = fargate ? task.availabilityZone ?? '' : zoneOf(instance);
  const live = task.desiredStatus === 'RUNNING' && task.lastStatus !== 'STOPPED';
  if (!live) return { task, live, healthy: false, zone };
  let doom: Doom | undefined;
  if (task.containerInstanceArn && !fargate && (!instance || instance.record.status === 'INACTIVE' || instance.record.status === 'DEREGISTERING')) doom = 'lost';
  else if (instance?.record.status === 'DRAINING') doom = 'draining';
  const running = task.lastStatus === 'RUNNING' && task.startedAt !== undefined;
  const startedMs = (task.startedAt ?? 0) * 1000;
  if (running && task.healthChecked && task.healthStatus === 'UNHEALTHY' && now >= startedMs + graceSeconds * 1000) doom ??= 'unhealthy';
  // A task whose instance is gone serves nobody, whatever its last report said.
  if (!running || doom === 'lost') return { task, live, healthy: false, zone, ...(doom && { doom }) };
  if (task.healthChecked) return { task, live, healthy: task.healthStatus === 'HEALTHY', zone, ...(doom && { doom }) };
  const healthyAt = startedMs + NO_HEALTH_CHECK_SETTLE_SECONDS * 1000;
  return { task, live, healthy: now >= healthyAt, zone, ...(now < healthyAt && { healthyAt }), ...(doom && { doom }) };
}

/** Holds resources and a place under maximumPercent: every task not yet STOPPED. */
export function holdsPlace(task: TaskSummary): boolean {
  return task.lastStatus !== 'STOPPED';
}

/** Per deployment: its tasks' views, by deployment id (a task's startedBy). */
export function byDeployment(views: readonly TaskView[]): Map<string, TaskView[]> {
  const out = new Map<string, TaskView[]>();
  for (const v of views) {
    const id = v.task.startedBy ?? '';
    const list = out.get(id);
    if (list) list.push(v);
    else out.set(id, [v]);
  }
  return out;
}
