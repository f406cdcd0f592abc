/**
 * Which boundary a task's containers get, and what the boundary is told of the task:
 * a Fargate task goes into the host's sandbox backend (gVisor where it runs, decided at
 * agent start by detectIsolation()); an EC2 task, or a Fargate task on a host with no
 * sandbox, runs each container on its own (Isolation `container`).
 */

import { DEFAULT_EPHEMERAL_STORAGE_GIB } from '../core/ecs/fargate.ts';
import { CONTAINER_BACKEND, type SandboxBackend, type SandboxTask } from '../runtime/sandbox/index.ts';
import type { TaskNetwork } from '../runtime/network/types.ts';
import type { ContainerSpec, TaskSpec } from '../core/workload/spec.ts';
import { taskCgroupPath } from './task-layout.ts';

export function backendFor(spec: Pick<TaskSpec, 'launchType'>, fargate: SandboxBackend | undefined): SandboxBackend {
  return spec.launchType === 'FARGATE' && fargate ? fargate : CONTAINER_BACKEND;
}

export function sandboxTask(spec: Pick<TaskSpec, 'resources' | 'containers'>, taskId: string, dir: string, net: TaskNetwork | undefined, hostname: string): SandboxTask {
  return {
    taskId, dir, cgroupPath: taskCgroupPath(taskId), hostname,
    netnsPath: net?.netnsPath,
    // What the placer reserved: the task size when one is declared, else its containers' sum.
    cpuUnits: spec.resources.reserved.cpu,
    memoryMiB: spec.resources.reserved.memory,
    cpuLimitUnits: summedCpuLimits(spec.containers),
    ephemeralStorageGiB: spec.resources.ephemeralStorageGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB,
  };
}

/** The containers' CPU limits summed, when every one has a limit (as the kubelet bounds a pod's cgroup); else undefined. */
export function summedCpuLimits(containers: readonly Pick<ContainerSpec, 'resources'>[]): number | undefined {
  if (containers.length === 0 || containers.some((c) => c.resources.cpuLimit === undefined)) return undefined;
  return containers.reduce((n, c) => n + c.resources.cpuLimit!, 0);
}
