/**
 * Service deployments (developer guide, "View service history using Amazon ECS service
 * deployments"): one per CreateService, and per UpdateService that starts a deployment.
 * Each is a view of the service's DeploymentRecords, which the service reconciler moves;
 * what outlives those records (a deployment is dropped once INACTIVE) is kept as a small
 * entry in the service record, newest first, at most MAX_SERVICE_DEPLOYMENTS.
 *
 *   PENDING ─▶ IN_PROGRESS ─▶ SUCCESSFUL                      (its deployment COMPLETED)
 *      │            ├────────▶ STOPPED                         (FAILED, no rollback; or a newer
 *      │            │                                           deployment started, or the service was deleted)
 *      │            └─ circuit breaker trips with rollback ─▶ ROLLBACK_IN_PROGRESS ─▶ ROLLBACK_SUCCESSFUL
 *      └─ StopServiceDeployment ROLLBACK ─▶ ROLLBACK_REQUESTED ─┘                    └▶ ROLLBACK_FAILED
 *
 * Who moves what: the API opens an entry (PENDING), stops the ones a new deployment
 * replaces, and requests a rollback; `followServiceDeployments`, which the reconciler runs
 * on every record it writes, derives the rest from the DeploymentRecords. A rollback is
 * the DeploymentRecord whose `rollbackOf` names the entry's deployment.
 */
import { fail } from '../errors.ts';
import { ecsArn, type Scope } from './scope.ts';
import type { DeploymentRecord, ServiceDeploymentEntry, ServiceDeploymentStatus, ServiceRecord } from './service.ts';

export type { ServiceDeploymentEntry, ServiceDeploymentStatus } from './service.ts';
import type { ServiceRevisionRecord } from './service-revision.ts';
import { serviceRevisionArn } from './service-revision.ts';
import type { ServiceCounts } from './service-counts.ts';

/** The "Completed" stage of the developer guide: these never change again. */
export const FINISHED: ReadonlySet<ServiceDeploymentStatus> = new Set(['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);

/** States in which StopServiceDeployment answers without changing anything: the stop or rollback goes on (developer guide). */
const ALREADY_STOPPING: ReadonlySet<ServiceDeploymentStatus> = new Set(['STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS']);

/**
 * Service deployments kept per service. ECS keeps 90 days of them; Berth keeps the most
 * recent 20, the length of one ListServiceDeployments page by default, so that the service
 * record (rewritten on every reconciler pass that changes it) stays small.
 */
export const MAX_SERVICE_DEPLOYMENTS = 20;

/** ServiceDeploymentCircuitBreaker.threshold: 0.5 × desired count, at least 3, at most 200. */
export const MIN_FAILURE_THRESHOLD = 3;
export const MAX_FAILURE_THRESHOLD = 200;

export function failureThreshold(desiredCount: number): number {
  return Math.min(MAX_FAILURE_THRESHOLD, Math.max(MIN_FAILURE_THRESHOLD, Math.ceil(0.5 * desiredCount)));
}

export const statusReasons = {
  replaced: (byId: string) => `Stopped: service deployment ${byId} was started and replaces it.`,
  deleted: 'Stopped: the service was deleted.',
  stopRequested: 'Rollback requested with StopServiceDeployment.',
} as const;

/** `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`. */
export function serviceDeploymentArn(scope: Scope, cluster: string, service: string, id: string): string {
  return ecsArn(scope, `service-deployment/${cluster}/${service}/${id}`);
}

const idsReferenced = (s: ServiceRecord | undefined): Set<string> => {
  const out = new Set<string>();
  for (const d of s?.deployments ?? []) if (d.serviceRevisionId) out.add(d.serviceRevisionId);
  for (const e of s?.serviceDeployments ?? []) {
    out.add(e.targetRevisionId);
    for (const r of e.sourceRevisionIds) out.add(r);
    if (e.rollback) out.add(e.rollback.serviceRevisionId);
  }
  return out;
};

/** Revisions `before` referenced that `after` no longer does: the API deletes them with the write. */
export function revisionsDropped(before: ServiceRecord | undefined, after: ServiceRecord): string[] {
  const kept = idsReferenced(after);
  return [...idsReferenced(before)].filter((id) => !kept.has(id));
}

/** True when `after` has a PRIMARY deployment that `before` did not have: a deployment starts. */
export function startsDeployment(before: ServiceRecord | undefined, after: ServiceRecord): boolean {
  const primary = after.deployments.find((d) => d.status === 'PRIMARY');
  return primary !== undefined && !before?.deployments.some((d) => d.id === primary.id);
}

/**
 * The record after CreateService or UpdateService, with a service deployment for its
 * PRIMARY deployment when that one is new (`before` had no deployment of its id): the new
 * deployment runs revision `revisionId`, and the deployments it replaces that were still
 * under way are STOPPED. Unchanged when no deployment was started.
 */
export function openServiceDeployment(before: ServiceRecord | undefined, after: ServiceRecord, ids: { serviceDeploymentId: string; revisionId: string }, now: number): ServiceRecord {
  const primary = after.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary || !startsDeployment(before, after)) return after;
  const deployments = after.deployments.map((d) => (d === primary ? { ...d, serviceRevisionId: ids.revisionId } : d));
  const sources = [...new Set(after.deployments.filter((d) => d !== primary && d.serviceRevisionId).map((d) => d.serviceRevisionId as string))];
  const older = (before?.serviceDeployments ?? []).map((e): ServiceDeploymentEntry => (FINISHED.has(e.status) ? e : {
    ...e, status: 'STOPPED', statusReason: statusReasons.replaced(ids.serviceDeploymentId), stoppedAt: now, finishedAt: now, updatedAt: now,
  }));
  const entry: ServiceDeploymentEntry = {
    id: ids.serviceDeploymentId,
    deploymentId: primary.id,
    targetRevisionId: ids.revisionId,
    sourceRevisionIds: sources,
    status: 'PENDING',
    createdAt: now,
    updatedAt: now,
    failureCount: 0,
    threshold: failureThreshold(primary.desiredCount),
    deploymentConfiguration: after.deploymentConfiguration,
  };
  return { ...after, deployments, serviceDeployments: [entry, ...older].slice(0, MAX_SERVICE_DEPLOYMENTS) };
}

/** One entry brought up to date with the record's deployments (pure; unchanged when nothing moved). */
export function followEntry(e: ServiceDeploymentEntry, record: ServiceRecord, now: number): ServiceDeploymentEntry {
  if (FINISHED.has(e.status)) return e;
  const d = record.deployments.find((x) => x.id === e.deploymentId);
  const rb = record.deployments.find((x) => x.rollbackOf === e.deploymentId);
  const next: ServiceDeploymentEntry = { ...e };
  if (d) {
    next.failureCount = d.failedTasks;
    next.threshold = failureThreshold(d.desiredCount);
  }
  if (record.status !== 'ACTIVE') {
    Object.assign(next, { status: 'STOPPED', statusReason: statusReasons.deleted, stoppedAt: now, finishedAt: now });
  } else if (rb) {
    next.rollback = e.rollback ?? { reason: d?.rolloutStateReason ?? rb.rolloutStateReason, startedAt: rb.createdAt, serviceRevisionId: rb.serviceRevisionId ?? e.sourceRevisionIds[0] ?? e.targetRevisionId };
    if (e.statusReason === undefined && d) next.statusReason = d.rolloutStateReason;
    if (rb.rolloutState === 'COMPLETED') Object.assign(next, { status: 'ROLLBACK_SUCCESSFUL', finishedAt: rb.updatedAt });
    else if (rb.rolloutState === 'FAILED') Object.assign(next, { status: 'ROLLBACK_FAILED', statusReason: rb.rolloutStateReason, finishedAt: rb.updatedAt });
    else next.status = 'ROLLBACK_IN_PROGRESS';
  } else if (d) {
    if (d.rolloutState === 'COMPLETED') Object.assign(next, { status: 'SUCCESSFUL', finishedAt: d.updatedAt });
    // FAILED without a rollback: the circuit breaker stopped it (stoppedAt reference).
    else if (d.rolloutState === 'FAILED') Object.assign(next, { status: 'STOPPED', statusReason: d.rolloutStateReason, stoppedAt: d.updatedAt, finishedAt: d.updatedAt });
    else if (d.status === 'PRIMARY' && e.status === 'PENDING') next.status = 'IN_PROGRESS';
  }
  if (next.status !== 'PENDING' && next.startedAt === undefined) next.startedAt = now;
  if (JSON.stringify(next) === JSON.stringify(e)) return e;
  next.updatedAt = now;
  return next;
}

/** The record with every unfinished service deployment brought up to date: what the reconciler calls before writing a record. */
export function followServiceDeployments(record: ServiceRecord, now: number): ServiceRecord {
  const entries = record.serviceDeployments;
  if (!entries?.some((e) => !FINISHED.has(e.status))) return record;
  const next = entries.map((e) => followEntry(e, record, now));
  return next.every((e, i) => e === entries[i]) ? record : { ...record, serviceDeployments: next };
}

/**
 * StopServiceDeployment with stopType ROLLBACK: the deployment gives way to a new PRIMARY
 * deployment of `target` (the revision it replaced), as the circuit breaker's rollback
 * does, whether or not rollback is configured. A deployment already stopping or rolling
 * back goes on (the record is returned as is); a finished one cannot be stopped.
 */
export function requestRollback(record: ServiceRecord, entry: ServiceDeploymentEntry, arn: string, target: ServiceRevisionRecord | undefined, newDeploymentId: string, now: number): ServiceRecord {
  if (ALREADY_STOPPING.has(entry.status)) return record;
  const stopped = record.deployments.find((d) => d.id === entry.deploymentId);
  if (FINISHED.has(entry.status) || stopped?.status !== 'PRIMARY' || record.status !== 'ACTIVE') {
    fail('ConflictException', `The service deployment ${arn} is ${entry.status} and cannot be stopped: only a PENDING or IN_PROGRESS service deployment can be. List the service's deployments with ListServiceDeployments.`);
  }
  if (!target) {
    fail('ConflictException', `The service deployment ${arn} has no previous service revision to roll back to: it is the service's first deployment. Change the service with UpdateService instead.`);
  }
  const rollback: DeploymentRecord = {
    id: newDeploymentId,
    status: 'PRIMARY',
    taskDefinition: target.taskDefinition,
    desiredCount: record.desiredCount,
    failedTasks: 0,
    createdAt: now,
    updatedAt: now,
    ...(target.launchType !== undefined && { launchType: target.launchType }),
    ...(target.capacityProviderStrategy !== undefined && { capacityProviderStrategy: target.capacityProviderStrategy }),
    ...(target.platformVersion !== undefined && { platformVersion: target.platformVersion }),
    ...(target.platformFamily !== undefined && { platformFamily: target.platformFamily }),
    ...(target.networkConfiguration !== undefined && { networkConfiguration: target.networkConfiguration }),
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${newDeploymentId} in progress.`,
    serviceRevisionId: target.id,
    rollbackOf: stopped.id,
  };
  const deployments = record.deployments.map((d): DeploymentRecord => {
    if (d.id === stopped.id) {
      return { ...d, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: `ECS deployment ${d.id} stopped: rolling back to deploymentId ${newDeploymentId}.`, updatedAt: now };
    }
    // As the circuit breaker's rollback does: the revision gone back to is no longer a
    // COMPLETED rollback target, so a failing rollback stalls instead of looping.
    if (d.serviceRevisionId === target.id && d.rolloutState === 'COMPLETED') return { ...d, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${d.id} in progress.`, updatedAt: now };
    return d;
  });
  const entries = (record.serviceDeployments ?? []).map((e): ServiceDeploymentEntry => (e.id !== entry.id ? e : {
    ...e,
    status: 'ROLLBACK_REQUESTED',
    statusReason: statusReasons.stopRequested,
    startedAt: e.startedAt ?? now,
    updatedAt: now,
    rollback: { reason: statusReasons.stopRequested, startedAt: now, serviceRevisionId: target.id },
  }));
  return { ...record, taskDefinition: target.taskDefinition, deployments: [rollback, ...deployments], serviceDeployments: entries, steady: false };
}

/** The ARN of a child of a service (`service-deployment`, `service-revision`), from the service's own ARN. */
function childArn(serviceArn: string, kind: 'service-deployment' | 'service-revision', id: string): string {
  return `${serviceArn.replace(/:service\//, `:${kind}/`)}/${id}`;
}

/**
 * The Service shape's `currentServiceDeployment` (its newest service deployment) and
 * `currentServiceRevisions` (the revisions its deployments run, with their task counts):
 * what a caller of UpdateService follows its deployment by. Absent for a service made before
 * Berth kept service deployments.
 */
export function currentServiceMembers(record: ServiceRecord, counts: ServiceCounts) {
  const current = record.serviceDeployments?.[0];
  if (!current) return {};
  const revisions = [...new Set(record.deployments.filter((d) => d.serviceRevisionId !== undefined && d.status !== 'INACTIVE').map((d) => d.serviceRevisionId as string))];
  return {
    currentServiceDeployment: childArn(record.serviceArn, 'service-deployment', current.id),
    currentServiceRevisions: revisions.map((id) => ({ ...revisionCounts(record, id, counts), arn: childArn(record.serviceArn, 'service-revision', id) })),
  };
}

/** ServiceRevisionSummary: what a revision is asked to run and runs, over the live deployments of it. */
function revisionSummary(scope: Scope, cluster: string, record: ServiceRecord, id: string, counts: ServiceCounts) {
  return { arn: serviceRevisionArn(scope, cluster, record.serviceName, id), ...revisionCounts(record, id, counts) };
}

function revisionCounts(record: ServiceRecord, id: string, counts: ServiceCounts) {
  let requestedTaskCount = 0;
  let runningTaskCount = 0;
  let pendingTaskCount = 0;
  for (const d of record.deployments) {
    if (d.serviceRevisionId !== id) continue;
    const c = counts.byDeployment.get(d.id);
    requestedTaskCount += d.status === 'PRIMARY' ? d.desiredCount : (c ? c.running + c.pending : 0);
    runningTaskCount += c?.running ?? 0;
    pendingTaskCount += c?.pending ?? 0;
  }
  return { requestedTaskCount, runningTaskCount, pendingTaskCount };
}

function breakerStatus(e: ServiceDeploymentEntry): 'TRIGGERED' | 'MONITORING' | 'MONITORING_COMPLETE' | 'DISABLED' {
  if (!e.deploymentConfiguration.deploymentCircuitBreaker.enable) return 'DISABLED';
  if (e.failureCount >= e.threshold && (e.status === 'STOPPED' || e.status.startsWith('ROLLBACK'))) return 'TRIGGERED';
  return FINISHED.has(e.status) ? 'MONITORING_COMPLETE' : 'MONITORING';
}

/** The ServiceDeploymentBrief shape (ListServiceDeployments). */
export function serviceDeploymentBrief(scope: Scope, cluster: string, record: ServiceRecord, e: ServiceDeploymentEntry) {
  return {
    serviceDeploymentArn: serviceDeploymentArn(scope, cluster, record.serviceName, e.id),
    serviceArn: record.serviceArn,
    clusterArn: record.clusterArn,
    ...(e.startedAt !== undefined && { startedAt: e.startedAt }),
    createdAt: e.createdAt,
    ...(e.finishedAt !== undefined && { finishedAt: e.finishedAt }),
    targetServiceRevisionArn: serviceRevisionArn(scope, cluster, record.serviceName, e.targetRevisionId),
    status: e.status,
    ...(e.statusReason !== undefined && { statusReason: e.statusReason }),
  };
}

/** The ServiceDeployment shape (DescribeServiceDeployments); task counts are those of the moment. */
export function serviceDeploymentView(scope: Scope, cluster: string, record: ServiceRecord, e: ServiceDeploymentEntry, counts: ServiceCounts) {
  return {
    serviceDeploymentArn: serviceDeploymentArn(scope, cluster, record.serviceName, e.id),
    serviceArn: record.serviceArn,
    clusterArn: record.clusterArn,
    createdAt: e.createdAt,
    ...(e.startedAt !== undefined && { startedAt: e.startedAt }),
    ...(e.finishedAt !== undefined && { finishedAt: e.finishedAt }),
    ...(e.stoppedAt !== undefined && { stoppedAt: e.stoppedAt }),
    updatedAt: e.updatedAt,
    sourceServiceRevisions: e.sourceRevisionIds.map((id) => revisionSummary(scope, cluster, record, id, counts)),
    targetServiceRevision: revisionSummary(scope, cluster, record, e.targetRevisionId, counts),
    status: e.status,
    ...(e.statusReason !== undefined && { statusReason: e.statusReason }),
    deploymentConfiguration: e.deploymentConfiguration,
    ...(e.rollback && { rollback: { reason: e.rollback.reason, startedAt: e.rollback.startedAt, serviceRevisionArn: serviceRevisionArn(scope, cluster, record.serviceName, e.rollback.serviceRevisionId) } }),
    deploymentCircuitBreaker: { status: breakerStatus(e), failureCount: e.failureCount, threshold: e.threshold },
    // Berth evaluates no CloudWatch alarms.
    alarms: { status: 'DISABLED' as const },
  };
}
