/**
 * Which tasks a service stops first when it has more than it wants (developer guide,
 * "Service scheduler concepts"): tasks not yet healthy before healthy ones; then, to keep
 * the service balanced across Availability Zones, a task in the zone that runs the most of
 * the service's tasks, favouring the instance that runs the most of them.
 */
import type { TaskView } from './counts.ts';

/**
 * `candidates` in the order they should be stopped. `all`: every live task of the
 * service, which the zone and instance counts are taken over (each pick lowers them).
 */
export function scaleInOrder(candidates: readonly TaskView[], all: readonly TaskView[]): TaskView[] {
  const perZone = new Map<string, number>();
  const perInstance = new Map<string, number>();
  for (const v of all) {
    if (!v.live) continue;
    perZone.set(v.zone, (perZone.get(v.zone) ?? 0) + 1);
    const i = v.task.containerInstanceArn ?? '';
    perInstance.set(i, (perInstance.get(i) ?? 0) + 1);
  }
  const left = [...candidates];
  const out: TaskView[] = [];
  while (left.length) {
    let best = 0;
    for (let i = 1; i < left.length; i++) if (before(left[i]!, left[best]!, perZone, perInstance)) best = i;
    const [pick] = left.splice(best, 1) as [TaskView];
    out.push(pick);
    perZone.set(pick.zone, (perZone.get(pick.zone) ?? 1) - 1);
    const inst = pick.task.containerInstanceArn ?? '';
    perInstance.set(inst, (perInstance.get(inst) ?? 1) - 1);
  }
  return out;
}

function before(a: TaskView, b: TaskView, perZone: Map<string, number>, perInstance: Map<string, number>): boolean {
  if (a.healthy !== b.healthy) return !a.healthy;
  const za = perZone.get(a.zone) ?? 0;
  const zb = perZone.get(b.zone) ?? 0;
  if (za !== zb) return za > zb;
  const ia = perInstance.get(a.task.containerInstanceArn ?? '') ?? 0;
  const ib = perInstance.get(b.task.containerInstanceArn ?? '') ?? 0;
  if (ia !== ib) return ia > ib;
  // Newest first among equals: the longest-running tasks have proven themselves.
  return a.task.createdAt !== b.task.createdAt ? a.task.createdAt > b.task.createdAt : a.task.id > b.task.id;
}
