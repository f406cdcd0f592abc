/**
 * One service, one pass: read its tasks, count failures, trip the circuit breaker, take
 * one rolling (REPLICA) or per-instance (DAEMON) step, and say what happened as ECS says
 * it. Returns the actions and the time the service wants to be looked at again.
 *
 *   tasks ─▶ views (live, healthy, doomed) ─▶ failures ─▶ breaker ─▶ step ─▶ stops, launch
 *                                                                      └─▶ record: deployments,
 *                                                                          events, throttle, steady
 */
import type { ClusterSnapshot, Held, InstanceState, TaskSummary } from '../../cluster/types.ts';
import type { DeploymentRecord, ServiceRecord } from '../../core/ecs/service.ts';
import { followServiceDeployments } from '../../core/ecs/service-deployment.ts';
import type { Launch } from '../../scheduler/launch.ts';
import type { Action } from '../types.ts';
import { launchBase, launchFor, stopTask, writeService, type Ids } from './actions.ts';
import { countFailures, failureThreshold, reasons, TASK_FAILED_HEALTH_CHECKS } from './circuit-breaker.ts';
import { byDeployment, view, type TaskView } from './counts.ts';
import { daemonStep } from './daemon.ts';
import { daemonEligibility } from './daemon-eligible.ts';
import { primaryOf, prune, trip } from './deployments.ts';
import { texts, withEvents } from './events.ts';
import { rollingStep, type Stop } from './rolling.ts';
import { afterFailures, current, delaySeconds, holds } from './throttle.ts';

export interface Pass {
  readonly actions: Action[];
  readonly wakeAt?: number;
  /**
   * Nothing to do and nothing to say (not even an event held back as a recent duplicate):
   * the same record, tasks and instances give the same empty pass until `wakeAt`.
   */
  readonly quiet?: boolean;
}

export function servicePass(snapshot: ClusterSnapshot, held: Held<ServiceRecord>, tasks: readonly TaskSummary[], instances: ReadonlyMap<string, InstanceState>, now: number, ids: Ids): Pass {
  const record = held.value;
  // EXTERNAL services run task sets (task-sets.ts); CODE_DEPLOY is refused at creation.
  if (record.status === 'INACTIVE' || record.deploymentController.type !== 'ECS') return { actions: [], quiet: true };
  const nowSeconds = now / 1000;
  const name = record.serviceName;
  const grace = record.healthCheckGracePeriodSeconds ?? 0;
  const views = tasks.map((t) => view(t, instances, now, grace));
  const holding = new Set(tasks.filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.startedBy ?? ''));
  const draining = record.status === 'DRAINING';
  const daemon = record.schedulingStrategy === 'DAEMON';
  // A DAEMON service wants a task on every ACTIVE instance its constraints admit; counted
  // for a DAEMON alone, so a pass over many REPLICA services never walks the instances.
  const eligible = daemon ? daemonEligibility(record.placementConstraints) : undefined;
  const daemonInstances = eligible ? snapshot.instances.filter((i) => i.record.status === 'ACTIVE' && eligible(i)).length : 0;
  const desired = draining ? 0 : daemon ? daemonInstances : record.desiredCount;

  const messages: string[] = [];
  let primary = primaryOf(record);
  if (!primary) {
    // Nothing to run (a record the API has not given a deployment yet): only finish a deletion.
    const done = draining && holding.size === 0;
    return done ? { actions: [writeService(held.key, held.modRevision, { ...record, status: 'INACTIVE' }, `service ${name} is INACTIVE`)] } : { actions: [] };
  }
  let deployments = record.deployments;
  let taskDefinition = record.taskDefinition;
  let throttle = current(record, primary.id);
  const groups = byDeployment(views);
  const primaryViews = groups.get(primary.id) ?? [];

  // Failures of the PRIMARY: the throttle counts them always, the circuit breaker only
  // while the deployment is in progress (a COMPLETED deployment no longer fails).
  if (primary.rolloutState !== 'FAILED') {
    const healthyStarts = primaryViews.filter((v) => v.healthy).map((v) => v.task.startedAt ?? 0);
    const counted = countFailures(primary, primaryViews.map((v) => v.task), healthyStarts);
    const inProgress = primary.rolloutState === 'IN_PROGRESS';
    const updated: DeploymentRecord = {
      ...primary,
      ...(inProgress && { failedTasks: counted.failedTasks, circuitBreakerStage: counted.stage }),
      ...(counted.mark && { failuresCountedThrough: counted.mark }),
    };
    if (counted.newStartFailures > 0) {
      const next = afterFailures(throttle, primary.id, counted.newStartFailures, nowSeconds);
      throttle = next.throttle;
      if (next.began) messages.push(texts.throttled(name));
    }
    primary = updated;
    deployments = deployments.map((d) => (d.status === 'PRIMARY' ? updated : d));
  }
  // A task of the PRIMARY that reached RUNNING after the last failure ends the throttle.
  if (throttle) {
    const lastFailureAt = throttle.nextLaunchAt - delaySeconds(throttle.consecutiveFailures);
    if (primaryViews.some((v) => v.live && v.task.startedAt !== undefined && v.task.startedAt >= lastFailureAt)) throttle = undefined;
  }

  const breaker = record.deploymentConfiguration.deploymentCircuitBreaker;
  let rolledBack = false;
  if (breaker.enable && primary.rolloutState === 'IN_PROGRESS' && !draining && primary.failedTasks >= failureThreshold(desired)) {
    const t = trip({ ...record, deployments }, primary, desired, ids.newDeploymentId, nowSeconds);
    deployments = t.deployments;
    taskDefinition = t.taskDefinition;
    messages.push(...t.messages);
    rolledBack = t.rolledBack;
    primary = deployments.find((d) => d.status === 'PRIMARY') as DeploymentRecord;
  }
  if (primary.desiredCount !== desired) {
    const p = { ...primary, desiredCount: desired, updatedAt: nowSeconds };
    deployments = deployments.map((d) => (d.id === p.id ? p : d));
    primary = p;
  }

  const stalled = primary.rolloutState === 'FAILED' && !draining;
  const canLaunch = !rolledBack && !stalled && !holds(throttle, nowSeconds);
  const canReplace = !rolledBack && !stalled;
  const olderIds = deployments.filter((d) => d.status !== 'PRIMARY').sort((a, b) => a.createdAt - b.createdAt).map((d) => d.id);
  const { minimumHealthyPercent, maximumPercent } = record.deploymentConfiguration;

  let stops: readonly Stop[];
  let launch: Launch | undefined;
  // A deployment without its own launch settings (an older record) runs the service's.
  const base = launchBase(snapshot, record, {
    id: primary.id, taskDefinition: primary.taskDefinition,
    ...withDefined('networkConfiguration', primary.networkConfiguration ?? record.networkConfiguration),
    ...withDefined('capacityProviderStrategy', primary.capacityProviderStrategy ?? record.capacityProviderStrategy),
    ...withDefined('launchType', primary.launchType ?? record.launchType),
    ...withDefined('platformVersion', primary.platformVersion ?? record.platformVersion),
  }, nowSeconds);
  if (daemon) {
    const step = daemonStep({ instances: snapshot.instances, views, primaryId: primary.id, minimumHealthyPercent, canLaunch, canReplace, draining, ...(eligible && { eligible }) });
    stops = step.stops;
    if (step.targets.length) launch = { ...base, count: step.targets.length, targets: step.targets };
  } else {
    const step = rollingStep({ desired, minimumHealthyPercent, maximumPercent, views, primaryId: primary.id, olderIds, canLaunch, canReplace });
    stops = step.stops;
    if (step.start > 0) launch = { ...base, count: step.start };
    if (step.blocked) messages.push(texts.blockedByConfiguration(name));
  }

  const actions: Action[] = [];
  const scaling = `Scaling activity initiated by (deployment ${primary.id})`;
  for (const s of stops) {
    const unhealthy = s.why === 'unhealthy';
    actions.push(stopTask(s.view.task, unhealthy ? TASK_FAILED_HEALTH_CHECKS : scaling));
    if (unhealthy) messages.push(texts.unhealthy(name, s.view.task.id));
  }
  const stoppedRunning = stops.filter((s) => s.view.task.lastStatus === 'RUNNING').map((s) => s.view.task.id);
  const stoppedPending = stops.filter((s) => s.view.task.lastStatus !== 'RUNNING').map((s) => s.view.task.id);
  if (stoppedRunning.length) messages.push(texts.stoppedRunning(name, stoppedRunning));
  if (stoppedPending.length) messages.push(texts.stoppedPending(name, stoppedPending));

  // Completion and steady state: the PRIMARY runs exactly what is desired, all healthy, alone.
  const live = views.filter((v) => v.live);
  const primaryId = primary.id;
  const primaryLive = live.filter((v) => v.task.startedBy === primaryId);
  const others = views.some((v) => v.task.lastStatus !== 'STOPPED' && (v.task.startedBy !== primaryId || !v.live));
  const settled = !launch && stops.length === 0 && !others && primaryLive.length === desired && primaryLive.every((v) => v.healthy);
  if (settled && primary.rolloutState === 'IN_PROGRESS' && !draining) {
    const p: DeploymentRecord = { ...primary, rolloutState: 'COMPLETED', rolloutStateReason: reasons.completed(primary.id), updatedAt: nowSeconds };
    deployments = deployments.map((d) => (d.id === p.id ? p : d));
    primary = p;
    messages.push(texts.deploymentCompleted(name, p.id));
  }
  deployments = prune(deployments, holding);
  const steady = settled && primary.rolloutState === 'COMPLETED' && !draining;
  if (steady && !record.steady) messages.push(texts.steady(name));

  let next: ServiceRecord = {
    ...record,
    taskDefinition,
    ...(daemon && !draining && { desiredCount: desired }),
    deployments,
    events: withEvents(record, messages, ids.newId, nowSeconds),
    steady,
  };
  if (throttle) next.throttle = throttle;
  else delete next.throttle;
  if (draining && holding.size === 0) next = { ...next, status: 'INACTIVE', desiredCount: 0 };
  next = followServiceDeployments(next, nowSeconds);
  if (JSON.stringify(next) !== JSON.stringify(record)) actions.unshift(writeService(held.key, held.modRevision, next, `service ${name}: ${summary(next, record)}`));
  if (launch) actions.push(launchFor(held.key, name, primary.id, launch, ids));
  return { actions, ...wake(views, throttle, grace, nowSeconds, launch === undefined && canReplace && !stalled), quiet: actions.length === 0 && messages.length === 0 };
}

/** The next moment something changes without news: a task's 40 s settle, a grace period's end, the throttle's release, a protection's expiry. */
function wake(views: readonly TaskView[], throttle: ServiceRecord['throttle'], grace: number, nowSeconds: number, waitingOnThrottle: boolean): { wakeAt?: number } {
  const times: number[] = [];
  for (const v of views) {
    if (v.healthyAt !== undefined) times.push(v.healthyAt);
    const t = v.task;
    if (v.protected && t.protectedUntil !== undefined) times.push(t.protectedUntil * 1000);
    if (v.live && t.healthChecked && t.healthStatus === 'UNHEALTHY' && t.startedAt !== undefined && !v.doom) times.push((t.startedAt + grace) * 1000);
  }
  if (throttle && waitingOnThrottle && throttle.nextLaunchAt > nowSeconds) times.push(throttle.nextLaunchAt * 1000);
  const future = times.filter((t) => t > nowSeconds * 1000);
  return future.length ? { wakeAt: Math.min(...future) } : {};
}

function summary(next: ServiceRecord, prior: ServiceRecord): string {
  const n = next.events.length - prior.events.length;
  const newest = next.events[0];
  return n > 0 && newest ? newest.message : 'deployments, counts and flags';
}

/** `{ [key]: value }`, or nothing when the value is undefined (exactOptionalPropertyTypes). */
function withDefined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
