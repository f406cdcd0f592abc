/**
 * When each container of a task may start, from its `dependsOn` (ECS "Container
 * dependency"): a pure function of the containers' states, so the agent asks it again
 * after every state change and the rules are tested without containers.
 *
 *   START    the dependency has started
 *   COMPLETE the dependency has exited (any exit code)
 *   SUCCESS  the dependency has exited with code 0
 *   HEALTHY  the dependency's health check passes
 */
export interface OrderedContainer {
  name: string;
  dependsOn?: readonly { containerName: string; condition: string }[];
}

export type RunState = 'waiting' | 'starting' | 'running' | 'exited';

export interface ContainerFacts {
  state: RunState;
  exitCode?: number;
  healthy?: boolean;
  /** True once the health check has failed its retries. */
  unhealthy?: boolean;
}

export interface Decision {
  /** Containers whose dependencies are all met: start them now. */
  start: string[];
  /** Containers that can never start, with the reason (the task fails to start). */
  blocked: { name: string; reason: string }[];
}

export function decideStarts(containers: readonly OrderedContainer[], facts: ReadonlyMap<string, ContainerFacts>): Decision {
  const start: string[] = [];
  const blocked: { name: string; reason: string }[] = [];
  for (const c of containers) {
    if (facts.get(c.name)?.state !== 'waiting') continue;
    let ready = true;
    for (const d of c.dependsOn ?? []) {
      const f = facts.get(d.containerName);
      const verdict = condition(d.condition, f);
      if (verdict === 'never') {
        blocked.push({ name: c.name, reason: `dependency ${d.containerName} will never reach ${d.condition}${f?.exitCode !== undefined ? ` (it exited with ${f.exitCode})` : ''}` });
        ready = false;
        break;
      }
      if (verdict === 'not yet') ready = false;
    }
    if (ready) start.push(c.name);
  }
  return { start, blocked };
}

function condition(cond: string, f: ContainerFacts | undefined): 'met' | 'not yet' | 'never' {
  if (!f) return 'never';
  switch (cond) {
    case 'START':
      return f.state === 'running' || f.state === 'exited' ? 'met' : 'not yet';
    case 'COMPLETE':
      return f.state === 'exited' ? 'met' : 'not yet';
    case 'SUCCESS':
      return f.state !== 'exited' ? 'not yet' : f.exitCode === 0 ? 'met' : 'never';
    case 'HEALTHY':
      if (f.healthy) return 'met';
      return f.state === 'exited' || f.unhealthy ? 'never' : 'not yet';
    default:
      return 'never';
  }
}

/**
 * The order to stop containers in: dependents before what they depend on, so a
 * container outlives everything that needs it (ECS stops in reverse dependency order).
 * Returns groups; containers in one group stop together.
 */
export function stopOrder(containers: readonly OrderedContainer[]): string[][] {
  const remaining = new Set(containers.map((c) => c.name));
  const groups: string[][] = [];
  while (remaining.size > 0) {
    // Stop now whatever no remaining container depends on.
    const neededBy = new Set<string>();
    for (const c of containers) {
      if (!remaining.has(c.name)) continue;
      for (const d of c.dependsOn ?? []) neededBy.add(d.containerName);
    }
    const group = [...remaining].filter((n) => !neededBy.has(n));
    // A cycle cannot be registered, but never loop forever on one.
    const next = group.length > 0 ? group : [...remaining];
    for (const n of next) remaining.delete(n);
    groups.push(next);
  }
  return groups;
}
