/**
 * The manager's persisted state: which task holds which namespaces, addresses and host
 * ports. It is the source of truth for what Berth created in the kernel; everything the
 * planners emit is derived from it.
 */
import type { Isolation, NetworkMode, Protocol } from './types.ts';

export const STATE_VERSION = 1;

/** One network namespace of a task: the whole task's, or one container's. */
export interface EndpointRecord {
  /** Name under /run/netns. */
  readonly netns: string;
  readonly network: 'bridge' | 'vpc' | 'none';
  /** Host end of the veth pair (absent for `none`). */
  readonly hostVeth?: string;
  readonly ip?: string;
  readonly mac?: string;
  /** Containers that join this namespace. */
  readonly containers: readonly string[];
}

/** A host port claimed by a task; bridge ports are DNATed to `targetIp`. */
export interface PortRecord {
  readonly containerName: string;
  readonly protocol: Protocol;
  readonly containerPort: number;
  readonly hostPort: number;
  readonly targetIp?: string;
}

/**
 * `allocated`: written before any kernel change, so a crash leaves a record to clean up
 * from. `ready`: every kernel object exists.
 */
export type TaskPhase = 'allocated' | 'ready';

/** What a guarded host-mode task holds in the loopback guard (host-guard.ts). */
export interface HostGuard {
  /** The task's cgroup v2, relative to the cgroup2 root (`berth/<task>`), as nft takes it. */
  readonly cgroup: string;
  /** Its packet mark, within host-guard.ts's HOST_GUARD_MARK_MASK. */
  readonly mark: number;
}

export interface TaskRecord {
  readonly taskId: string;
  readonly mode: NetworkMode;
  readonly isolation: Isolation;
  /** The normalized request; a second setup with a different one is refused. */
  readonly fingerprint: string;
  readonly phase: TaskPhase;
  /** All container names, in task definition order. */
  readonly containers: readonly string[];
  readonly endpoints: readonly EndpointRecord[];
  readonly ports: readonly PortRecord[];
  readonly eni?: { readonly attachmentId: string; readonly eniId: string };
  /** Host mode: the task's cgroup and mark in the loopback guard (host-guard.ts). */
  readonly hostGuard?: HostGuard;
}

/** Where each allocator resumes: round-robin keeps a just-released address or port cold. */
export interface Cursors {
  readonly bridge: number;
  readonly vpc: number;
  readonly tcp: number;
  readonly udp: number;
}

export interface NetworkState {
  readonly version: typeof STATE_VERSION;
  readonly cursors: Cursors;
  readonly tasks: Readonly<Record<string, TaskRecord>>;
}

export function emptyState(): NetworkState {
  return { version: STATE_VERSION, cursors: { bridge: 0, vpc: 0, tcp: 0, udp: 0 }, tasks: {} };
}

export function withTask(state: NetworkState, record: TaskRecord): NetworkState {
  return { ...state, tasks: { ...state.tasks, [record.taskId]: record } };
}

export function withoutTask(state: NetworkState, taskId: string): NetworkState {
  const { [taskId]: _gone, ...rest } = state.tasks;
  return { ...state, tasks: rest };
}

/** Checks the shape of a parsed state file; throws saying what is wrong. */
export function checkState(value: unknown): NetworkState {
  const s = value as Partial<NetworkState> | null;
  if (!s || typeof s !== 'object' || s.version !== STATE_VERSION) throw new Error(`unsupported state version ${String(s?.version)} (expected ${STATE_VERSION})`);
  if (!s.cursors || typeof s.tasks !== 'object' || s.tasks === null) throw new Error('state has no cursors or tasks');
  return s as NetworkState;
}
