/** How a task's containers fail, in ECS's words. */

/** ECS's reason for a container the kernel's OOM killer ended. */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
export const ESSENTIAL_EXIT_REASON = 'Essential container in task exited';

/** Why a task could not start, and which container it was about. */
export class StartFailure extends Error {
  readonly container: string | undefined;
  constructor(message: string, container?: string) {
    super(message);
    this.container = container;
  }
}
