/** How a container ended. */
export interface ExitStatus {
  /** The process's exit code, or 128+n when signal n killed it (137 for SIGKILL and OOM kills). */
  readonly exitCode: number;
  /** The kernel's OOM killer ended a process of this container (ECS: `OutOfMemoryError: Container killed due to memory usage`). */
  readonly oomKilled: boolean;
  /** The signal behind a 128+n exit code. */
  readonly signal?: string | undefined;
  /**
   * conmon died before the container (someone killed it), so no exit file was written:
   * `exitCode` is then 128 + the signal Berth last sent, or LOST_EXIT_CODE (container.ts) if it sent none.
   */
  readonly monitorLost?: true;
}
