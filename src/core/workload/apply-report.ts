/**
 * An agent's report folded into a task's status: the status-only counterpart of the ECS
 * record's applyReport (src/core/ecs/task-report.ts), for when spec and status are stored
 * apart (the report applier then writes the status alone, so a StopTask writing the spec
 * never conflicts with it). The spec is read, never written: a stop code and reason the
 * control plane already gave are not shadowed by the agent's. Pure.
 */
import { canMove } from '../ecs/task-lifecycle.ts';
import { advanceLifecycle, foldContainerReports } from './report-fold.ts';
import type { TaskSpec } from './spec.ts';
import type { StatusReport } from './report.ts';
import type { TaskStatus } from './status.ts';

/** The status after the report, or undefined when the report changes nothing (statuses only move forward). */
export function applyStatusReport(spec: Pick<TaskSpec, 'stop'>, status: TaskStatus, r: StatusReport, nowSeconds: number): TaskStatus | undefined {
  if (status.lastStatus === 'STOPPED') return undefined;
  const next: TaskStatus = { ...status, containers: status.containers.map((c) => ({ ...c })) };
  let changed = false;
  if (canMove(status.lastStatus, r.status) && r.status !== status.lastStatus) {
    advanceLifecycle(next, r.status, nowSeconds);
    changed = true;
  }
  if (foldContainerReports(next.containers, r.containers, true)) changed = true;
  const setOnce = <K extends 'pullStartedAt' | 'pullStoppedAt' | 'executionStoppedAt' | 'stopCode' | 'stoppedReason' | 'isolation'>(k: K, v: TaskStatus[K] | undefined, given?: unknown) => {
    if (v === undefined || next[k] !== undefined || given !== undefined) return;
    next[k] = v;
    changed = true;
  };
  setOnce('pullStartedAt', r.pullStartedAt);
  setOnce('pullStoppedAt', r.pullStoppedAt);
  setOnce('executionStoppedAt', r.executionStoppedAt);
  setOnce('stopCode', r.stopCode, spec.stop?.code);
  setOnce('stoppedReason', r.stoppedReason, spec.stop?.reason);
  // The boundary is chosen once, when the task's first container is created.
  setOnce('isolation', r.isolation);
  if (r.healthStatus !== undefined && r.healthStatus !== next.healthStatus) {
    next.healthStatus = r.healthStatus;
    changed = true;
  }
  if (r.attachments && JSON.stringify(r.attachments) !== JSON.stringify(status.attachments)) {
    next.attachments = r.attachments;
    changed = true;
  }
  if (!changed) return undefined;
  next.changes = status.changes + 1;
  return next;
}

