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
 * Candidates are bucketed by instance, so each pick looks at instances, not tasks.
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
  const out: TaskView[] = [];
  for (const healthy of [false, true]) pick(candidates.filter((v) => v.healthy === healthy), perZone, perInstance, out);
  return out;
}

interface Bucket {
  readonly zone: string;
  readonly instance: string;
  /** Newest first: among equals, the longest-running tasks have proven themselves and stay. */
  readonly tasks: TaskView[];
}

function pick(candidates: readonly TaskView[], perZone: Map<string, number>, perInstance: Map<string, number>, out: TaskView[]): void {
  const byInstance = new Map<string, Bucket>();
  for (const v of candidates) {
    const instance = v.task.containerInstanceArn ?? '';
    const b = byInstance.get(instance) ?? { zone: v.zone, instance, tasks: [] };
    b.tasks.push(v);
    byInstance.set(instance, b);
  }
  const buckets = [...byInstance.values()];
  for (const b of buckets) b.tasks.sort(newestFirst);
  for (;;) {
    let best: Bucket | undefined;
    for (const b of buckets) if (b.tasks.length && (!best || before(b, best, perZone, perInstance))) best = b;
    if (!best) return;
    out.push(best.tasks.shift() as TaskView);
    perZone.set(best.zone, (perZone.get(best.zone) ?? 1) - 1);
    perInstance.set(best.instance, (perInstance.get(best.instance) ?? 1) - 1);
  }
}

function before(a: Bucket, b: Bucket, perZone: Map<string, number>, perInstance: Map<string, number>): boolean {
  const za = perZone.get(a.zone) ?? 0;
  const zb = perZone.get(b.zone) ?? 0;
  if (za !== zb) return za > zb;
  const ia = perInstance.get(a.instance) ?? 0;
  const ib = perInstance.get(b.instance) ?? 0;
  if (ia !== ib) return ia > ib;
  return newestFirst(a.tasks[0]!, b.tasks[0]!) < 0;
}

function newestFirst(a: TaskView, b: TaskView): number {
  if (a.task.createdAt !== b.task.createdAt) return b.task.createdAt - a.task.createdAt;
  return a.task.id < b.task.id ? 1 : a.task.id > b.task.id ? -1 : 0;
}
