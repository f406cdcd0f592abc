/**
 * One pass over a service of the EXTERNAL deployment controller: each task set is kept at
 * its computed desired count (the service's desiredCount × the set's scale, rounded up), as
 * a deployment is kept at its desired count, but with no rolling limits between sets: the
 * external controller decides how fast traffic and tasks move, by scaling the sets.
 *
 *   tasks ─▶ views ─▶ per set: start failures (throttle) ─▶ keep = live, not doomed
 *            keep < target: launch the difference      keep > target: stop (scale-in order)
 *            doomed (draining instance, lost, unhealthy): stop, and replace
 *          ─▶ stabilityStatus; a DRAINING set with no task left is dropped
 *          ─▶ record: sets, events, throttle, steady; INACTIVE once a deleted service is empty
 *
 * Tasks are started with `startedBy` = the set's id and group `service:<name>`, so they
 * are counted to their set as a deployment's are to it (countServiceTasks).
 */
import type { ClusterSnapshot, Held, InstanceState, TaskSummary } from '../../cluster/types.ts';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import { computedDesiredCount, type TaskSetRecord } from '../../core/ecs/task-set.ts';
import type { Launch } from '../../scheduler/launch.ts';
import type { Action } from '../types.ts';
import { launchBase, launchFor, stopTask, writeService, type Ids } from './actions.ts';
import { failureKind, TASK_FAILED_HEALTH_CHECKS } from './circuit-breaker.ts';
import { byDeployment, view, type TaskView } from './counts.ts';
import { texts, withEvents } from './events.ts';
import { scaleInOrder } from './scale-in.ts';
import type { Pass } from './service-pass.ts';
import { afterFailures, current, delaySeconds, holds, type Throttle } from './throttle.ts';

interface SetStep {
  /** The set as it is to be written; undefined when it is dropped. */
  readonly set?: TaskSetRecord;
  readonly stops: readonly { view: TaskView; unhealthy: boolean }[];
  readonly launch?: Launch;
  readonly throttle?: Throttle | undefined;
  readonly throttleBegan: boolean;
}

export function taskSetPass(snapshot: ClusterSnapshot, held: Held<ServiceRecord>, tasks: readonly TaskSummary[], instances: ReadonlyMap<string, InstanceState>, now: number, ids: Ids): Pass {
  const record = held.value;
  if (record.status === 'INACTIVE') return { actions: [] };
  const nowSeconds = now / 1000;
  const name = record.serviceName;
  const draining = record.status === 'DRAINING';
  const views = tasks.map((t) => view(t, instances, now, record.healthCheckGracePeriodSeconds ?? 0));
  const groups = byDeployment(views);
  const messages: string[] = [];
  let throttle = record.throttle;
  const sets: TaskSetRecord[] = [];
  const stops: { view: TaskView; unhealthy: boolean }[] = [];
  const launches: { id: string; launch: Launch }[] = [];

  for (const original of record.taskSets ?? []) {
    // A deleted service drains every set it has.
    const set: TaskSetRecord = draining && original.status !== 'DRAINING' ? { ...original, status: 'DRAINING', updatedAt: nowSeconds } : original;
    const step = setStep(snapshot, record, set, groups.get(set.id) ?? [], throttle, nowSeconds);
    throttle = step.throttle;
    if (step.throttleBegan) messages.push(texts.throttled(name));
    if (step.set) sets.push(step.set);
    stops.push(...step.stops);
    if (step.launch) launches.push({ id: set.id, launch: step.launch });
  }
  // Live tasks no set claims (their set is gone): nobody's, so stopped.
  const known = new Set((record.taskSets ?? []).map((t) => t.id));
  for (const v of views) if (v.live && !known.has(v.task.startedBy ?? '')) stops.push({ view: v, unhealthy: false });

  const actions: Action[] = [];
  for (const s of stops) {
    actions.push(stopTask(s.view.task, s.unhealthy ? TASK_FAILED_HEALTH_CHECKS : `Scaling activity initiated by (deployment ${s.view.task.startedBy ?? ''})`));
    if (s.unhealthy) messages.push(texts.unhealthy(name, s.view.task.id));
  }
  // Per set, in the set's name; tasks of no set in the service's.
  for (const id of new Set(stops.map((s) => s.view.task.startedBy ?? ''))) {
    const mine = stops.filter((s) => (s.view.task.startedBy ?? '') === id);
    const who = known.has(id) ? setLabel(name, id) : name;
    const stoppedRunning = mine.filter((s) => s.view.task.lastStatus === 'RUNNING').map((s) => s.view.task.id);
    const stoppedPending = mine.filter((s) => s.view.task.lastStatus !== 'RUNNING').map((s) => s.view.task.id);
    if (stoppedRunning.length) messages.push(texts.stoppedRunning(who, stoppedRunning));
    if (stoppedPending.length) messages.push(texts.stoppedPending(who, stoppedPending));
  }

  const holding = tasks.some((t) => t.lastStatus !== 'STOPPED');
  // A service with no task set has nothing to be steady about (and ECS shows no event for it).
  const steady = !draining && sets.length > 0 && sets.every((t) => t.status !== 'DRAINING' && t.stabilityStatus === 'STEADY_STATE') && stops.length === 0 && launches.length === 0;
  if (steady && !record.steady) messages.push(texts.steady(name));
  let next: ServiceRecord = { ...record, taskSets: sets, events: withEvents(record, messages, ids.newId, nowSeconds), steady };
  if (throttle) next.throttle = throttle;
  else delete next.throttle;
  if (draining && !holding && sets.length === 0) next = { ...next, status: 'INACTIVE', desiredCount: 0 };
  if (JSON.stringify(next) !== JSON.stringify(record)) actions.unshift(writeService(held.key, held.modRevision, next, `service ${name}: ${next.events[0]?.message ?? 'task sets'}`));
  for (const l of launches) actions.push(launchFor(held.key, setLabel(name, l.id), l.id, l.launch, ids));
  return { actions, ...wake(views, record.healthCheckGracePeriodSeconds ?? 0, throttle, launches.length === 0 && sets.some((t) => t.stabilityStatus === 'STABILIZING'), nowSeconds) };
}

/**
 * How ECS names a task set in a service event: "(service web, taskSet ecs-svc/…) has started
 * 1 tasks: …" (events of real EXTERNAL and CODE_DEPLOY services); the event texts wrap it in
 * "(service …)".
 */
export function setLabel(serviceName: string, setId: string): string {
  return `${serviceName}, taskSet ${setId}`;
}

function setStep(snapshot: ClusterSnapshot, record: ServiceRecord, set: TaskSetRecord, views: readonly TaskView[], prior: Throttle | undefined, nowSeconds: number): SetStep {
  // Start failures of this set since the last counted one feed the throttle, as a deployment's do.
  const mark = set.failuresCountedThrough;
  const fresh = views.map((v) => v.task)
    .filter((t) => failureKind(t) === 'start' && (!mark || (t.stoppedAt ?? 0) > mark.stoppedAt || ((t.stoppedAt ?? 0) === mark.stoppedAt && t.id > mark.taskId)))
    .sort((a, b) => (a.stoppedAt ?? 0) - (b.stoppedAt ?? 0) || (a.id < b.id ? -1 : 1));
  let throttle = prior;
  let began = false;
  let counted = set;
  const last = fresh[fresh.length - 1];
  if (last) {
    const after = afterFailures(current(record, set.id), set.id, fresh.length, nowSeconds);
    throttle = after.throttle;
    began = after.began;
    counted = { ...set, failuresCountedThrough: { stoppedAt: last.stoppedAt ?? 0, taskId: last.id } };
  }
  const mine = throttle?.deploymentId === set.id ? throttle : undefined;
  // A task of the set that reached RUNNING after the last failure ends the throttle.
  if (mine && views.some((v) => v.live && v.task.startedAt !== undefined && v.task.startedAt >= mine.nextLaunchAt - delaySeconds(mine.consecutiveFailures))) throttle = undefined;

  const target = set.status === 'DRAINING' ? 0 : computedDesiredCount(record.desiredCount, set.scale);
  const live = views.filter((v) => v.live);
  const keep = live.filter((v) => !v.doom);
  const stops = live.filter((v) => v.doom).map((v) => ({ view: v, unhealthy: v.doom === 'unhealthy' }));
  // Protected tasks (task scale-in protection) are not chosen; the set waits for them.
  if (keep.length > target) stops.push(...scaleInOrder(keep.filter((v) => !v.protected), live).slice(0, keep.length - target).map((v) => ({ view: v, unhealthy: false })));
  const missing = Math.max(0, target - keep.length);
  const launch = missing > 0 && !holds(throttle?.deploymentId === set.id ? throttle : undefined, nowSeconds) ? { ...launchBase(snapshot, record, set, nowSeconds), count: missing } : undefined;

  if (set.status === 'DRAINING' && views.every((v) => v.task.lastStatus === 'STOPPED')) return { stops, throttle, throttleBegan: began };
  // STEADY_STATE: runningCount = computedDesiredCount, none pending, none on a DRAINING instance, all healthy (TaskSet.stabilityStatus).
  const stable = missing === 0 && stops.length === 0 && keep.every((v) => v.task.lastStatus === 'RUNNING' && (!v.task.healthChecked || v.task.healthStatus === 'HEALTHY'));
  const stabilityStatus = stable ? 'STEADY_STATE' : 'STABILIZING';
  const next = stabilityStatus === counted.stabilityStatus ? counted : { ...counted, stabilityStatus, stabilityStatusAt: nowSeconds } as TaskSetRecord;
  return { set: next, stops, ...(launch && { launch }), throttle, throttleBegan: began };
}

/** The next moment something changes without news: an UNHEALTHY task's grace period ends, the throttle lets a waiting set go. */
function wake(views: readonly TaskView[], grace: number, throttle: Throttle | undefined, waiting: boolean, nowSeconds: number): { wakeAt?: number } {
  const times: number[] = [];
  for (const v of views) {
    const t = v.task;
    if (v.live && !v.doom && t.healthChecked && t.healthStatus === 'UNHEALTHY' && t.startedAt !== undefined) times.push((t.startedAt + grace) * 1000);
    // A protected task the set is waiting on becomes stoppable when its protection expires.
    if (v.protected && t.protectedUntil !== undefined) times.push(t.protectedUntil * 1000);
  }
  if (throttle && waiting) times.push(throttle.nextLaunchAt * 1000);
  const future = times.filter((t) => t > nowSeconds * 1000);
  return future.length ? { wakeAt: Math.min(...future) } : {};
}
