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
import { clientInCgroup } from './owner.ts';
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
        knownStatus: s.state === 'running' ? 'RUNNING' as const : s.state === 'exited' ? 'STOPPED' as const : 'PENDING' as const,
        ...(s.exit && { exitCode: s.exit.exitCode }),
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

/** The endpoint target for one container of a runner. */
export function endpointTarget(facts: () => RunnerFacts, container: string, host: HostFacts): EndpointTarget {
  const f0 = facts();
  const taskArn = f0.assignment.spec.ecs.taskArn;
  const taskId = f0.assignment.spec.id;
  return {
    taskArn,
    container,
    owns(socket: Socket): boolean {
      const f = facts();
      const remote = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      // Host mode: no address of its own; the client socket must be a process's of the task's cgroup.
      if (f.net?.hostNetwork) {
        const mount = cgroup2Mount();
        return mount !== undefined && socket.remotePort !== undefined && clientInCgroup(join(mount, taskCgroupPath(taskId)), socket.remotePort, `${METADATA_ADDRESS}:${METADATA_PORT}`);
      }
      return f.net !== undefined && (f.net.ip === remote || f.net.containers.some((c) => c.ip === remote));
    },
    metadata: () => metadataTask(facts(), host),
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
