/**
 * The pure placement loop, the scheduler benchmark's baseline: the same requests RunTask
 * gets (count N, one strategy), placed on the same cluster snapshot in this process, with
 * no HTTP, no store and no agent. Each plan's placements are taken off the snapshot before
 * the next request, as committing them would.
 *
 * The engine is `place(snapshot, request, now, rng)` from src/scheduler/place.ts, or a
 * placement session (`openSession`, src/scheduler/session-fast.ts) that keeps the working
 * copy and each request shape's candidates between requests, as the placer does.
 */
import { place } from '../../src/scheduler/place.ts';
import { openSession } from '../../src/scheduler/session-fast.ts';
import { seededRandom } from '../../src/lib/seeded-random.ts';
import type { Demand, PlacementInstance, PlacementRequest, PlacementSnapshot, PlacementStrategy, Plan, Rng } from '../../src/scheduler/types.ts';

export type PlaceFn = (snapshot: PlacementSnapshot, request: PlacementRequest, now: number, rng: Rng) => Plan;

export interface Engine {
  /** What ran: "place()" or "first-fit (this build has no src/scheduler/place.ts: strategies not applied)". */
  readonly name: string;
  readonly strategies: boolean;
  place(snapshot: PlacementSnapshot, request: PlacementRequest, now: number, rng: Rng): Plan;
}

/** The placement engine, `place()` from src/scheduler/place.ts. */
export async function loadEngine(): Promise<Engine> {
  return { name: 'place()', strategies: true, place };
}

export interface SnapshotInstance {
  readonly containerInstanceArn: string;
  readonly zone: string;
  readonly cpu: number;
  readonly memory: number;
  /** Tasks already on it, each of `taskDemand`, in `group`. */
  readonly tasks: number;
}

/** The cluster as placement sees it: each instance with what its tasks left, in registration order. */
export function buildSnapshot(instances: readonly SnapshotInstance[], taskDemand: { cpu: number; memory: number }, group: string, registeredAt: number): PlacementInstance[] {
  return instances.map((i) => ({
    arn: i.containerInstanceArn,
    id: i.containerInstanceArn.slice(i.containerInstanceArn.lastIndexOf('/') + 1),
    status: 'ACTIVE',
    agentConnected: true,
    registeredAt,
    attributes: new Map<string, string | undefined>([
      ['ecs.availability-zone', i.zone], ['ecs.instance-type', 'simulated.large'], ['ecs.os-type', 'linux'], ['ecs.cpu-architecture', 'x86_64'],
    ]),
    cpu: i.cpu - i.tasks * taskDemand.cpu,
    memory: i.memory - i.tasks * taskDemand.memory,
    eni: 0,
    portsInUse: new Set<string>(),
    groups: new Map([[group, i.tasks]]),
    taskCount: i.tasks,
  }));
}

export interface PureResult {
  readonly placed: number;
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * Places `requests` requests of `count` tasks each, in a loop, on a working copy of
 * `instances`, for at most `maxSeconds`; each placement is taken off the copy before the
 * next request, and a full copy is replaced by a fresh one. A seeded generator stands in
 * for randomness.
 */
export function pureLoop(engine: Engine, instances: readonly PlacementInstance[], demand: Demand, strategy: readonly PlacementStrategy[], group: string, count: number, requests: number, maxSeconds: number): PureResult {
  let pool = [...instances];
  const index = new Map(pool.map((p, n) => [p.arn, n]));
  const rng = seeded(14);
  const request: PlacementRequest = { count, demand, group, constraints: [], strategy };
  let placed = 0;
  let done = 0;
  let fresh = true;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  while (done < requests && performance.now() < deadline) {
    const plan = engine.place({ instances: pool }, request, Date.now() / 1000, rng);
    for (const arn of plan.placements) {
      const n = index.get(arn)!;
      const i = pool[n]!;
      const groups = new Map(i.groups);
      groups.set(group, (groups.get(group) ?? 0) + 1);
      const portsInUse = demand.ports.length ? new Set([...i.portsInUse, ...demand.ports]) : i.portsInUse;
      pool[n] = { ...i, cpu: i.cpu - demand.cpu, memory: i.memory - demand.memory, portsInUse, groups, taskCount: i.taskCount + 1 };
    }
    placed += plan.placements.length;
    done++;
    if (plan.placements.length < count) {
      // The cluster is full: start over from the snapshot (a run longer than the cluster's room
      // still measures placing on it). A fresh snapshot that cannot take one request ends the run.
      if (fresh) break;
      pool = [...instances];
      fresh = true;
      continue;
    }
    fresh = false;
  }
  const seconds = (performance.now() - start) / 1000;
  return { placed, requests: done, seconds, perSecond: placed / seconds };
}

/**
 * The same loop on one placement session opened on `instances`: each request sees what the
 * previous ones took without a copy of the snapshot; a full session is replaced by a fresh
 * one (opened in the measured time, as the first request's shape is built in it).
 */
export function sessionLoop(instances: readonly PlacementInstance[], demand: Demand, strategy: readonly PlacementStrategy[], group: string, count: number, requests: number, maxSeconds: number): PureResult {
  const rng = seeded(14);
  const request: PlacementRequest = { count, demand, group, constraints: [], strategy };
  let session = openSession({ instances });
  let placed = 0;
  let done = 0;
  let fresh = true;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  while (done < requests && performance.now() < deadline) {
    const plan = session.place(request, Date.now() / 1000, rng);
    placed += plan.placements.length;
    done++;
    if (plan.placements.length < count) {
      if (fresh) break;
      session = openSession({ instances });
      fresh = true;
      continue;
    }
    fresh = false;
  }
  const seconds = (performance.now() - start) / 1000;
  return { placed, requests: done, seconds, perSecond: placed / seconds };
}

/** A seeded generator, so runs place alike. */
const seeded = (seed: number): Rng => seededRandom(seed);

/** The strategies the benchmark measures, as RunTask's placementStrategy and as place() takes them. */
export const STRATEGIES: Readonly<Record<'binpack' | 'spread', readonly PlacementStrategy[]>> = {
  binpack: [{ type: 'binpack', field: 'memory' }],
  spread: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }],
};

