/**
 * Which boundary a task's containers get, and what the boundary is told of the task:
 * a Fargate task goes into the host's sandbox backend (gVisor where it runs, decided at
 * agent start by detectIsolation()); an EC2 task, or a Fargate task on a host with no
 * sandbox, runs each container on its own (Isolation `container`).
 */

import { DEFAULT_EPHEMERAL_STORAGE_GIB } from '../core/ecs/fargate.ts';
import { taskSize } from '../core/ecs/task-size.ts';
import { CONTAINER_BACKEND, type SandboxBackend, type SandboxTask } from '../runtime/sandbox/index.ts';
import type { TaskNetwork } from '../runtime/network/types.ts';
import type { Assignment } from './protocol.ts';
import { taskCgroupPath } from './task-layout.ts';

export { taskSize };

export function backendFor(a: Assignment, fargate: SandboxBackend | undefined): SandboxBackend {
  return a.task.launchType === 'FARGATE' && fargate ? fargate : CONTAINER_BACKEND;
}

export function sandboxTask(a: Assignment, taskId: string, dir: string, net: TaskNetwork | undefined, hostname: string): SandboxTask {
  return {
    taskId, dir, cgroupPath: taskCgroupPath(taskId), hostname,
    netnsPath: net?.netnsPath,
    cpuUnits: taskSize(a.task.overrides.cpu ?? a.task.cpu ?? a.taskDefinition.cpu),
    memoryMiB: taskSize(a.task.overrides.memory ?? a.task.memory ?? a.taskDefinition.memory),
    ephemeralStorageGiB: a.task.ephemeralStorage?.sizeInGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB,
  };
}
