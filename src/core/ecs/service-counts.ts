/**
 * A service's task counts by deployment (or task set) id: what runningCount and
 * pendingCount are summed from. Apart from the views, which all read it.
 */
export interface TaskCounts {
  running: number;
  pending: number;
}

/** Counts of one service, per deployment id. */
export interface ServiceCounts {
  byDeployment: ReadonlyMap<string, TaskCounts>;
}

export const NO_COUNTS: ServiceCounts = { byDeployment: new Map() };

/** The fields of a task that counting reads. */
export interface CountedTask {
  group?: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
}

/**
 * Counts tasks per service name and deployment (`startedBy`). A task counts while it is
 * desired RUNNING: RUNNING when it runs, pending until then; one the scheduler has stopped
 * counts no more, so runningCount reaches desiredCount when a rollout has finished. A task
 * of group `service:<name>` that no deployment started (RunTask --group) is not the
 * service's: the view counts only its deployments' tasks.
 */
export function countServiceTasks(tasks: Iterable<CountedTask>): Map<string, ServiceCounts> {
  const out = new Map<string, { byDeployment: Map<string, TaskCounts> }>();
  for (const t of tasks) {
    if (!t.group?.startsWith('service:') || t.startedBy === undefined || t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
    const name = t.group.slice('service:'.length);
    let c = out.get(name);
    if (!c) out.set(name, (c = { byDeployment: new Map() }));
    let d = c.byDeployment.get(t.startedBy);
    if (!d) c.byDeployment.set(t.startedBy, (d = { running: 0, pending: 0 }));
    d[t.lastStatus === 'RUNNING' ? 'running' : 'pending']++;
  }
  return out;
}
