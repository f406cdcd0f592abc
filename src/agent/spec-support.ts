/**
 * What of a task's spec this agent cannot carry out yet. The spec is made for Kubernetes
 * pods too (src/core/workload/README.md); a container asking for what the agent would
 * otherwise silently skip fails the task's start with the reason, rather than running
 * without it. (An ECS container restart policy was never honoured and still is not: it is
 * accepted as before.) Pure.
 */
import type { ContainerSpec } from '../core/workload/spec.ts';

/** The first thing `c` asks for that this agent does not do, as a sentence; undefined when it can run it. */
export function unsupported(c: ContainerSpec): string | undefined {
  if (c.probes?.liveness || c.probes?.readiness || c.probes?.startup) return `container ${c.name} has probes, which this agent does not run yet`;
  return undefined;
}
