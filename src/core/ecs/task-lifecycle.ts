/**
 * The lifecycle of an ECS task, as DescribeTasks reports it. A task only moves forward:
 *
 *   PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED
 *
 * (ECS "Task lifecycle"). A task may skip states (one that fails to start goes from
 * PENDING to STOPPED through the stopping states), never go back.
 */
export const TASK_STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const CONTAINER_STATUSES = ['PENDING', 'RUNNING', 'STOPPED'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

export type StopCode =
  | 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated'
  | 'SpotInterruption' | 'TerminationNotice';

export function rank(s: TaskStatus): number {
  return TASK_STATUSES.indexOf(s);
}

/** Whether a task in `from` may be reported as `to`: forward only. */
export function canMove(from: TaskStatus, to: TaskStatus): boolean {
  return rank(to) >= rank(from);
}

export function isContainerStatus(s: string): s is ContainerStatus {
  return (CONTAINER_STATUSES as readonly string[]).includes(s);
}

export function isTaskStatus(s: string): s is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(s);
}

/** Tasks in these states hold resources on their instance and count as "pending". */
export function isPending(s: TaskStatus): boolean {
  return rank(s) < rank('RUNNING');
}

/** The timestamp field a task gets when it first reaches a status. */
export const STATUS_TIMESTAMP: Partial<Record<TaskStatus, 'startedAt' | 'stoppingAt' | 'stoppedAt'>> = {
  RUNNING: 'startedAt',
  DEACTIVATING: 'stoppingAt',
  STOPPING: 'stoppingAt',
  STOPPED: 'stoppedAt',
};

/** How long a stopped task stays describable: ECS keeps them at least an hour. */
export const STOPPED_TASK_RETENTION_SECONDS = 3600;

/**
 * The stop code a task keeps once it is STOPPED, given the one it had while stopping. A Spot
 * task interrupted is told `TerminationNotice` with its two-minute warning (still RUNNING);
 * once it has stopped, AWS reports `SpotInterruption` (Task reference: stopCode). Every
 * other code stays as it was.
 */
export function stoppedStopCode(code: StopCode | undefined): StopCode | undefined {
  return code === 'TerminationNotice' ? 'SpotInterruption' : code;
}
