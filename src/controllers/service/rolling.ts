/**
 * One pass of a REPLICA rolling update (developer guide, "Deploy Amazon ECS services by
 * replacing tasks"): how many tasks of the PRIMARY deployment to start and which tasks to
 * stop, such that what this pass does never takes the healthy count under the floor nor
 * the count of tasks holding a place over the ceiling:
 *
 *   floor   = ceil(desired × minimumHealthyPercent / 100)
 *   ceiling = floor(desired × maximumPercent / 100)
 *
 * A task being stopped still holds its place until it is STOPPED, so this pass's starts
 * are counted against the places left after last pass's stops completed.
 */
import type { TaskView } from './counts.ts';
import { scaleInOrder } from './scale-in.ts';

export type StopWhy = 'scale' | 'draining' | 'unhealthy' | 'lost';

export interface Stop {
  readonly view: TaskView;
  readonly why: StopWhy;
}

/**
 * The tasks a pass stops, each once, and how many healthy tasks remain after them: the
 * number the floor (minimumHealthyPercent) is checked against before each further stop.
 */
export class StopList {
  readonly stops: Stop[] = [];
  readonly #stopping = new Set<TaskView>();
  #healthy: number;
  constructor(live: readonly TaskView[]) {
    this.#healthy = live.filter((v) => v.healthy).length;
  }
  get healthy(): number {
    return this.#healthy;
  }
  has(v: TaskView): boolean {
    return this.#stopping.has(v);
  }
  stop(v: TaskView, why: StopWhy): void {
    if (this.#stopping.has(v)) return;
    this.#stopping.add(v);
    this.stops.push({ view: v, why });
    if (v.healthy) this.#healthy--;
  }
}

export interface StepInput {
  readonly desired: number;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  /** Every task of the service (all deployments), STOPPED ones included. */
  readonly views: readonly TaskView[];
  readonly primaryId: string;
  /** Older deployments, oldest first: their tasks go first. */
  readonly olderIds: readonly string[];
  /** False while throttled or after the PRIMARY failed: nothing is started. */
  readonly canLaunch: boolean;
  /** False after the PRIMARY failed with nothing to roll back to: the service stalls as it is. */
  readonly canReplace: boolean;
}

export interface Step {
  readonly start: number;
  readonly stops: readonly Stop[];
  readonly floor: number;
  readonly ceiling: number;
  /** Neither a start nor a stop is possible and nothing is in flight: the limits forbid any move. */
  readonly blocked: boolean;
}

export function bounds(desired: number, minimumHealthyPercent: number, maximumPercent: number): { floor: number; ceiling: number } {
  // Integer arithmetic first, so 10 × 110 / 100 is 11 and not 11.000000000000002.
  return { floor: Math.ceil((desired * minimumHealthyPercent) / 100), ceiling: Math.floor((desired * maximumPercent) / 100) };
}

export function rollingStep(input: StepInput): Step {
  const { desired, views, primaryId } = input;
  const { floor, ceiling } = bounds(desired, input.minimumHealthyPercent, input.maximumPercent);
  const live = views.filter((v) => v.live);
  const total = views.filter((v) => v.task.lastStatus !== 'STOPPED').length;
  const list = new StopList(live);
  const stop = (v: TaskView, why: StopWhy) => list.stop(v, why);

  const primary = live.filter((v) => v.task.startedBy === primaryId);
  const good = primary.filter((v) => !v.doom);
  const doomed = primary.filter((v) => v.doom);
  const older = live.filter((v) => v.task.startedBy !== primaryId);
  const rank = new Map(input.olderIds.map((id, i) => [id, i]));
  // Tasks of no known deployment (-1) go first, then the oldest deployment's.
  const byAge = (a: TaskView, b: TaskView) => (rank.get(a.task.startedBy ?? '') ?? -1) - (rank.get(b.task.startedBy ?? '') ?? -1);

  const whyOf = (v: TaskView): StopWhy => v.doom ?? 'scale';

  if (input.canReplace) {
    // Excess PRIMARY tasks (scale-in, or duplicates an instance brought back): the order ECS stops them in.
    const excess = good.length - desired;
    // Protected tasks (task scale-in protection) are never chosen: scale-in takes others, or waits.
    const excessTasks = excess > 0 ? scaleInOrder(good.filter((v) => !v.protected), live).slice(0, excess) : [];
    // What must go, in order: older deployments, then doomed PRIMARY tasks, then excess ones.
    const unhealthyDoomed = doomed.filter((v) => v.doom === 'unhealthy');
    const movable = doomed.filter((v) => v.doom !== 'unhealthy');
    // A deployment waits for an older deployment's protected tasks until their protection ends.
    const leaving = [...scaleInOrder(older.filter((v) => !v.protected), live).sort(byAge), ...scaleInOrder(movable, live), ...excessTasks];
    // Tasks that are not healthy can go at once: the floor does not count them.
    for (const v of leaving) if (!v.healthy) stop(v, whyOf(v));
    // An unhealthy task is replaced first when the ceiling allows; it goes once its replacement is in place.
    const replacementsInPlace = Math.max(0, good.length - excessTasks.length + unhealthyDoomed.length - desired);
    for (const v of unhealthyDoomed.slice(0, replacementsInPlace)) stop(v, 'unhealthy');
    // Healthy ones go while the floor holds.
    for (const v of leaving) {
      if (list.has(v) || !v.healthy) continue;
      if (list.healthy - 1 < floor) break;
      stop(v, whyOf(v));
    }
  }

  const want = Math.max(0, desired - good.length);
  const room = Math.max(0, ceiling - total);
  const start = input.canLaunch && input.canReplace ? Math.min(want, room) : 0;

  // When the ceiling leaves no room for a replacement, unhealthy tasks go one at a time to make some.
  if (input.canReplace && start < want && room === 0) {
    const unhealthy = doomed.find((v) => v.doom === 'unhealthy' && !list.has(v));
    if (unhealthy && list.stops.length === 0) stop(unhealthy, 'unhealthy');
  }

  const inFlight = views.some((v) => v.task.lastStatus !== 'STOPPED' && (!v.live || !v.healthy));
  const blocked = input.canLaunch && input.canReplace && want > 0 && start === 0 && list.stops.length === 0 && !inFlight;
  return { start, stops: list.stops, floor, ceiling, blocked };
}
