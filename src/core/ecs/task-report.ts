import { canMove, rank, STATUS_TIMESTAMP, stoppedStopCode, TASK_STATUSES, type ContainerStatus } from './task-lifecycle.ts';
import type { TaskRecord } from './task.ts';

/** An agent's report is a status report of the workload model (src/core/workload/report.ts). */
export type { ContainerReport, StatusReport as TaskReport } from '../workload/report.ts';
import type { StatusReport as TaskReport } from '../workload/report.ts';

/**
 * The task after an agent's report, or undefined when the report changes nothing.
 * Statuses only move forward (a late or repeated report is ignored for status, so
 * reports are safe to resend after a reconnect); each lifecycle timestamp is set when
 * the task first reaches its status; a stopCode or stoppedReason already set (say by
 * StopTask) is kept, but for a Spot interruption's `TerminationNotice`, which becomes
 * `SpotInterruption` when the task reaches STOPPED (stoppedStopCode).
 */
export function applyReport(task: TaskRecord, r: TaskReport, nowSeconds: number): TaskRecord | undefined {
  if (task.lastStatus === 'STOPPED') return undefined;
  const next: TaskRecord = { ...task, containers: task.containers.map((c) => ({ ...c })) };
  let changed = false;
  if (canMove(task.lastStatus, r.status) && r.status !== task.lastStatus) {
    next.lastStatus = r.status;
    // Passing through a status sets its timestamp (PENDING → STOPPED sets stoppingAt and
    // stoppedAt), except startedAt: a task that never reported RUNNING never started.
    for (let i = rank(task.lastStatus) + 1; i <= rank(r.status); i++) {
      const field = STATUS_TIMESTAMP[TASK_STATUSES[i]!];
      if (field && next[field] === undefined && (field !== 'startedAt' || r.status === 'RUNNING')) next[field] = nowSeconds;
    }
    changed = true;
  }
  for (const c of r.containers) {
    const mine = next.containers.find((x) => x.name === c.name);
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
    if (JSON.stringify(mine) !== before) changed = true;
  }
  const set = <K extends keyof TaskRecord>(k: K, v: TaskRecord[K] | undefined, onlyIfUnset = true) => {
    if (v === undefined || (onlyIfUnset && next[k] !== undefined) || next[k] === v) return;
    next[k] = v;
    changed = true;
  };
  set('pullStartedAt', r.pullStartedAt);
  set('pullStoppedAt', r.pullStoppedAt);
  set('executionStoppedAt', r.executionStoppedAt);
  set('stopCode', r.stopCode);
  set('stoppedReason', r.stoppedReason);
  set('healthStatus', r.healthStatus, false);
  // The boundary is chosen once, when the task's first container is created; it never changes.
  set('isolation', r.isolation);
  if (r.attachments && JSON.stringify(r.attachments) !== JSON.stringify(task.attachments)) {
    next.attachments = r.attachments;
    changed = true;
  }
  if (next.lastStatus === 'STOPPED' || rank(next.lastStatus) >= rank('DEACTIVATING')) set('desiredStatus', 'STOPPED', false);
  // A Spot task's TerminationNotice becomes SpotInterruption once it has stopped.
  if (next.lastStatus === 'STOPPED') set('stopCode', stoppedStopCode(next.stopCode), false);
  if (!changed) return undefined;
  next.version = task.version + 1;
  return next;
}

function containerRank(s: ContainerStatus): number {
  return s === 'PENDING' ? 0 : s === 'RUNNING' ? 1 : 2;
}
