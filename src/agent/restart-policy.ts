/**
 * Whether, and when, a container that exited is started again in place (same task, same
 * network namespace, same volumes). Pure: times are inputs, in epoch seconds.
 *
 * Two rule sets share the machinery, told apart by the spec (src/core/workload/spec.ts
 * RestartSpec):
 *
 *   Kubernetes (no attempt period)  Never / OnFailure (exit ≠ 0) / Always, each start after
 *                                   an exponential back-off, as the kubelet counts it
 *   ECS (attemptPeriodSeconds set)  any exit not in ignoredExitCodes, at once, but only when
 *                                   the container ran attemptPeriodSeconds since it started
 *                                   (its first run) or since its last restart
 */
import type { RestartSpec } from '../core/workload/spec.ts';

/** The kubelet's first back-off before a crashed container is started again. */
export const RESTART_BACKOFF_INITIAL_SECONDS = 10;
/** The kubelet's back-off doubles up to this (five minutes). */
export const RESTART_BACKOFF_MAX_SECONDS = 300;
/** A run at least this long (ten minutes) starts the back-off afresh, as the kubelet resets it. */
export const RESTART_BACKOFF_RESET_SECONDS = 600;
/** The waiting reason a container shows while it backs off (Kubernetes `CrashLoopBackOff`). */
export const CRASH_LOOP_BACK_OFF = 'CrashLoopBackOff';

/** What the runner remembers of a container's restarts (kept in the task's directory across agent restarts). */
export interface RestartHistory {
  /** Times it was started again. */
  count: number;
  /** When it was last started again. */
  lastRestartAt?: number;
  /** The back-off the last restart waited (Kubernetes rules). */
  backoffSeconds?: number;
}

/** One run of a container that has ended. */
export interface EndedRun {
  exitCode: number;
  startedAt: number;
  exitedAt: number;
}

export type RestartDecision =
  | { restart: false; why: string }
  /** Start it again `delaySeconds` after its exit; `backoffSeconds` is the history's next. */
  | { restart: true; delaySeconds: number; backoffSeconds?: number };

/** Whether the container restarts under `policy` after `run`, given what it did before. */
export function decideRestart(policy: RestartSpec | undefined, run: EndedRun, history: RestartHistory): RestartDecision {
  if (!policy || policy.policy === 'Never') return { restart: false, why: 'no restart policy' };
  if (policy.ignoredExitCodes?.includes(run.exitCode)) return { restart: false, why: `exit code ${run.exitCode} is ignored` };
  if (policy.attemptPeriodSeconds !== undefined) return ecsRestart(policy.attemptPeriodSeconds, run, history);
  if (policy.policy === 'OnFailure' && run.exitCode === 0) return { restart: false, why: 'it succeeded (OnFailure)' };
  const backoffSeconds = nextBackoff(history.backoffSeconds, run.exitedAt - run.startedAt);
  return { restart: true, delaySeconds: backoffSeconds, backoffSeconds };
}

/**
 * ECS: a container may be restarted only once every attempt period; one that exits before
 * it has run that long (since its start, or its last restart) is not restarted.
 */
function ecsRestart(periodSeconds: number, run: EndedRun, history: RestartHistory): RestartDecision {
  const since = history.count === 0 || history.lastRestartAt === undefined ? run.startedAt : history.lastRestartAt;
  const ran = run.exitedAt - since;
  if (ran < periodSeconds) return { restart: false, why: `it ran ${Math.floor(ran)} s, less than its restartAttemptPeriod of ${periodSeconds} s` };
  return { restart: true, delaySeconds: 0 };
}

/**
 * The kubelet's back-off: 10 s, doubled with each crash up to 5 min; a run of ten minutes or
 * more starts again from 10 s.
 */
export function nextBackoff(previousSeconds: number | undefined, ranSeconds: number): number {
  if (previousSeconds === undefined || ranSeconds >= RESTART_BACKOFF_RESET_SECONDS) return RESTART_BACKOFF_INITIAL_SECONDS;
  return Math.min(previousSeconds * 2, RESTART_BACKOFF_MAX_SECONDS);
}

/** The reason Kubernetes gives a terminated container: OOMKilled, Completed (exit 0) or Error. */
export function terminationReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}
