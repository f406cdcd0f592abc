/**
 * The deployment circuit breaker (developer guide, "How the Amazon ECS deployment circuit
 * breaker detects failures"; Deployment.failedTasks reference). It counts a deployment's
 * consecutively failed tasks in two stages:
 *
 *   stage 1 ── a task of the deployment reaches RUNNING ──▶ stage 2 (count back to 0)
 *   counts tasks that stopped                 counts tasks stopped for failing their
 *   without reaching RUNNING                  health checks; a task that reaches healthy
 *                                             resets the count
 *
 * and the deployment FAILS once the count reaches the threshold. Counting is by
 * observation of STOPPED tasks, through a watermark, so a pass that is retried or decided
 * on a stale snapshot never counts a failure twice.
 */
import type { TaskSummary } from '../../cluster/types.ts';
import type { DeploymentRecord } from '../../core/ecs/service.ts';

// The threshold is the service deployment's too (ServiceDeploymentCircuitBreaker): defined in core.
export { failureThreshold, MAX_FAILURE_THRESHOLD, MIN_FAILURE_THRESHOLD } from '../../core/ecs/service-deployment.ts';

/** The stoppedReason ECS gives a task it stops for failing its container health checks. */
export const TASK_FAILED_HEALTH_CHECKS = 'Task failed container health checks';

export const reasons = {
  inProgress: (id: string) => `ECS deployment ${id} in progress.`,
  completed: (id: string) => `ECS deployment ${id} completed.`,
  failed: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (toId: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${toId}.`,
} as const;

export type FailureKind = 'start' | 'health';

/** Why a STOPPED task counts as a failure of its deployment, or undefined when it does not. */
export function failureKind(t: TaskSummary): FailureKind | undefined {
  if (t.lastStatus !== 'STOPPED') return undefined;
  if (t.startedAt === undefined) {
    // Stopped on purpose (scale-in, StopTask) before it started: not the task's fault.
    return t.stopCode === 'UserInitiated' || t.stopCode === 'ServiceSchedulerInitiated' ? undefined : 'start';
  }
  return t.stoppedReason === TASK_FAILED_HEALTH_CHECKS ? 'health' : undefined;
}

const after = (t: TaskSummary, mark: DeploymentRecord['failuresCountedThrough']) =>
  !mark || (t.stoppedAt ?? 0) > mark.stoppedAt || ((t.stoppedAt ?? 0) === mark.stoppedAt && t.id > mark.taskId);

const byStop = (a: TaskSummary, b: TaskSummary) => (a.stoppedAt ?? 0) - (b.stoppedAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export interface Counted {
  readonly failedTasks: number;
  readonly stage: 1 | 2;
  readonly mark: DeploymentRecord['failuresCountedThrough'];
  /** Failures newly seen in this pass that never reached RUNNING (what the throttle counts). */
  readonly newStartFailures: number;
  /** Epoch seconds of the newest failure seen, if any. */
  readonly lastFailureAt?: number;
}

/**
 * The deployment's count after observing its tasks (`tasks`: the ones whose startedBy is
 * the deployment, STOPPED ones included). `healthyStartedAt`: startedAt of each task now
 * healthy (a healthy task started after the last counted failure resets the count).
 */
export function countFailures(d: DeploymentRecord, tasks: readonly TaskSummary[], healthyStartedAt: readonly number[]): Counted {
  let failedTasks = d.failedTasks;
  let stage: 1 | 2 = d.circuitBreakerStage ?? 1;
  let mark = d.failuresCountedThrough;
  let newStartFailures = 0;
  let lastFailureAt: number | undefined;
  const started = tasks.filter((t) => t.startedAt !== undefined).map((t) => t.startedAt as number);
  const firstStart = started.length ? Math.min(...started) : undefined;
  const fresh = tasks.filter((t) => failureKind(t) !== undefined && after(t, mark)).sort(byStop);
  for (const t of fresh) {
    const at = t.stoppedAt ?? 0;
    if (stage === 1 && firstStart !== undefined && firstStart <= at) {
      stage = 2;
      failedTasks = 0;
    }
    const kind = failureKind(t);
    if (kind === 'start') newStartFailures++;
    if ((stage === 1 && kind === 'start') || (stage === 2 && kind === 'health')) failedTasks++;
    mark = { stoppedAt: at, taskId: t.id };
    lastFailureAt = at;
  }
  if (stage === 1 && firstStart !== undefined) {
    stage = 2;
    failedTasks = 0;
  }
  // resetOnHealthyTask (ECS's default): a task that became healthy after the last failure.
  if (failedTasks > 0 && mark && healthyStartedAt.some((s) => s > mark!.stoppedAt)) failedTasks = 0;
  return { failedTasks, stage, mark, newStartFailures, ...(lastFailureAt !== undefined && { lastFailureAt }) };
}

/** The deployment to roll back to: the most recent COMPLETED one other than `failed`. */
export function rollbackTarget(deployments: readonly DeploymentRecord[], failed: DeploymentRecord): DeploymentRecord | undefined {
  return deployments
    .filter((d) => d !== failed && d.id !== failed.id && d.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}
