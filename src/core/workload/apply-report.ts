/**
 * An agent's report folded into a task's status: the status-only counterpart of the ECS
 * record's applyReport (src/core/ecs/task-report.ts), for when spec and status are stored
 * apart (the report applier then writes the status alone, so a StopTask writing the spec
 * never conflicts with it). The spec is read, never written: a stop code and reason the
 * control plane already gave are not shadowed by the agent's. Pure.
 */
import { canMove, rank, STATUS_TIMESTAMP, TASK_STATUSES } from '../ecs/task-lifecycle.ts';
import type { TaskSpec } from './spec.ts';
import type { StatusReport } from './report.ts';
import type { ContainerState, TaskStatus } from './status.ts';

/** The status after the report, or undefined when the report changes nothing (statuses only move forward). */
export function applyStatusReport(spec: Pick<TaskSpec, 'stop'>, status: TaskStatus, r: StatusReport, nowSeconds: number): TaskStatus | undefined {
  if (status.lastStatus === 'STOPPED') return undefined;
  const next: TaskStatus = { ...status, containers: status.containers.map((c) => ({ ...c })) };
  let changed = false;
  if (canMove(status.lastStatus, r.status) && r.status !== status.lastStatus) {
    next.lastStatus = r.status;
    // Passing through a status sets its timestamp, but startedAt: a task that never reported RUNNING never started.
    for (let i = rank(status.lastStatus) + 1; i <= rank(r.status); i++) {
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

function containerRank(s: ContainerState): number {
  return s === 'PENDING' ? 0 : s === 'RUNNING' ? 1 : 2;
}
