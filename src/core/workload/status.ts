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
  // What a Pod's container status needs beyond ECS's: the agent fills them as it learns to;
  // absent reads as the Pod view's default, written beside each.
  /** Epoch seconds its current run started, and ended (absent: the task's startedAt / stoppedAt). */
  startedAt?: number;
  finishedAt?: number;
  /** Times it was started again after exiting (absent: 0). */
  restartCount?: number;
  /** Its readiness probe passes (absent: ready while running when it has no readiness probe). */
  ready?: boolean;
  /** Its startup probe has passed (absent: started while running). */
  started?: boolean;
  /** Why it is not running now, in the kubelet's words (CrashLoopBackOff, ErrImagePull, ImagePullBackOff). */
  waiting?: { reason: string; message?: string };
  /** How its previous run ended, once it has been restarted. */
  lastTermination?: { exitCode: number; reason?: string; startedAt?: number; finishedAt?: number; runtimeId?: string };
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
  /**
   * Why the placer found no host for it yet (a pod's PodScheduled False, reason
   * Unschedulable); written by the control plane, cleared when it is placed. Epoch seconds.
   */
  unschedulable?: { message: string; at: number };
  /**
   * Pod conditions a client wrote through `pods/status` of types the Pod view does not derive
   * from the task (a readiness gate's, DisruptionTarget): kept as written and shown after the
   * derived ones. Written by the pods backend (api/kube/pod-backend-writes.ts) only.
   */
  kubeConditions?: KubeCondition[];
}

/** A pod condition as a client wrote it (core/v1 PodCondition). */
export interface KubeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}
