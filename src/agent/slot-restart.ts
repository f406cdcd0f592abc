/**
 * A container's restart as its runner carries it out (task-runner.ts), in two steps around
 * the wait: `planRestart` when it exits (whether, and how long to wait; its last
 * termination and waiting reason noted) and `beginRestart` as the wait ends (the count
 * raised, the old run's facts cleared). The decision itself is restart-policy.ts's.
 */
import type { TaskStatus } from '../core/ecs/task-lifecycle.ts';
import { CRASH_LOOP_BACK_OFF, decideRestart, terminationReason } from './restart-policy.ts';
import type { ContainerRestarts } from './restart-history.ts';
import type { Slot } from './task-slot.ts';

/**
 * The wait (ms) before `slot`, which has just exited, is started again; undefined when it
 * is not (no policy, the policy says no, the task is stopping). Notes its last termination,
 * and its back-off's waiting reason under Kubernetes rules.
 */
export function planRestart(slot: Slot, taskStopping: boolean, nowMs: number): number | undefined {
  if (taskStopping || !slot.exit || !slot.spec.restart) return undefined;
  const exitedAt = (slot.finishedAt ?? nowMs) / 1000;
  // An adopted container's start is not known: it ran at least since its adoption (or, if it
  // exited while no agent watched, as far as anyone can tell, not at all).
  const startedAt = (slot.startedAt ?? slot.watchedSince ?? exitedAt * 1000) / 1000;
  const d = decideRestart(slot.spec.restart, { exitCode: slot.exit.exitCode, startedAt, exitedAt }, slot.restarts);
  if (!d.restart) return undefined;
  slot.lastTermination = { exitCode: slot.exit.exitCode, reason: terminationReason(slot.exit.exitCode, slot.exit.oomKilled), startedAt, finishedAt: exitedAt, ...(slot.container && { runtimeId: slot.container.id }) };
  if (d.backoffSeconds !== undefined) {
    slot.restarts = { ...slot.restarts, backoffSeconds: d.backoffSeconds };
    slot.waitingReason = CRASH_LOOP_BACK_OFF;
  }
  return d.delaySeconds * 1000;
}

/** The slot as it is started again: one more restart; the last run's exit, reason and times gone. */
export function beginRestart(slot: Slot, nowMs: number): void {
  slot.restarts = { ...slot.restarts, count: slot.restarts.count + 1, lastRestartAt: nowMs / 1000 };
  slot.restartTimer = undefined;
  delete slot.waitingReason;
  delete slot.exit;
  delete slot.reason;
  delete slot.finishedAt;
  delete slot.container;
  slot.started = false;
  slot.ready = false;
}

/** What is kept of every slot's restarts (restart-history.ts). */
export function restartsOf(slots: Iterable<Slot>): Record<string, ContainerRestarts> {
  const out: Record<string, ContainerRestarts> = {};
  for (const s of slots) if (s.restarts.count > 0 || s.lastTermination) out[s.spec.name] = { restarts: s.restarts, ...(s.lastTermination && { lastTermination: s.lastTermination }) };
  return out;
}

/**
 * A task of non-essential containers only (a pod's) is over once every container has exited
 * and none waits to be started again. A task with an essential container ends by it instead.
 */
export function allExited(slots: readonly Slot[], status: TaskStatus): boolean {
  if (status === 'STOPPED' || slots.length === 0 || slots.some((s) => s.essential)) return false;
  return slots.every((s) => s.state === 'exited' && s.restartTimer === undefined);
}

/** The stop reason of a task whose containers have all exited, none to be restarted. */
export const ALL_EXITED_REASON = 'Every container in the task exited and none will be restarted';
