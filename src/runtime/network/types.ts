/**
 * What callers give the network manager and what they get back. Shapes that ECS reports
 * (NetworkBinding, Attachment) follow the ECS API reference.
 */
import type { NetworkMode, PortMapping } from '../../core/ecs/task-definition.ts';

export type { NetworkMode, PortMapping };
export type Protocol = 'tcp' | 'udp';

/**
 * `task`: all containers of the task share one namespace (Berth's default, like awsvpc).
 * `container`: one namespace per container, as Docker's bridge mode does (for `links`).
 */
export type Isolation = 'task' | 'container';

export interface TaskNetworkRequest {
  /** The ECS task id (letters, digits, `_`, `.`, `-`; at most 64). */
  readonly taskId: string;
  /** ECS networkMode; ECS's default on Linux instances is `bridge`. */
  readonly mode?: NetworkMode;
  readonly containers: readonly { readonly name: string; readonly portMappings?: readonly PortMapping[] }[];
  /** bridge and none only; default `task`. */
  readonly isolation?: Isolation;
  /**
   * Host mode: the task's cgroup v2 (`/berth/<task>`), made before this call and holding
   * every process of the task. Its sockets then reach loopback listeners of the task only
   * (the host-mode loopback guard); without it a host-mode task is refused.
   */
  readonly cgroup?: string;
}

/** ECS NetworkBinding as DescribeTasks reports it in `containers[].networkBindings`. */
export interface NetworkBinding {
  readonly bindIP: string;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly protocol: Protocol;
}

/** ECS NetworkInterface as reported in `containers[].networkInterfaces` for awsvpc tasks. */
export interface TaskNetworkInterface {
  readonly attachmentId: string;
  readonly privateIpv4Address: string;
}

/** ECS Attachment of type ElasticNetworkInterface, as in `tasks[].attachments`. */
export interface EniAttachment {
  readonly id: string;
  readonly type: 'ElasticNetworkInterface';
  readonly status: 'ATTACHED';
  readonly details: readonly { readonly name: string; readonly value: string }[];
}

export interface ContainerNetwork {
  readonly name: string;
  /** Namespace the container joins; absent when it uses the host's network namespace. */
  readonly netnsPath?: string;
  readonly ip?: string;
  /** The host end of its veth: its counters are the container's network stats, turned round. */
  readonly hostVeth?: string;
  readonly networkBindings: readonly NetworkBinding[];
  readonly networkInterfaces: readonly TaskNetworkInterface[];
}

export interface TaskNetwork {
  readonly taskId: string;
  readonly mode: NetworkMode;
  /** True for `host` mode: containers run in the host's network namespace. */
  readonly hostNetwork: boolean;
  /** The namespace all containers share (isolation `task`); absent for host mode and per-container isolation. */
  readonly netnsPath?: string;
  /** The task's address (bridge or awsvpc, isolation `task`). */
  readonly ip?: string;
  readonly containers: readonly ContainerNetwork[];
  readonly eniAttachment?: EniAttachment;
}
