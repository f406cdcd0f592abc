/**
 * One pass of a DAEMON service (developer guide, "Daemon scheduling strategy"): one task
 * of the PRIMARY deployment on every ACTIVE container instance its constraints admit. No task is placed on a
 * DRAINING instance, and the daemon task on an instance that starts draining (or leaves)
 * is stopped. A deployment replaces the task of each instance in place: the old task is
 * stopped first (maximumPercent is 100: one per instance), as far as
 * minimumHealthyPercent of the instance count allows, then the new one is started there.
 */
import type { InstanceState } from '../../cluster/types.ts';
import type { TaskView } from './counts.ts';
import type { Eligible } from './daemon-eligible.ts';
import { bounds, StopList, type Stop, type StopWhy } from './rolling.ts';

export interface DaemonInput {
  readonly instances: readonly InstanceState[];
  readonly views: readonly TaskView[];
  readonly primaryId: string;
  readonly minimumHealthyPercent: number;
  readonly canLaunch: boolean;
  readonly canReplace: boolean;
  /** The service is being deleted: every task goes. */
  readonly draining: boolean;
  /** Whether the service's constraints admit an instance (daemon-eligible.ts); default: every one. */
  readonly eligible?: Eligible;
}

export interface DaemonStep {
  /** Instance ARNs to start a PRIMARY task on, one each. */
  readonly targets: readonly string[];
  readonly stops: readonly Stop[];
  /** The instances a daemon task is wanted on: its desired count. */
  readonly desired: number;
}

export function daemonStep(input: DaemonInput): DaemonStep {
  const eligible = input.eligible ?? (() => true);
  const active = input.draining ? [] : input.instances.filter((i) => i.record.status === 'ACTIVE' && eligible(i));
  const desired = active.length;
  const { floor } = bounds(desired, input.minimumHealthyPercent, 100);
  const live = input.views.filter((v) => v.live);
  const list = new StopList(live);
  const stop = (v: TaskView, why: StopWhy) => list.stop(v, why);

  const activeArns = new Set(active.map((i) => i.record.containerInstanceArn));
  // Tasks where no daemon task is wanted (DRAINING, gone, or the service is deleted) go at once.
  for (const v of live) {
    if (!activeArns.has(v.task.containerInstanceArn ?? '')) stop(v, v.doom ?? 'draining');
  }
  if (!input.canReplace) return { targets: [], stops: list.stops, desired };

  // Tasks holding a place, by instance: one pass over the tasks, not one per instance.
  const byInstance = new Map<string, TaskView[]>();
  for (const v of input.views) {
    if (v.task.lastStatus === 'STOPPED') continue;
    const arn = v.task.containerInstanceArn ?? '';
    const list = byInstance.get(arn);
    if (list) list.push(v);
    else byInstance.set(arn, [v]);
  }
  const targets: string[] = [];
  const later: TaskView[] = [];
  for (const inst of active) {
    const arn = inst.record.containerInstanceArn;
    const here = byInstance.get(arn) ?? [];
    const liveHere = here.filter((v) => v.live);
    const primary = liveHere.filter((v) => v.task.startedBy === input.primaryId && v.doom !== 'unhealthy');
    const keep = [...primary].sort((a, b) => Number(b.healthy) - Number(a.healthy) || a.task.createdAt - b.task.createdAt)[0];
    for (const v of liveHere) {
      if (v === keep) continue;
      // Duplicates, unhealthy tasks and old-deployment tasks that are not healthy go at once;
      // a healthy one goes as far as the floor allows.
      if (!v.healthy) stop(v, v.doom ?? 'scale');
      else later.push(v);
    }
    // An instance whose agent is away cannot start a task: launching there would only fail
    // and throttle the whole service (its own task, if any, stays until the instance is lost).
    if (here.length === 0 && input.canLaunch && inst.record.agentConnected) targets.push(arn);
  }
  for (const v of later) {
    if (list.healthy - 1 < floor) break;
    stop(v, 'scale');
  }
  return { targets, stops: list.stops, desired };
}
