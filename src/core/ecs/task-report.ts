import { canMove, rank, stoppedStopCode } from './task-lifecycle.ts';
import { advanceLifecycle, foldContainerReports } from '../workload/report-fold.ts';
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
    advanceLifecycle(next, r.status, nowSeconds);
    changed = true;
  }
  if (foldContainerReports(next.containers, r.containers)) changed = true;
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

