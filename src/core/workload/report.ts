/**
 * What an agent reports about a task it runs: a change of the task's status (status.ts).
 * The report applier (src/core/ecs/task-report.ts applyReport) folds it into the status;
 * statuses only move forward, so a report resent after a reconnect changes nothing.
 */
import type { Attachment, HealthStatus, NetworkBinding } from '../ecs/task.ts';
import type { StopCode } from '../ecs/task-lifecycle.ts';
import type { Isolation } from '../ecs/fargate.ts';
import type { ContainerState, ContainerStatus, Lifecycle } from './status.ts';

/** How a container's previous run ended (status.ts ContainerStatus.lastTermination). */
export type LastTermination = NonNullable<ContainerStatus['lastTermination']>;

/** One container's part of a report. */
export interface ContainerReport {
  name: string;
  status: ContainerState;
  runtimeId?: string;
  imageDigest?: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: NetworkBinding[];
  networkInterfaces?: { attachmentId: string; privateIpv4Address: string }[];
  healthStatus?: HealthStatus;
  /** The restart and probe facts (status.ts ContainerStatus): sent only for a container that has a restart policy or probes. */
  restartCount?: number;
  ready?: boolean;
  started?: boolean;
  lastTermination?: LastTermination;
  /** Epoch seconds its current run started, and (once it has exited for good) ended. */
  startedAt?: number;
  finishedAt?: number;
  /** `null` clears it: the container left its back-off. */
  waiting?: { reason: string; message?: string } | null;
}

/** A task's new status, its containers', and the timestamps the agent measured (epoch seconds). */
export interface StatusReport {
  /** The task it is about: its spec's `ecs.taskArn` (every task has one, a pod's too). */
  taskArn: string;
  status: Lifecycle;
  containers: ContainerReport[];
  stopCode?: StopCode;
  stoppedReason?: string;
  healthStatus?: HealthStatus;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  attachments?: Attachment[];
  /** The boundary the task's containers got (fargate.ts), reported once they are created. */
  isolation?: Isolation;
}
