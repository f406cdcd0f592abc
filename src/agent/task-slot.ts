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
import type { RestartHistory } from './restart-policy.ts';
import type { LastTermination } from '../core/workload/report.ts';

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
  /** Epoch ms since when this agent watches it run: its start, or its adoption after an agent restart (which does not know the start). */
  watchedSince?: number;
  /** Its restarts so far (restart-policy.ts), kept in the task's directory across agent restarts. */
  restarts: RestartHistory;
  /** How its previous run ended, once it has been restarted (epoch seconds). */
  lastTermination?: LastTermination;
  /** Set while it waits to be started again: it counts as running, not exited. */
  restartTimer?: NodeJS.Timeout;
  /** Why it waits (CrashLoopBackOff) while it backs off. */
  waitingReason?: string;
  /** Its probes while it runs (probes/container-probes.ts), and their verdict. */
  probes?: { stop(): void };
  started?: boolean;
  ready?: boolean;
}

/** Whether the slot's report carries the restart and probe facts (a container with a restart policy or probes). */
export function tracksRestarts(s: Pick<Slot, 'spec'>): boolean {
  return s.spec.restart !== undefined || s.spec.probes !== undefined;
}

/** The containers' part of a task report, the task being in `status`. */
export function containerReports(slots: readonly Slot[], net: TaskNetwork | undefined, status: TaskStatus): ContainerReport[] {
  return slots.map((s) => {
    const n = net?.containers.find((c) => c.name === s.spec.name);
    // A container that will be started again is still running, as far as ECS and the
    // container order go; its exit shows as its last termination.
    const again = s.restartTimer !== undefined && status !== 'STOPPED';
    return {
      name: s.spec.name,
      status: s.state === 'running' || again ? 'RUNNING' : s.state === 'exited' || status === 'STOPPED' ? 'STOPPED' : 'PENDING',
      ...(s.container && { runtimeId: s.container.id }),
      ...(s.image && { imageDigest: s.image.manifestDigest }),
      ...(s.exit && !again && { exitCode: s.exit.exitCode }),
      ...(s.reason && !again && { reason: s.reason }),
      ...(n && { networkBindings: [...n.networkBindings], networkInterfaces: [...n.networkInterfaces] }),
      healthStatus: s.health,
      ...(tracksRestarts(s) && {
        restartCount: s.restarts.count,
        ...(s.lastTermination && { lastTermination: { ...s.lastTermination } }),
        waiting: again && s.waitingReason !== undefined ? { reason: s.waitingReason } : null,
        ...(s.startedAt !== undefined && { startedAt: s.startedAt / 1000 }),
        ...(s.finishedAt !== undefined && !again && { finishedAt: s.finishedAt / 1000 }),
        ...(s.spec.probes && { started: s.state === 'running' && s.started === true, ready: s.state === 'running' && s.ready === true }),
      }),
    };
  });
}
