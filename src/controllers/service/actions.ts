/**
 * The actions the service reconciler hands the runner: stop a task (a read-modify-write
 * that only stops a task still desired RUNNING), write the service record (compare-and-set
 * on the revision the decision read), launch tasks (whose outcome becomes events and the
 * throttle, appended whatever else changed the record meanwhile).
 */
import type { TaskSummary } from '../../cluster/types.ts';
import type { ClusterRef } from '../../cluster/types.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration, ServiceRecord } from '../../core/ecs/service.ts';
import type { StopCode } from '../../core/ecs/task-lifecycle.ts';
import type { Launch, LaunchResult } from '../../scheduler/launch.ts';
import type { Action } from '../types.ts';
import { serviceGroup } from './counts.ts';
import { texts, withEvents } from './events.ts';
import { afterFailures, current } from './throttle.ts';

export interface Ids {
  /** A new event id (ECS's are random UUIDs). */
  readonly newId: () => string;
  /** A new deployment id, "ecs-svc/" and 19 digits. */
  readonly newDeploymentId: () => string;
}

export const SCHEDULER_STOP_CODE: StopCode = 'ServiceSchedulerInitiated';

/** Stops `task` with ECS's stop code and `reason`, unless something else already stopped it. */
export function stopTask(task: TaskSummary, reason: string): Action {
  return {
    type: 'update',
    key: task.key,
    task: 'spec',
    why: `stop task ${task.id}: ${reason}`,
    change: (current) => {
      if (!isObject(current) || current.desiredStatus !== 'RUNNING') return undefined;
      // A new version, as every state change of a task has one (events tell duplicates by it).
      return { ...current, desiredStatus: 'STOPPED', stoppedReason: reason, stopCode: SCHEDULER_STOP_CODE, version: (typeof current.version === 'number' ? current.version : 0) + 1 };
    },
  };
}

/** Writes the whole record, if it is still at `modRevision`. */
export function writeService(key: string, modRevision: number, record: ServiceRecord, why: string): Action {
  return { type: 'txn', why, txn: { if: [{ key, modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] } };
}

/**
 * Launches `launch` for the service at `key`; the outcome is told as ECS tells it:
 * "has started N tasks", or why no instance could take one; a launch that placed nothing
 * is one more failure for the throttle of `deploymentId`.
 */
export function launchFor(key: string, serviceName: string, deploymentId: string, launch: Launch, ids: Ids): Action {
  return {
    type: 'launch',
    launch,
    why: `service ${serviceName}: start ${launch.targets?.length ?? launch.count} tasks of ${deploymentId}`,
    then: (result, now) => {
      const nowSeconds = now / 1000;
      return [{
        type: 'update',
        key,
        why: `service ${serviceName}: events of a launch`,
        change: (value) => {
          if (!isObject(value)) return undefined;
          const record = value as unknown as ServiceRecord;
          return outcome(record, serviceName, deploymentId, launch, result, ids, nowSeconds);
        },
      }];
    },
  };
}

/** How the placer's refusal of a cluster without instances begins (RunTask's InvalidParameterException). */
const NO_INSTANCES = 'No Container Instances were found in your cluster';

function outcome(record: ServiceRecord, name: string, deploymentId: string, launch: Launch, result: LaunchResult | { error: string }, ids: Ids, nowSeconds: number): ServiceRecord {
  const messages: string[] = [];
  let throttle = record.throttle;
  const wanted = launch.targets?.length ?? launch.count;
  if ('error' in result) {
    // A cluster with no instances is refused by the placer as RunTask is; the service says it in ECS's words.
    messages.push(result.error.startsWith(NO_INSTANCES) ? texts.unableToPlace(name, []) : texts.unableToPlaceReason(name, result.error));
  } else {
    const started = result.tasks.map((t) => t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1));
    if (started.length) messages.push(texts.started(name, started));
    if (started.length < wanted) messages.push(texts.unableToPlace(name, result.failures));
  }
  // A launch that placed nothing backs off like a failed start, so a cluster with no room is
  // not asked again on every change; but only tasks that fail to start make ECS say the
  // service "is unable to consistently start tasks" (the unable-to-place event says why here).
  const placedNone = 'error' in result || result.tasks.length === 0;
  if (placedNone && wanted > 0) throttle = afterFailures(current(record, deploymentId), deploymentId, 1, nowSeconds).throttle;
  const events = withEvents(record, messages, ids.newId, nowSeconds);
  return { ...record, events, ...(throttle && { throttle }), steady: false };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** What a deployment or a task set runs: its task definition and how its tasks are launched and networked. */
export interface Runnable {
  /** Its id: the `startedBy` of its tasks. */
  readonly id: string;
  readonly taskDefinition: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  readonly launchType?: Launch['launchType'];
  /** Fargate: the platform version its tasks run on. */
  readonly platformVersion?: string;
}

/**
 * The launch of a service's tasks for `what` (a deployment or a task set), all but the
 * count: the service's placement rules and tags, in the service's group, started by its id.
 * A capacity provider strategy wins over a launch type, as in RunTask.
 */
export function launchBase(ref: ClusterRef, record: ServiceRecord, what: Runnable, nowSeconds: number): Omit<Launch, 'count'> {
  const { networkConfiguration, capacityProviderStrategy, launchType, platformVersion } = what;
  return {
    scope: ref.scope,
    cluster: ref.cluster,
    taskDefinitionArn: what.taskDefinition,
    startedBy: what.id,
    group: serviceGroup(record.serviceName),
    placementConstraints: record.placementConstraints,
    placementStrategy: record.placementStrategy,
    tags: record.tags,
    propagateTags: record.propagateTags,
    enableECSManagedTags: record.enableECSManagedTags,
    enableExecuteCommand: record.enableExecuteCommand,
    ...(networkConfiguration && { networkConfiguration }),
    ...(capacityProviderStrategy?.length ? { capacityProviderStrategy } : launchType ? { launchType } : {}),
    ...(platformVersion !== undefined && { platformVersion }),
    now: nowSeconds,
  };
}
