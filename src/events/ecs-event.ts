/**
 * ECS events in EventBridge's envelope (pure): what `berth events` shows and what a rule
 * target would receive on AWS.
 *
 *   { version: "0", id, detail-type: "ECS Task State Change", source: "aws.ecs", account,
 *     time, region, resources: [taskArn], detail: <the Task as DescribeTasks answers it,
 *     timestamps as ISO strings, with updatedAt and version> }
 *
 * AWS sends a task state change event for each change of a task's state (RunTask/StartTask,
 * StopTask, the service scheduler, the agent's reports, a Spot termination notice): in
 * Berth, each new `version` of a task record. `detail.version` is the task's version: two
 * events with the same one are duplicates (ECS events guide). The task's health is not in
 * the event (AWS leaves it out too).
 */
import { parseArn } from '../core/arn.ts';
import { taskView, type TaskRecord } from '../core/ecs/task.ts';

export const TASK_STATE_CHANGE = 'ECS Task State Change';
export const CONTAINER_INSTANCE_STATE_CHANGE = 'ECS Container Instance State Change';
/** The detail-types Berth emits (the others AWS has — service action, deployment state change — not yet). */
export const DETAIL_TYPES: readonly string[] = [TASK_STATE_CHANGE];

export interface EcsEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: 'aws.ecs';
  readonly account: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Task fields that are epoch seconds in the API and ISO strings in events. */
const TIMESTAMPS = ['createdAt', 'startedAt', 'stoppingAt', 'stoppedAt', 'connectivityAt', 'pullStartedAt', 'pullStoppedAt', 'executionStoppedAt'] as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** The "ECS Task State Change" event of one version of a task, seen at `atMs`. */
export function taskStateChangeEvent(task: TaskRecord, id: string, atMs: number): EcsEvent {
  const { healthStatus: _health, tags: _tags, ...view } = taskView(task, false);
  const detail: Record<string, unknown> = { ...view, updatedAt: iso(atMs) };
  for (const f of TIMESTAMPS) {
    const v = task[f];
    if (typeof v === 'number') detail[f] = iso(v * 1000);
  }
  const arn = parseArn(task.taskArn);
  return {
    version: '0',
    id,
    'detail-type': TASK_STATE_CHANGE,
    source: 'aws.ecs',
    account: arn?.account ?? '',
    time: iso(atMs),
    region: arn?.region ?? '',
    resources: [task.taskArn],
    detail,
  };
}
