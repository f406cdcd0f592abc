/**
 * Checking and normalizing a TaskNetworkRequest: defaults filled, ports parsed, one
 * canonical form whose JSON is the request's fingerprint.
 */
import { guardCgroup } from './host-guard.ts';
import type { Isolation, NetworkMode, Protocol, TaskNetworkRequest } from './types.ts';

/** Task ids become namespace file names; ECS ids are 32 hex digits, ARNs are not accepted. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MODES: readonly NetworkMode[] = ['bridge', 'host', 'awsvpc', 'none'];

export class NetworkRequestError extends Error {
  override name = 'NetworkRequestError';
}

export interface WantedPort {
  readonly containerName: string;
  readonly protocol: Protocol;
  readonly containerPort: number;
  /** Undefined: pick a dynamic host port (bridge mode). */
  readonly hostPort: number | undefined;
}

export interface NormalizedRequest {
  readonly taskId: string;
  readonly mode: NetworkMode;
  readonly isolation: Isolation;
  readonly containers: readonly string[];
  readonly ports: readonly WantedPort[];
  /** Host mode: the task's cgroup relative to the cgroup2 root (`berth/<task>`). */
  readonly cgroup?: string;
}

export function normalizeRequest(r: TaskNetworkRequest): NormalizedRequest {
  if (!TASK_ID.test(r.taskId)) throw new NetworkRequestError(`task id '${r.taskId}' must be 1-64 letters, digits, '_', '.', '-' (pass the id, not the ARN)`);
  const mode = r.mode ?? 'bridge';
  if (!MODES.includes(mode)) throw new NetworkRequestError(`network mode '${String(mode)}' is not one of ${MODES.join(', ')}`);
  const isolation = r.isolation ?? 'task';
  if (isolation === 'container' && (mode === 'awsvpc' || mode === 'host')) {
    throw new NetworkRequestError(`isolation 'container' applies to bridge and none tasks; in ${mode} mode all containers share one network namespace`);
  }
  if (r.containers.length === 0) throw new NetworkRequestError(`task ${r.taskId} has no containers`);
  const names = r.containers.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new NetworkRequestError(`task ${r.taskId} names a container twice`);
  const ports: WantedPort[] = [];
  for (const c of r.containers) {
    if (mode === 'none' && c.portMappings?.length) throw new NetworkRequestError(`container '${c.name}': a task in none mode cannot have port mappings`);
    for (const p of c.portMappings ?? []) {
      if (p.containerPortRange !== undefined) throw new NetworkRequestError(`container '${c.name}': containerPortRange is not supported yet; list the ports one by one`);
      const protocol = (p.protocol ?? 'tcp').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp') throw new NetworkRequestError(`container '${c.name}': protocol '${p.protocol}' must be tcp or udp`);
      const containerPort = checkPort(p.containerPort, c.name, 'containerPort');
      const given = p.hostPort === undefined || p.hostPort === 0 ? undefined : checkPort(p.hostPort, c.name, 'hostPort');
      const hostPort = mode === 'bridge' ? given : containerPort;
      if (mode !== 'bridge' && given !== undefined && given !== containerPort) {
        throw new NetworkRequestError(`container '${c.name}': in ${mode} mode hostPort must equal containerPort (${given} ≠ ${containerPort})`);
      }
      ports.push({ containerName: c.name, protocol, containerPort, hostPort });
    }
  }
  const seen = new Set<string>();
  for (const p of ports) {
    if (p.hostPort === undefined) continue;
    const key = `${p.protocol}/${p.hostPort}`;
    if (seen.has(key)) throw new NetworkRequestError(`task ${r.taskId} maps host port ${key} twice`);
    seen.add(key);
  }
  if (mode !== 'host') return { taskId: r.taskId, mode, isolation, containers: names, ports };
  // Fail closed: a host-mode task without a cgroup to tell its sockets by would reach
  // every loopback listener of the host, Berth's own API included.
  if (r.cgroup === undefined) throw new NetworkRequestError(`task ${r.taskId}: host mode needs the task's cgroup (the loopback guard tells its sockets by it)`);
  const cgroup = guardCgroup(r.cgroup);
  if (cgroup instanceof Error) throw new NetworkRequestError(`task ${r.taskId}: ${cgroup.message}`);
  return { taskId: r.taskId, mode, isolation, containers: names, ports, cgroup };
}

export function fingerprint(n: NormalizedRequest): string {
  // The cgroup only when there is one: records saved before it existed keep their fingerprint.
  return JSON.stringify([n.mode, n.isolation, n.containers, n.ports.map((p) => [p.containerName, p.protocol, p.containerPort, p.hostPort ?? 0]), ...(n.cgroup !== undefined ? [n.cgroup] : [])]);
}

function checkPort(v: number | undefined, container: string, field: string): number {
  if (v === undefined || !Number.isInteger(v) || v < 1 || v > 65535) {
    throw new NetworkRequestError(`container '${container}': ${field} ${String(v)} must be an integer from 1 to 65535`);
  }
  return v;
}
