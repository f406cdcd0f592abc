/**
 * One probe's verdict as the kubelet keeps it: results counted in a row against the
 * success and failure thresholds, so one odd result changes nothing. Pure.
 *
 *   startup    unknown until it passes (then it is done, never run again) or fails its
 *              threshold (the container is killed); liveness and readiness wait for it
 *   liveness   success until it fails its threshold (the container is killed)
 *   readiness  failure (not ready) until it passes its threshold; it only sets `ready`
 */
import type { ProbeSpec } from '../../core/workload/spec.ts';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export type ProbeResult = 'unknown' | 'success' | 'failure';

export interface ProbeState {
  readonly result: ProbeResult;
  /** Results in a row of the same kind. */
  readonly successes: number;
  readonly failures: number;
}

/** What a probe says before it has run (the kubelet's initial values). */
export function initialProbeState(kind: ProbeKind): ProbeState {
  return { result: kind === 'liveness' ? 'success' : kind === 'readiness' ? 'failure' : 'unknown', successes: 0, failures: 0 };
}

/** The state after one probe; a result changes only when its threshold of results in a row is met. */
export function afterProbe(state: ProbeState, passed: boolean, spec: Pick<ProbeSpec, 'successThreshold' | 'failureThreshold'>): ProbeState {
  if (passed) {
    const successes = state.successes + 1;
    return { result: successes >= spec.successThreshold ? 'success' : state.result, successes, failures: 0 };
  }
  const failures = state.failures + 1;
  return { result: failures >= spec.failureThreshold ? 'failure' : state.result, successes: 0, failures };
}

/**
 * When a probe runs first (epoch ms): its initial delay after the container started, as
 * the kubelet counts it from the start (a startup probe's time included), never before `now`.
 */
export function firstProbeAt(containerStartedAt: number, spec: Pick<ProbeSpec, 'initialDelaySeconds'>, now: number): number {
  return Math.max(now, containerStartedAt + spec.initialDelaySeconds * 1000);
}

/** What the container is, from its probes' states: started (the startup probe passed, or it has none) and ready. */
export function containerVerdict(states: Partial<Record<ProbeKind, ProbeState>>, has: Partial<Record<ProbeKind, unknown>>): { started: boolean; ready: boolean } {
  const started = !has.startup || states.startup?.result === 'success';
  // Without a readiness probe a started container is ready (the kubelet's rule).
  const ready = started && (!has.readiness || states.readiness?.result === 'success');
  return { started, ready };
}

/** The probe that, having failed, gets the container killed: startup or liveness (readiness never kills). */
export function killsOnFailure(kind: ProbeKind): boolean {
  return kind !== 'readiness';
}
