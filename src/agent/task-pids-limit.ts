/**
 * The per-task pids limit: `pids.max` of the task's cgroup, one limit shared by all of the
 * task's containers. On EC2-style hosts it is the agent's ECS_TASK_PIDS_LIMIT setting,
 * with the ECS agent's name, meaning, range and default (unset: no limit); Fargate tasks
 * always get FARGATE_TASK_PIDS_LIMIT.
 */

import type { TaskSpec } from '../core/workload/spec.ts';

/** The ECS agent's environment variable, read the same way by `berth agent` and `berth up`. */
export const TASK_PIDS_LIMIT_ENV = 'ECS_TASK_PIDS_LIMIT';

/** The ECS agent's least value. */
export const MIN_TASK_PIDS_LIMIT = 1;
/**
 * The ECS agent's greatest value, 4*1024*1024 (amazon-ecs-agent README and
 * `parseTaskPidsLimit`, which calls it runc's de facto limit): the kernel's PID_MAX_LIMIT
 * on 64-bit, more processes than a host can ever have.
 */
export const MAX_TASK_PIDS_LIMIT = 4_194_304;

/**
 * What a Fargate task may hold. AWS documents no pids.max for Fargate; what bounds a task
 * there is the kernel of its own microVM: the default kernel.pid_max of 32768 (for up to
 * 32 CPUs), which Fargate does not let tasks raise (aws/containers-roadmap#2156: a load
 * test "hits the current Kernel PID Max of around 30k threads"). Berth gives its Fargate
 * tasks the same bound as a task-level pids.max.
 */
export const FARGATE_TASK_PIDS_LIMIT = 32_768;

/**
 * Reads the setting (an environment variable's or an option's text); undefined when
 * unset or empty. Where the ECS agent logs a bad value and runs without a limit, Berth
 * refuses to start: an operator who asked for a limit gets it or a reason.
 */
export function parseTaskPidsLimit(text: string | undefined, source = TASK_PIDS_LIMIT_ENV): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < MIN_TASK_PIDS_LIMIT || n > MAX_TASK_PIDS_LIMIT) {
    throw new RangeError(`${source} must be a whole number from ${MIN_TASK_PIDS_LIMIT} to ${MAX_TASK_PIDS_LIMIT} (processes per task), not '${text}'; leave it unset for no limit`);
  }
  return n;
}

/** The limit for one task: Fargate's for a Fargate task, else the agent's setting. */
export function taskPidsLimit(task: Pick<TaskSpec, 'launchType'>, agentSetting: number | undefined): number | undefined {
  return task.launchType === 'FARGATE' ? FARGATE_TASK_PIDS_LIMIT : agentSetting;
}
