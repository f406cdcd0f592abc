/**
 * Service event texts, as ECS writes them (developer guide, "Amazon ECS service event
 * messages", and the texts real services answer in DescribeServices), and the one way
 * events are added to a record: newest first, duplicates held back, at most
 * MAX_SERVICE_EVENTS.
 */
import { MAX_SERVICE_EVENTS, type ServiceEvent, type ServiceRecord } from '../../core/ecs/service.ts';
import type { Failure } from '../../scheduler/types.ts';

/** ECS appends this to its placement and throttle messages. */
const TROUBLESHOOTING = 'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

/**
 * ECS omits a duplicate message "until either the cause is resolved or six hours passes"
 * (service event messages): a repeated placement failure is said once per six hours.
 */
export const DUPLICATE_EVENT_WINDOW_SECONDS = 6 * 3600;

const svc = (name: string) => `(service ${name})`;
const taskList = (ids: readonly string[]) => ids.map((id) => `(task ${id})`).join(' ');

export const texts = {
  started: (name: string, taskIds: readonly string[]) => `${svc(name)} has started ${taskIds.length} tasks: ${taskList(taskIds)}.`,
  stoppedRunning: (name: string, taskIds: readonly string[]) => `${svc(name)} has stopped ${taskIds.length} running tasks: ${taskList(taskIds)}.`,
  stoppedPending: (name: string, taskIds: readonly string[]) => `${svc(name)} stopped ${taskIds.length} pending tasks.`,
  steady: (name: string) => `${svc(name)} has reached a steady state.`,
  unhealthy: (name: string, taskId: string) => `${svc(name)} (task ${taskId}) failed container health checks.`,
  throttled: (name: string) => `${svc(name)} is unable to consistently start tasks successfully. ${TROUBLESHOOTING}`,
  deploymentCompleted: (name: string, deploymentId: string) => `${svc(name)} (deployment ${deploymentId}) deployment completed.`,
  deploymentFailed: (name: string, deploymentId: string) => `${svc(name)} (deployment ${deploymentId}) deployment failed: tasks failed to start.`,
  rollingBack: (name: string, deploymentId: string) => `${svc(name)} rolling back to deployment ${deploymentId}.`,
  blockedByConfiguration: (name: string) =>
    `${svc(name)} was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  unableToPlace: (name: string, failures: readonly Failure[]) => {
    const head = `${svc(name)} was unable to place a task because no container instance met all of its requirements.`;
    const closest = closestFailure(failures);
    if (!closest) return `${head} Reason: No Container Instances were found in your cluster. ${TROUBLESHOOTING}`;
    const id = closest.arn.slice(closest.arn.lastIndexOf('/') + 1);
    return `${head} The closest matching (container-instance ${id}) ${why(closest.reason)} ${TROUBLESHOOTING}`;
  },
  unableToPlaceReason: (name: string, reason: string) => `${svc(name)} was unable to place a task. Reason: ${reason}`,
} as const;

/** How ECS words each placement failure of the closest instance; others as "encountered error". */
const WHY: Readonly<Record<string, string>> = {
  'RESOURCE:CPU': 'has insufficient CPU units available.',
  'RESOURCE:MEMORY': 'has insufficient memory available.',
  'RESOURCE:PORTS': 'is already using a port required by your task.',
  AGENT: "doesn't have the agent connected.",
  ATTRIBUTE: 'is missing an attribute required by your task.',
};

/** ECS names a constraint failure with a sentence; the placer may give the bare constraint name. */
const CONSTRAINT_SENTENCE = ' placement constraint unsatisfied.';

function why(reason: string): string {
  const known = WHY[reason];
  if (known) return known;
  const sentence = reason === 'MemberOf' || reason === 'DistinctInstance' ? `${reason}${CONSTRAINT_SENTENCE}` : reason;
  return `encountered error "${sentence}".`;
}

/**
 * How far an instance got through placement before it was refused (the placer filters in
 * this order: status and agent, attributes, constraints, then resources): the instance
 * that got furthest is the "closest matching" one ECS names.
 */
function closeness(reason: string): number {
  if (reason.startsWith('RESOURCE:')) return 6 + ['CPU', 'MEMORY', 'PORTS', 'ENI'].indexOf(reason.slice('RESOURCE:'.length));
  if (reason.startsWith('DistinctInstance')) return 5;
  if (reason.startsWith('MemberOf')) return 4;
  return ({ ATTRIBUTE: 3, AGENT: 2, INACTIVE: 1 } as Record<string, number>)[reason] ?? 0;
}

export function closestFailure(failures: readonly Failure[]): Failure | undefined {
  let best: Failure | undefined;
  for (const f of failures) if (!best || closeness(f.reason) > closeness(best.reason)) best = f;
  return best;
}

/** Placement messages: the ones held back while repeated, as ECS does. */
function isRepeatable(message: string): boolean {
  return message.includes(' was unable to ') || message.includes(' is unable to consistently ');
}

/**
 * The record's events with `messages` added (in the order given, the last newest), each
 * stamped with an id from `newId` and `nowSeconds`. A placement message identical to one
 * said within DUPLICATE_EVENT_WINDOW_SECONDS, and not since the service was last steady,
 * is omitted.
 */
export function withEvents(record: ServiceRecord, messages: readonly string[], newId: () => string, nowSeconds: number): ServiceEvent[] {
  let events = record.events;
  for (const message of messages) {
    if (isRepeatable(message) && isRecentDuplicate(events, message, nowSeconds)) continue;
    events = [{ id: newId(), createdAt: nowSeconds, message }, ...events];
  }
  return events.length > MAX_SERVICE_EVENTS ? events.slice(0, MAX_SERVICE_EVENTS) : events;
}

function isRecentDuplicate(events: readonly ServiceEvent[], message: string, nowSeconds: number): boolean {
  for (const e of events) {
    if (nowSeconds - e.createdAt > DUPLICATE_EVENT_WINDOW_SECONDS) return false;
    if (e.message === message) return true;
    // A steady state ends the episode: the cause was resolved.
    if (e.message.endsWith(' has reached a steady state.')) return false;
  }
  return false;
}
