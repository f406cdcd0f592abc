/**
 * A task's role: the one its containers act as (`taskRoleArn`, the run's override first,
 * then the definition's). ECS names the role's session after the task id, so CloudTrail
 * and `sts get-caller-identity` inside the task show which task called.
 */
import type { TaskRecord } from './task.ts';

export function taskRoleOf(task: Pick<TaskRecord, 'overrides' | 'taskArn'>, definition: { readonly taskRoleArn?: string }): { roleArn: string; sessionName: string } | undefined {
  const roleArn = task.overrides.taskRoleArn ?? definition.taskRoleArn;
  if (!roleArn) return undefined;
  return { roleArn, sessionName: task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1) };
}

/**
 * A task's execution role: the one the agent acts as for the task (pulling its images from
 * the registry, shipping its awslogs), the run's override first, then the definition's.
 * Its session is named for the task id too.
 */
export function executionRoleOf(task: Pick<TaskRecord, 'overrides' | 'taskArn'>, definition: { readonly executionRoleArn?: string }): { roleArn: string; sessionName: string } | undefined {
  const roleArn = task.overrides.executionRoleArn ?? definition.executionRoleArn;
  if (!roleArn) return undefined;
  return { roleArn, sessionName: task.taskArn.slice(task.taskArn.lastIndexOf('/') + 1) };
}
