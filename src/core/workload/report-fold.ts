/**
 * The two steps every report applier takes, on whichever record holds a task's status (the
 * ECS task record today, the status of the workload model once they are stored apart). Pure.
 */
import { rank, STATUS_TIMESTAMP, TASK_STATUSES, type TaskStatus } from '../ecs/task-lifecycle.ts';
import type { ContainerReport } from './report.ts';
import type { ContainerState, ContainerStatus } from './status.ts';

type Lifecycle = { lastStatus: TaskStatus; startedAt?: number; stoppingAt?: number; stoppedAt?: number };

/**
 * Moves `next.lastStatus` forward to `to` (the caller checked it may move), setting the
 * timestamp of each status it passes, once — but startedAt, which only a task reported
 * RUNNING gets (PENDING → STOPPED sets stoppingAt and stoppedAt, never startedAt).
 */
export function advanceLifecycle(next: Lifecycle, to: TaskStatus, nowSeconds: number): void {
  const from = next.lastStatus;
  next.lastStatus = to;
  for (let i = rank(from) + 1; i <= rank(to); i++) {
    const field = STATUS_TIMESTAMP[TASK_STATUSES[i]!];
    if (field && next[field] === undefined && (field !== 'startedAt' || to === 'RUNNING')) next[field] = nowSeconds;
  }
}

/** The container fields a report may set, on either record's containers. */
export type ReportedContainer = Pick<ContainerReport, 'name' | 'runtimeId' | 'imageDigest' | 'exitCode' | 'reason' | 'networkBindings' | 'networkInterfaces' | 'healthStatus'> & { lastStatus: ContainerState };

/** The fields only the workload status keeps (restarts, probes): what a Pod view shows and the ECS record has no place for. */
export type PodFacts = Pick<ContainerStatus, 'restartCount' | 'ready' | 'started' | 'lastTermination' | 'waiting' | 'startedAt' | 'finishedAt'>;

/**
 * Folds the report's containers into `containers` (statuses only forward; other facts as
 * given); true when any changed. With `podFacts` (the workload status's containers) the
 * restart and probe facts are folded too; the ECS record leaves them out, so its views and
 * its version stay as they were.
 */
export function foldContainerReports(containers: (ReportedContainer & PodFacts)[], reports: readonly ContainerReport[], podFacts = false): boolean {
  let changed = false;
  for (const c of reports) {
    const mine = containers.find((x) => x.name === c.name);
    if (!mine) continue;
    const before = JSON.stringify(mine);
    if (containerRank(c.status) >= containerRank(mine.lastStatus)) mine.lastStatus = c.status;
    if (c.runtimeId !== undefined) mine.runtimeId = c.runtimeId;
    if (c.imageDigest !== undefined) mine.imageDigest = c.imageDigest;
    if (c.exitCode !== undefined) mine.exitCode = c.exitCode;
    if (c.reason !== undefined) mine.reason = c.reason;
    if (c.networkBindings !== undefined) mine.networkBindings = c.networkBindings;
    if (c.networkInterfaces !== undefined) mine.networkInterfaces = c.networkInterfaces;
    if (c.healthStatus !== undefined) mine.healthStatus = c.healthStatus;
    if (podFacts) foldPodFacts(mine, c);
    if (JSON.stringify(mine) !== before) changed = true;
  }
  return changed;
}

function foldPodFacts(mine: PodFacts, c: ContainerReport): void {
  // A count only grows: a report resent after a reconnect carries an older one.
  if (c.restartCount !== undefined && c.restartCount >= (mine.restartCount ?? 0)) {
    mine.restartCount = c.restartCount;
    if (c.lastTermination !== undefined) mine.lastTermination = { ...c.lastTermination };
  }
  if (c.ready !== undefined) mine.ready = c.ready;
  if (c.started !== undefined) mine.started = c.started;
  if (c.startedAt !== undefined) mine.startedAt = c.startedAt;
  if (c.finishedAt !== undefined) mine.finishedAt = c.finishedAt;
  if (c.waiting === null) delete mine.waiting;
  else if (c.waiting !== undefined) mine.waiting = { ...c.waiting };
}

function containerRank(s: ContainerState): number {
  return s === 'PENDING' ? 0 : s === 'RUNNING' ? 1 : 2;
}
