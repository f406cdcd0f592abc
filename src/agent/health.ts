import type { HealthStatus } from '../core/ecs/task.ts';
import { HEALTH_CHECK } from '../core/ecs/task-definition.ts';

/** An ECS container health check, with the defaults ECS fills in. Seconds. */
export interface HealthSpec {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

export interface HealthState {
  status: HealthStatus;
  failures: number;
}

export function healthSpec(h: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number }): HealthSpec {
  return {
    command: h.command,
    interval: h.interval ?? HEALTH_CHECK.interval.dflt,
    timeout: h.timeout ?? HEALTH_CHECK.timeout.dflt,
    retries: h.retries ?? HEALTH_CHECK.retries.dflt,
    startPeriod: h.startPeriod ?? HEALTH_CHECK.startPeriod.dflt,
  };
}

/** The argv a health check runs: CMD runs its arguments, CMD-SHELL runs one string with /bin/sh -c. */
export function healthArgv(command: readonly string[]): string[] | undefined {
  const [kind, ...rest] = command;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

/**
 * The health after one check (ECS/Docker semantics): a pass makes the container
 * HEALTHY and clears the failure count; a failure counts only once the start period is
 * over, and `retries` failures in a row make it UNHEALTHY.
 */
export function afterCheck(state: HealthState, passed: boolean, secondsSinceStart: number, spec: HealthSpec): HealthState {
  if (passed) return { status: 'HEALTHY', failures: 0 };
  if (secondsSinceStart < spec.startPeriod) return state;
  const failures = state.failures + 1;
  return { status: failures >= spec.retries ? 'UNHEALTHY' : state.status, failures };
}

/**
 * A task's health from its containers' (ECS): UNHEALTHY if any essential container with
 * a check is; HEALTHY when every essential container with a check is; else UNKNOWN.
 */
export function taskHealth(containers: readonly { essential: boolean; checked: boolean; status: HealthStatus }[]): HealthStatus {
  const judged = containers.filter((c) => c.essential && c.checked);
  if (judged.length === 0) return 'UNKNOWN';
  if (judged.some((c) => c.status === 'UNHEALTHY')) return 'UNHEALTHY';
  return judged.every((c) => c.status === 'HEALTHY') ? 'HEALTHY' : 'UNKNOWN';
}

/**
 * Runs checks every `interval` until stopped, calling `onChange` when the status moves.
 * `check` runs the command in the container and says whether it exited 0 in time.
 */
export function startHealthChecks(spec: HealthSpec, check: (argv: string[], timeoutMs: number) => Promise<boolean>, onChange: (s: HealthStatus) => void, now = Date.now): { stop(): void } {
  const argv = healthArgv(spec.command);
  let state: HealthState = { status: 'UNKNOWN', failures: 0 };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const started = now();
  const tick = async () => {
    if (stopped || !argv) return;
    const passed = await check(argv, spec.timeout * 1000).catch(() => false);
    if (stopped) return;
    const next = afterCheck(state, passed, (now() - started) / 1000, spec);
    if (next.status !== state.status) onChange(next.status);
    state = next;
    timer = setTimeout(tick, spec.interval * 1000);
  };
  timer = setTimeout(tick, spec.interval * 1000);
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}
