/**
 * What a Spot interruption does to a task record, at once, as AWS does it: the task is
 * told to stop (`desiredStatus: STOPPED`) with `stopCode: TerminationNotice` and AWS's
 * reason, while `lastStatus` stays what it is (RUNNING) for the two-minute warning. The
 * agent then stops it as it stops any task (the stop signal, SIGKILL after the container's
 * stopTimeout), and when it reports STOPPED the code becomes `SpotInterruption`
 * (task-lifecycle.ts: stoppedStopCode). Pure; used by the reclaim controller and by
 * `berth spot interrupt`.
 */
import { SPOT_INTERRUPTED_REASON } from './fargate.ts';
import type { TaskRecord } from './task.ts';

/** The record after the interruption notice, or undefined when the task is already stopping or stopped (nothing to do). */
export function interruptTask(task: TaskRecord): TaskRecord | undefined {
  if (task.desiredStatus !== 'RUNNING' || task.lastStatus === 'STOPPED') return undefined;
  return {
    ...task,
    desiredStatus: 'STOPPED',
    stopCode: 'TerminationNotice',
    stoppedReason: SPOT_INTERRUPTED_REASON,
    version: task.version + 1,
  };
}
