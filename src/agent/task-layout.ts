import { join } from 'node:path';

/**
 * Where an agent keeps a task on its host:
 *
 *   <agent data>/tasks/<task id>/
 *     task.json                 the assignment, so a restarted agent knows what it ran
 *     containers/<name>/        the runtime's state dir (bundle, conmon files, exit file)
 *     rootfs/<name>/            overlay mount: rootfs/, upper/, work/
 *     logs/<name>.log           stdout and stderr, k8s-file format, rotated by conmon (an
 *                               awslogs container's is not: its driver frees what it delivered)
 *     logs/<name>.previous.log  a pod's container: the run before its last restart in place
 *                               (`kubectl logs --previous`); an ECS container's runs share one log
 *     volumes/<volume>/         task-scoped volumes
 */
export function taskLayout(tasksDir: string, taskId: string) {
  const dir = join(tasksDir, taskId);
  return {
    dir,
    assignment: join(dir, 'task.json'),
    containerState: (name: string) => join(dir, 'containers', name),
    rootfs: (name: string) => join(dir, 'rootfs', name),
    log: (name: string) => join(dir, 'logs', `${name}.log`),
    previousLog: (name: string) => join(dir, 'logs', `${name}.previous.log`),
    volume: (name: string) => join(dir, 'volumes', name),
  };
}

/** The OCI runtime id of a task's container: unique on the host, and readable in `crun list`. */
export function runtimeId(taskId: string, container: string): string {
  return `${taskId}-${container}`.replace(/[^a-zA-Z0-9_.-]/g, '_');
}

/** Every Berth container's cgroup sits under this parent, one level per task. */
export const CGROUP_PARENT = '/berth';

/** The task's own cgroup: its containers' parent, where task-wide limits (pids.max) are set. */
export function taskCgroupPath(taskId: string): string {
  return `${CGROUP_PARENT}/${taskId}`;
}

export function cgroupsPath(taskId: string, container: string): string {
  return `${taskCgroupPath(taskId)}/${container.replace(/[^a-zA-Z0-9_.-]/g, '_')}`;
}
