/**
 * Address and host-port management: a pure function from (state, request) to a new state
 * holding the task's record. Idempotent per task id: a task that already has a record gets
 * it back unchanged.
 */
import type { NetworkConfig, NetworkDef } from './config.ts';
import { TASK_MAC_TAG } from './config.ts';
import { addressAt, macForIp, offsetOf, taskOffsetRange } from './ipv4.ts';
import { fingerprint, type NormalizedRequest, type WantedPort } from './request.ts';
import { withTask, type EndpointRecord, type NetworkState, type PortRecord, type TaskRecord } from './state.ts';
import { freeGuardMark, MAX_HOST_GUARDED_TASKS } from './host-guard.ts';
import type { Protocol } from './types.ts';

export interface AllocationInputs {
  /** Host ports with a listener right now, as `tcp/8080`: never handed out dynamically. */
  readonly busyPorts: ReadonlySet<string>;
  /** n random hex digits (ENI ids). */
  readonly randomHex: (n: number) => string;
  readonly randomUuid: () => string;
}

/** No address or dynamic port left. */
export class ExhaustedError extends Error {
  override name = 'ExhaustedError';
}

/** A static host port another task holds. */
export class HostPortConflictError extends Error {
  override name = 'HostPortConflictError';
}

/** The same task id asked for again with different settings. */
export class TaskConflictError extends Error {
  override name = 'TaskConflictError';
}

/** Length of the hex part of an ENI id: `eni-` + 17 hex digits, as AWS prints them. */
const ENI_HEX_DIGITS = 17;

export function allocateTask(state: NetworkState, config: NetworkConfig, req: NormalizedRequest, inputs: AllocationInputs): { state: NetworkState; record: TaskRecord } {
  const print = fingerprint(req);
  const existing = state.tasks[req.taskId];
  if (existing) {
    if (existing.fingerprint !== print) throw new TaskConflictError(`task ${req.taskId} already has a ${existing.mode} network with other settings; tear it down first`);
    return { state, record: existing };
  }
  let cursors = state.cursors;
  const endpoints: EndpointRecord[] = [];
  const groups = req.isolation === 'container' ? req.containers.map((c) => [c]) : [req.containers];
  const net = req.mode === 'bridge' ? config.bridge : req.mode === 'awsvpc' ? config.vpc : undefined;
  if (req.mode !== 'host') {
    const used = net ? usedOffsets(state, net) : new Set<number>();
    groups.forEach((containers, i) => {
      const netns = `${config.netnsPrefix}${req.taskId}${groups.length > 1 ? `.${i}` : ''}`;
      if (!net) {
        endpoints.push({ netns, network: 'none', containers });
        return;
      }
      const range = taskOffsetRange(net.subnet);
      const offset = nextFree(range.first, range.last, cursors[net.kind], (o) => used.has(o));
      if (offset === undefined) throw new ExhaustedError(`no address left in ${net.subnet.cidr} (${net.kind} network): stop some tasks or configure a larger subnet`);
      used.add(offset);
      cursors = { ...cursors, [net.kind]: offset + 1 };
      const ip = addressAt(net.subnet, offset);
      endpoints.push({ netns, network: net.kind, hostVeth: `${net.vethStem}${offset.toString(16)}`, ip, mac: macForIp(ip, TASK_MAC_TAG), containers });
    });
  }
  const claimed = claimedPorts(state);
  const ports: PortRecord[] = [];
  for (const p of req.ports) {
    const targetIp = req.mode === 'bridge' ? endpoints.find((e) => e.containers.includes(p.containerName))?.ip : undefined;
    const hostPort = p.hostPort ?? dynamicPort(p, config, claimed, inputs.busyPorts, cursors[p.protocol]);
    if (req.mode === 'awsvpc') {
      // Its own interface and address (an ENI): the port is the task's, not the host's, so
      // two awsvpc tasks on one host (Fargate tasks on a pool host) may both listen on 80.
      ports.push({ containerName: p.containerName, protocol: p.protocol, containerPort: p.containerPort, hostPort });
      continue;
    }
    if (p.hostPort !== undefined) {
      const holder = claimed.get(`${p.protocol}/${p.hostPort}`);
      if (holder !== undefined) throw new HostPortConflictError(`host port ${p.hostPort}/${p.protocol} is already taken by task ${holder}`);
    } else {
      cursors = { ...cursors, [p.protocol]: hostPort + 1 };
    }
    claimed.set(`${p.protocol}/${hostPort}`, req.taskId);
    ports.push({ containerName: p.containerName, protocol: p.protocol, containerPort: p.containerPort, hostPort, ...(targetIp !== undefined && { targetIp }) });
  }
  let hostGuard;
  if (req.cgroup !== undefined) {
    const mark = freeGuardMark(state);
    if (mark === undefined) throw new ExhaustedError(`${MAX_HOST_GUARDED_TASKS} host-mode tasks already run here, each with its own loopback-guard mark: stop some first`);
    hostGuard = { cgroup: req.cgroup, mark };
  }
  const record: TaskRecord = {
    taskId: req.taskId,
    mode: req.mode,
    isolation: req.isolation,
    fingerprint: print,
    phase: 'allocated',
    containers: req.containers,
    endpoints,
    ports,
    ...(hostGuard && { hostGuard }),
    ...(req.mode === 'awsvpc' && { eni: { attachmentId: inputs.randomUuid(), eniId: `eni-${inputs.randomHex(ENI_HEX_DIGITS)}` } }),
  };
  return { state: withTask({ ...state, cursors }, record), record };
}

/** Offsets of the network's subnet that some task holds. */
function usedOffsets(state: NetworkState, net: NetworkDef): Set<number> {
  const used = new Set<number>();
  for (const t of Object.values(state.tasks)) {
    for (const e of t.endpoints) {
      if (e.network !== net.kind || e.ip === undefined) continue;
      const o = offsetOf(net.subnet, e.ip);
      if (o !== undefined) used.add(o);
    }
  }
  return used;
}

/** `proto/port` → task id, for every host port some task holds (bridge and host mode). */
function claimedPorts(state: NetworkState): Map<string, string> {
  const m = new Map<string, string>();
  // An awsvpc task's ports are on its own address: no host port is held.
  for (const t of Object.values(state.tasks)) if (t.mode !== 'awsvpc') for (const p of t.ports) m.set(`${p.protocol}/${p.hostPort}`, t.taskId);
  return m;
}

function dynamicPort(p: WantedPort, config: NetworkConfig, claimed: Map<string, string>, busy: ReadonlySet<string>, cursor: number): number {
  const { first, last, reserved } = config.hostPorts;
  const taken = (port: number): boolean => reserved.has(port) || claimed.has(key(p.protocol, port)) || busy.has(key(p.protocol, port));
  const port = nextFree(first, last, cursor, taken);
  if (port === undefined) throw new ExhaustedError(`no dynamic ${p.protocol} host port left in ${first}-${last}: stop some tasks or widen hostPorts`);
  return port;
}

function key(protocol: Protocol, port: number): string {
  return `${protocol}/${port}`;
}

/** The first n in [first, last], starting at `cursor` and wrapping once, for which taken(n) is false. */
export function nextFree(first: number, last: number, cursor: number, taken: (n: number) => boolean): number | undefined {
  const span = last - first + 1;
  const start = cursor >= first && cursor <= last ? cursor - first : 0;
  for (let i = 0; i < span; i++) {
    const n = first + ((start + i) % span);
    if (!taken(n)) return n;
  }
  return undefined;
}
