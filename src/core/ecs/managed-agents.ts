/**
 * The managed agents DescribeTasks shows in a task's containers: ECS's ExecuteCommandAgent,
 * beside each container of a task run with execute command enabled.
 */

/** The managed agent ECS runs beside each container of a task with execute command enabled. */
export const EXECUTE_COMMAND_AGENT = 'ExecuteCommandAgent';

/** What DescribeTasks shows of the managed agent in one container of a task with execute command enabled. */
export function managedAgentsOf(task: { readonly enableExecuteCommand: boolean; readonly startedAt?: number | undefined }, c: { readonly lastStatus?: string | undefined }): { name: string; lastStatus: string; lastStartedAt?: number }[] | undefined {
  if (!task.enableExecuteCommand) return undefined;
  // Berth's agent is the exec agent: it runs while the container does.
  const lastStatus = c.lastStatus === 'RUNNING' ? 'RUNNING' : c.lastStatus === 'STOPPED' ? 'STOPPED' : 'PENDING';
  return [{ name: EXECUTE_COMMAND_AGENT, lastStatus, ...(lastStatus !== 'PENDING' && task.startedAt !== undefined && { lastStartedAt: task.startedAt }) }];
}
