/**
 * A container's probes while it runs: one timer per probe, each run after its initial delay
 * and then every period, its result counted by probe-state.ts. Liveness and readiness wait
 * for a startup probe to pass; a startup or liveness probe that fails its threshold stops
 * every probe of the run and asks for the kill (the restart policy then decides); readiness
 * only moves `ready`. A restarted container gets new probes, as the kubelet's do.
 */
import type { ContainerSpec, ProbeSpec } from '../../core/workload/spec.ts';
import { runProbe, type ProbeTarget } from './handlers.ts';
import { afterProbe, containerVerdict, firstProbeAt, initialProbeState, killsOnFailure, type ProbeKind, type ProbeState } from './probe-state.ts';

export type Probes = NonNullable<ContainerSpec['probes']>;
export interface Verdict { started: boolean; ready: boolean }

export interface ProbeEvents {
  /** `started` or `ready` changed. */
  onVerdict(v: Verdict): void;
  /** A startup or liveness probe failed its threshold: kill the container, after `graceSeconds` when the probe sets its own. */
  onFailed(kind: ProbeKind, graceSeconds: number | undefined): void;
}

/** The clock the probes run on (a test's own, or the host's). */
export interface ProbeClock {
  now(): number;
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
}

const HOST_CLOCK: ProbeClock = { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) };
const KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

export interface RunningProbes {
  verdict(): Verdict;
  stop(): void;
}

/** Runs `probes` against a container that started at `startedAt` (epoch ms) until stopped or killed. */
export function startProbes(probes: Probes, target: ProbeTarget, startedAt: number, events: ProbeEvents, clock: ProbeClock = HOST_CLOCK, run = runProbe): RunningProbes {
  const states: Partial<Record<ProbeKind, ProbeState>> = {};
  const timers = new Map<ProbeKind, unknown>();
  let stopped = false;
  let verdict = containerVerdict(states, probes);
  const stop = () => {
    stopped = true;
    for (const t of timers.values()) clock.clearTimeout(t);
    timers.clear();
  };
  const schedule = (kind: ProbeKind, spec: ProbeSpec, at: number) => {
    timers.set(kind, clock.setTimeout(() => void tick(kind, spec), Math.max(0, at - clock.now())));
  };
  const tick = async (kind: ProbeKind, spec: ProbeSpec) => {
    if (stopped) return;
    const period = spec.periodSeconds * 1000;
    // Liveness and readiness wait for the startup probe, checking again each period.
    if (kind !== 'startup' && probes.startup && states.startup?.result !== 'success') return schedule(kind, spec, clock.now() + period);
    const passed = await run(spec.handler, target, spec.timeoutSeconds * 1000);
    if (stopped) return;
    const state = afterProbe(states[kind]!, passed, spec);
    states[kind] = state;
    const next = containerVerdict(states, probes);
    if (next.started !== verdict.started || next.ready !== verdict.ready) {
      verdict = next;
      events.onVerdict(next);
    }
    if (state.result === 'failure' && killsOnFailure(kind)) {
      stop();
      events.onFailed(kind, spec.terminationGracePeriodSeconds);
      return;
    }
    // A startup probe that passed is done for this run.
    if (kind === 'startup' && state.result === 'success') return void timers.delete(kind);
    schedule(kind, spec, clock.now() + period);
  };
  for (const kind of KINDS) {
    const spec = probes[kind];
    if (!spec) continue;
    states[kind] = initialProbeState(kind);
    schedule(kind, spec, firstProbeAt(startedAt, spec, clock.now()));
  }
  return { verdict: () => verdict, stop };
}
