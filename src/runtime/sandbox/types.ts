/**
 * The sandbox contract: what the agent's task runner uses for a task's containers,
 * whatever the boundary around them (README.md). One {@link SandboxBackend} per host,
 * chosen at agent start by detectIsolation(); one {@link TaskSandbox} per task.
 */

import type { Isolation } from '../../core/ecs/fargate.ts';
import type { CreateOptions, ExitStatus } from '../container/container.ts';
import type { ExecOptions, ExecResult } from '../container/exec.ts';
import type { InteractiveExec, OnOutput } from '../container/interactive-exec.ts';
import type { Attached } from '../container/attach.ts';

/** What the runner does with one of a task's containers (the per-container `Container` has all of it). */
export interface TaskContainer {
  readonly id: string;
  start(): Promise<void>;
  /** How it ended, or undefined while it runs. */
  exitStatus(): ExitStatus | undefined;
  /** The exit status once it ends; undefined after `timeoutMs` or when `signal` aborts. */
  wait(timeoutMs?: number, signal?: AbortSignal): Promise<ExitStatus | undefined>;
  /** The stop signal, then SIGKILL after `timeoutSeconds`. */
  stop(timeoutSeconds?: number): Promise<ExitStatus>;
  exec(args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** A command on a terminal (ECS Exec, `kubectl exec -t`) or, with `tty: false`, on plain pipes (`kubectl exec`); absent where the backend cannot give one. */
  interactive?(args: readonly string[], onOutput: OnOutput, options?: { tty?: boolean }): InteractiveExec;
  /** Its own process's stdin and output (`kubectl attach -i`), for a container started with stdin open; absent where the backend cannot attach. */
  attach?(onOutput: OnOutput): Attached;
  /** Removes it (killing it first if it still runs); returns the exit status when known. */
  delete(): Promise<ExitStatus | undefined>;
}

/** A container found again after an agent restart (see src/runtime/container/reattach.ts). */
export type FoundContainer =
  | { readonly state: 'created'; readonly container: TaskContainer }
  | { readonly state: 'running'; readonly container: TaskContainer }
  | { readonly state: 'exited'; readonly container: TaskContainer; readonly exit: ExitStatus }
  | { readonly state: 'lost'; readonly container: TaskContainer; readonly reason: string };

/** What a sandbox needs to know of its task. */
export interface SandboxTask {
  readonly taskId: string;
  /** The task's directory (src/agent/task-layout.ts): the sandbox's own files go in `<dir>/sandbox/`. */
  readonly dir: string;
  /** The task's cgroup (`/berth/<task>`): the sandbox's, where the task-level limits are set. */
  readonly cgroupPath: string;
  /** The task's network namespace (awsvpc), or undefined for none (loopback only). */
  readonly netnsPath?: string | undefined;
  /** Task-level size: CPU units (1024 per vCPU) and MiB, enforced on the whole sandbox. */
  readonly cpuUnits?: number | undefined;
  readonly memoryMiB?: number | undefined;
  /**
   * The sum of its containers' CPU limits, when every one has a limit (a pod's). gVisor runs
   * them all in the one sandbox process, so only the sandbox's cgroup can hold them to it:
   * its quota is the lower of this and `cpuUnits`. Container backends set each container's own.
   */
  readonly cpuLimitUnits?: number | undefined;
  /** Ephemeral storage of the task, GiB: the bound on what its containers write to their root filesystems. */
  readonly ephemeralStorageGiB: number;
  readonly hostname: string;
}

/** One task's boundary, made before its first container and removed after its last. */
export interface TaskSandbox {
  readonly isolation: Isolation;
  /** Creates (not starts) one of the task's containers inside the boundary. */
  createContainer(o: CreateOptions): Promise<TaskContainer>;
  /** Removes the boundary itself; its containers must be deleted first. */
  destroy(): Promise<void>;
}

export interface SandboxBackend {
  readonly isolation: Isolation;
  /** Makes the task's boundary (for gVisor: its ephemeral disk and the sandbox's pause container). */
  open(task: SandboxTask): Promise<TaskSandbox>;
  /**
   * After an agent restart: the task's sandbox and containers as the previous agent left
   * them, by container name; undefined when this task has no sandbox of this backend.
   */
  reattach(task: SandboxTask, names: readonly string[]): Promise<{ sandbox: TaskSandbox; found: Map<string, FoundContainer> } | undefined>;
}
