/**
 * The endpoint's view of a task runner: the pure metadata input (view.ts) from what the
 * runner knows now, where each container's stats are read, and whether a connection comes
 * from the task. The agent hands these to the server (server.ts) per request.
 */
import { statfsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_EPHEMERAL_STORAGE_GIB } from '../../core/ecs/fargate.ts';
import type { NetworkConfig } from '../../runtime/network/config.ts';
import type { RunnerFacts } from '../task-runner.ts';
import { cgroupsPath, taskCgroupPath } from '../task-layout.ts';
import { cgroup2Mount } from '../../runtime/container/cgroup2.ts';
import { METADATA_ADDRESS, METADATA_PORT } from './ids.ts';
import { clientSocketInode, inodeInCgroup } from './owner.ts';
import { readStats } from './stats-reader.ts';
import type { EndpointTarget, StatsSource } from './server.ts';
import type { ClockFacts, MetadataTask } from './view.ts';

const MIB = 1024 * 1024;

export interface HostFacts {
  readonly network: NetworkConfig;
  readonly clock: () => ClockFacts | undefined;
}

export function metadataTask(f: RunnerFacts, host: HostFacts): MetadataTask {
  const t = f.assignment.spec;
  const mode = t.network.mode;
  // The task size as declared (definition or overrides), not what was reserved for it.
  const cpu = t.resources.declared?.cpu;
  const memory = t.resources.declared?.memory;
  const fargate = t.launchType === 'FARGATE';
  const vpc = host.network.vpc;
  const clock = host.clock();
  return {
    spec: t,
    family: t.ecs.family,
    revision: t.ecs.revision,
    ...(cpu !== undefined && { cpuUnits: cpu }),
    ...(memory !== undefined && { memoryMiB: memory }),
    networkMode: mode,
    knownStatus: f.status,
    ...(f.pullStartedAt !== undefined && { pullStartedAt: f.pullStartedAt }),
    ...(f.pullStoppedAt !== undefined && { pullStoppedAt: f.pullStoppedAt }),
    containers: f.slots.map((s) => {
      const i = t.containers.findIndex((c) => c.name === s.spec.name);
      const containerArn = i < 0 ? undefined : t.ecs.containerArns[i];
      const network = f.net?.containers.find((c) => c.name === s.spec.name);
      return {
        spec: s.spec,
        ...(containerArn !== undefined && { containerArn }),
        runtimeId: s.container?.id ?? '',
        ...(s.image && { imageId: s.image.configDigest }),
        // One waiting to be started again (its restart policy) is still running, as ECS reports it.
        knownStatus: s.state === 'running' || s.restartTimer ? 'RUNNING' as const : s.state === 'exited' ? 'STOPPED' as const : 'PENDING' as const,
        ...(s.exit && !s.restartTimer && { exitCode: s.exit.exitCode }),
        ...(s.spec.restart && { restartCount: s.restarts.count }),
        ...(s.createdAt !== undefined && { createdAt: s.createdAt }),
        ...(s.startedAt !== undefined && { startedAt: s.startedAt }),
        ...(s.finishedAt !== undefined && { finishedAt: s.finishedAt }),
        health: s.health,
        ...(network && { network }),
      };
    }),
    ...(mode === 'awsvpc' && { subnet: { cidr: vpc.subnet.cidr, gateway: vpc.gateway, prefixLength: Number(vpc.subnet.cidr.split('/')[1]), region: vpc.region } }),
    ...(f.net?.eniAttachment && { eni: f.net.eniAttachment }),
    ...(!fargate && { vpcId: `vpc-${vpc.subnetId.slice('subnet-'.length)}` }),
    ...(clock && { clock }),
    ...(fargate && { ephemeral: ephemeralUse(f.taskDir, (t.resources.ephemeralStorageGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB) * 1024) }),
  };
}

/** The task's ephemeral disk as the sandbox mounted it (src/runtime/sandbox/ephemeral.ts); nothing used before it is mounted. */
function ephemeralUse(taskDir: string, reservedMiB: number): { utilizedMiB: number; reservedMiB: number } {
  try {
    const s = statfsSync(join(taskDir, 'sandbox', 'ephemeral'));
    return { utilizedMiB: Math.round(((s.blocks - s.bfree) * s.bsize) / MIB), reservedMiB };
  } catch {
    return { utilizedMiB: 0, reservedMiB };
  }
}

/** The task id of a runner's task (its ARN's last part). */
const taskIdOf = (f: RunnerFacts) => f.assignment.spec.id;
const remoteOf = (socket: Socket) => (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
const DIALLED = `${METADATA_ADDRESS}:${METADATA_PORT}`;

/**
 * Whether a connection comes from this runner's task: its source address is the task's (or
 * one of its containers'); a host-mode task has no address of its own, so the client socket
 * must be held by a process of the task's cgroup (a walk of /proc: the server asks once per
 * connection, server.ts).
 */
export function ownsSocket(f: RunnerFacts, socket: Socket, inode?: () => string | undefined): boolean {
  if (f.net?.hostNetwork) {
    const mount = cgroup2Mount();
    if (mount === undefined || socket.remotePort === undefined) return false;
    const i = inode ? inode() : clientSocketInode(socket.remotePort, DIALLED);
    return i !== undefined && inodeInCgroup(join(mount, taskCgroupPath(taskIdOf(f))), i);
  }
  const remote = remoteOf(socket);
  return f.net !== undefined && (f.net.ip === remote || f.net.containers.some((c) => c.ip === remote));
}

/**
 * The task among `runners` a connection comes from, if any (the AWS relay's caller check):
 * by address first, then host-mode tasks by the client socket's owner, /proc/net/tcp read
 * at most once.
 */
export function callerTaskAmong(runners: Iterable<RunnerFacts>, socket: Socket): string | undefined {
  let inode: string | undefined | null = null;
  const once = () => {
    if (inode === null) inode = socket.remotePort === undefined ? undefined : clientSocketInode(socket.remotePort, DIALLED);
    return inode;
  };
  const hostMode: RunnerFacts[] = [];
  for (const f of runners) {
    if (f.net?.hostNetwork) hostMode.push(f);
    else if (ownsSocket(f, socket)) return f.assignment.spec.ecs.taskArn;
  }
  return hostMode.find((f) => ownsSocket(f, socket, once))?.assignment.spec.ecs.taskArn;
}

/** Object identities as small numbers, for answer versions: an assignment or network replaced is a new version. */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;
const identity = (o: object | undefined): number | string => {
  if (o === undefined) return '-';
  let n = identities.get(o);
  if (n === undefined) identities.set(o, (n = ++nextIdentity));
  return n;
};

/**
 * A string that changes whenever the metadata view of the runner would (every fact
 * metadataTask reads, the clock sample included), so the server can keep the serialized
 * answer and send it again while the task is unchanged. Undefined for a Fargate task: its
 * ephemeral disk's use is read anew for each answer.
 */
export function answerVersion(f: RunnerFacts, clock: ClockFacts | undefined): string | undefined {
  if (f.assignment.spec.launchType === 'FARGATE') return undefined;
  let v = `${identity(f.assignment)}|${identity(f.net)}|${f.status}|${f.pullStartedAt}|${f.pullStoppedAt}|${clock?.measuredAt}`;
  for (const s of f.slots) {
    v += `|${s.state},${s.health},${s.exit?.exitCode},${s.container?.id},${s.image?.configDigest},${s.createdAt},${s.startedAt},${s.finishedAt},${s.restarts.count},${s.restartTimer !== undefined}`;
  }
  return v;
}

/** The endpoint target for one container of a runner. */
export function endpointTarget(facts: () => RunnerFacts, container: string, host: HostFacts): EndpointTarget {
  const f0 = facts();
  const taskArn = f0.assignment.spec.ecs.taskArn;
  const taskId = taskIdOf(f0);
  return {
    taskArn,
    container,
    owns: (socket: Socket) => ownsSocket(facts(), socket),
    metadata: () => metadataTask(facts(), host),
    version: () => answerVersion(facts(), host.clock()),
    stats(): StatsSource[] {
      const f = facts();
      // A gVisor sandbox's containers share the sandbox's cgroup, the task's, on the host.
      const sandboxed = f.isolation === 'gvisor';
      return f.slots.filter((s) => s.container).map((s) => {
        const veth = f.net?.containers.find((c) => c.name === s.spec.name)?.hostVeth;
        const path = sandboxed ? taskCgroupPath(taskId) : cgroupsPath(taskId, s.spec.name);
        return { container: s.spec.name, dockerId: s.container!.id, read: (now: number) => readStats(path, veth, now) };
      });
    },
  };
}
