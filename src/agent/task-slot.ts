/** One container of a task as its runner tracks it, and what is reported of it. */

import type { ContainerSpec } from '../core/workload/spec.ts';
import type { HealthStatus } from '../core/ecs/task.ts';
import type { ContainerReport } from '../core/workload/report.ts';
import type { TaskStatus } from '../core/ecs/task-lifecycle.ts';
import type { LocalImage } from '../images/local-image.ts';
import type { MountedRootfs } from '../images/rootfs.ts';
import type { ExitStatus } from '../runtime/container/index.ts';
import type { TaskNetwork } from '../runtime/network/types.ts';
import type { TaskContainer } from '../runtime/sandbox/index.ts';
import type { RunState } from './container-order.ts';
import type { EnvVar } from './env-files.ts';

export interface Slot {
  spec: ContainerSpec;
  essential: boolean;
  state: RunState;
  container?: TaskContainer;
  image?: LocalImage;
  rootfs?: MountedRootfs;
  exit?: ExitStatus;
  reason?: string;
  health: HealthStatus;
  unhealthy: boolean;
  checks?: { stop(): void };
  /** The environment with the container's environment files merged in, once read. */
  environment?: EnvVar[];
  /** Epoch ms: created, started, exited (the task metadata endpoint's CreatedAt, StartedAt, FinishedAt). */
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
}

/** The containers' part of a task report, the task being in `status`. */
export function containerReports(slots: readonly Slot[], net: TaskNetwork | undefined, status: TaskStatus): ContainerReport[] {
  return slots.map((s) => {
    const n = net?.containers.find((c) => c.name === s.spec.name);
    return {
      name: s.spec.name,
      status: s.state === 'running' ? 'RUNNING' : s.state === 'exited' || status === 'STOPPED' ? 'STOPPED' : 'PENDING',
      ...(s.container && { runtimeId: s.container.id }),
      ...(s.image && { imageDigest: s.image.manifestDigest }),
      ...(s.exit && { exitCode: s.exit.exitCode }),
      ...(s.reason && { reason: s.reason }),
      ...(n && { networkBindings: [...n.networkBindings], networkInterfaces: [...n.networkInterfaces] }),
      healthStatus: s.health,
    };
  });
}
