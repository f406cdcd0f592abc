/**
 * A task set as stored (issue 14, part 4): the TaskSet shape of the ECS API less what is
 * derived when answering. A task set belongs to a service that uses the EXTERNAL
 * deployment controller, and is stored inside its ServiceRecord (`taskSets`): the service
 * and its sets change together (UpdateServicePrimaryTaskSet moves two sets and the
 * service's task-set fields at once; a set's computed count is the service's desiredCount
 * times its scale), so one compare-and-set on one record covers every write.
 *
 * Derived, never stored: `computedDesiredCount` (from the service's desiredCount now),
 * `runningCount` and `pendingCount` (from the tasks, whose `startedBy` is the set's id).
 *
 * Who writes what: the ECS API writes the user's intent (create, scale, primary, DRAINING);
 * the service reconciler writes the outcome (stabilityStatus, failures counted, and drops
 * a DRAINING set once none of its tasks holds a place).
 */
import type { Scale } from './service.ts';

export type { Scale, StabilityStatus, TaskSetRecord, TaskSetStatus } from './service.ts';
import { ecsArn, type Scope } from './scope.ts';

/**
 * A scale not given to CreateTaskSet: 0 percent, as the ECS API reference's create-task-set
 * example answers (a set made without --scale runs nothing until UpdateTaskSet scales it).
 */
export const DEFAULT_SCALE: Scale = { value: 0, unit: 'PERCENT' };

/**
 * Task sets one service may hold at once. ECS publishes no such quota that we found; an
 * external controller holds two (blue/green) or three (canary beside both) at a time, and
 * the bound keeps one service record, which holds them all, small.
 */
export const MAX_TASK_SETS_PER_SERVICE = 10;

/** Task set ARNs name the cluster and the service: `task-set/<cluster>/<service>/<id>` (API reference examples). */
export function taskSetArn(scope: Scope, cluster: string, service: string, id: string): string {
  return ecsArn(scope, `task-set/${cluster}/${service}/${id}`);
}

/**
 * The id a reference names: a task set id (`ecs-svc/…`), or an ARN of a set of `service`
 * in `cluster`. Undefined when an ARN names another cluster or service or is no task set ARN.
 */
export function taskSetIdOf(ref: string, cluster: string, service: string): string | undefined {
  if (!ref.startsWith('arn:')) return ref;
  const resource = ref.split(':').slice(5).join(':');
  const prefix = `task-set/${cluster}/${service}/`;
  return resource.startsWith(prefix) && resource.length > prefix.length ? resource.slice(prefix.length) : undefined;
}

/**
 * The service's desiredCount times the set's scale, rounded up (TaskSet.computedDesiredCount:
 * "The result is always rounded up"). The product is rounded to a millionth first, so that a
 * percentage with no exact binary form (e.g. 10 × 70 / 100 = 7.000000000000001) does not
 * round up past the count it names.
 */
export function computedDesiredCount(serviceDesiredCount: number, scale: Scale): number {
  const exact = Math.round(serviceDesiredCount * scale.value * 10_000) / 1_000_000;
  return Math.ceil(exact);
}
