/**
 * A task's status: what runs. Written from its agent's reports (report.ts), and by the
 * control plane only where the agent cannot (it never got the task, or its host is gone).
 * Its lifecycle is ECS's (task-lifecycle.ts); a pod's phase is a view of it.
 */
import type { Attachment, HealthStatus, NetworkBinding } from '../ecs/task.ts';
import type { ContainerStatus as ContainerState, StopCode, TaskStatus as Lifecycle } from '../ecs/task-lifecycle.ts';
import type { Isolation } from '../ecs/fargate.ts';

export type { ContainerState, Lifecycle };

export interface ContainerStatus {
  name: string;
  lastStatus: ContainerState;
  /** The runtime's id of the container. */
  runtimeId?: string;
  /** The image manifest's digest it runs. */
  imageDigest?: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  networkInterfaces: { attachmentId: string; privateIpv4Address: string }[];
  healthStatus: HealthStatus;
  /** Times the agent started it again in place (a restart policy); absent when never. */
  restartCount?: number;
  /** Its readiness probe's verdict (Kubernetes `ready`); absent for a container without probes. */
  ready?: boolean;
  /** Its startup probe has passed, or it has none (Kubernetes `started`); absent for a container without probes. */
  started?: boolean;
  /** How its previous run ended, once it has been restarted (Kubernetes `lastState.terminated`); epoch seconds. */
  lastTermination?: LastTermination;
  /** Why it is not running while it waits to start again (`CrashLoopBackOff`); absent otherwise. */
  waitingReason?: string;
}

/** A container's previous run, as Kubernetes' `lastState.terminated` shows it. Epoch seconds. */
export interface LastTermination {
  exitCode?: number;
  reason?: string;
  startedAt?: number;
  stoppedAt?: number;
}

export interface TaskStatus {
  lastStatus: Lifecycle;
  /** +1 with each change of the status; the ECS `version` is the spec's generation plus this. */
  changes: number;
  connectivity?: 'CONNECTED' | 'DISCONNECTED';
  connectivityAt?: number;
  /** Epoch seconds, each set once, when the task first gets there. */
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  /** Why it stopped, as its agent (or the control plane, for a lost task) said. */
  stopCode?: StopCode;
  stoppedReason?: string;
  healthStatus: HealthStatus;
  /** Its network interface (awsvpc): precreated by the placer, attached by the agent. */
  attachments: Attachment[];
  /** The boundary its containers got, reported once. */
  isolation?: Isolation;
  /** In the order of the spec's containers. */
  containers: ContainerStatus[];
}
