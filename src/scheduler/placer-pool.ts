/**
 * The placer's steps on the Fargate pool (placer.ts batches Fargate launches of every
 * cluster of a region on the pool's session; placer-fargate.ts has the pure vocabulary):
 *
 *   planFargate: FARGATE / FARGATE_SPOT split (base, weight) ─▶ each share on the pool
 *     ├ FARGATE_SPOT with limited zones: a task at a time, full zones kept out
 *     ├ not placed, FARGATE: AWS's capacity failure
 *     └ not placed, FARGATE_SPOT: the task is made anyway, waiting (PROVISIONING, no host)
 *   planWaiting: waiting tasks (the fargate-pending reconciler's launch) placed as they are
 *
 * Pure over the session: the session takes what it places; the placer commits.
 */
import { ecsArn, type Scope } from '../core/ecs/scope.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { resolveStrategy, runningByProvider, splitLaunch, type ProviderTask } from './capacity-strategy.ts';
import type { ClusterRecord } from '../core/ecs/cluster.ts';
import type { Launch } from './launch.ts';
import { buildTask, groupOf } from './placer-build.ts';
import { FARGATE_CAPACITY_UNAVAILABLE, fargateRequest, placeWaiting, spotConstraints, spotRoom, zoneOf, zonesFull } from './placer-fargate.ts';
import type { HeldTask, PlacerDeps } from './placer-deps.ts';
import type { PlacementSession } from './session.ts';
import type { Store } from '../store/store.ts';
import { readTask, taskPins } from '../core/workload/task-store.ts';
import { isWaiting } from './placer-fargate.ts';
import type { Failure, PlacementInstance } from './types.ts';

/**
 * The tasks one Fargate launch starts, placed on the pool's session: ECS's base/weight split
 * between FARGATE and FARGATE_SPOT (or one share for launchType FARGATE), each share on the
 * pool's hosts (placer-fargate.ts). FARGATE tasks that find no room are failures with AWS's
 * reason; FARGATE_SPOT ones are created waiting in PROVISIONING with no host (a zone's spot
 * capacity, `spot`, counts the spot tasks its hosts already run).
 */
export function planFargate(
  deps: PlacerDeps, session: PlacementSession, pool: { scope: Scope; cluster: string }, touched: Set<string>, l: Launch, td: TaskDefinitionRecord,
  groupTasks: Iterable<ProviderTask>, cluster: ClusterRecord, spot: Readonly<Record<string, number>>,
): { tasks: TaskRecord[]; failures: Failure[] } {
  const group = groupOf(l, td);
  const resolved = resolveStrategy({ ...(l.launchType !== undefined && { launchType: l.launchType }), ...(l.capacityProviderStrategy !== undefined && { capacityProviderStrategy: l.capacityProviderStrategy }) }, cluster);
  const shares: { capacityProvider?: string; count: number }[] = resolved.kind === 'strategy'
    ? splitLaunch(resolved.strategy, l.count, runningByProvider(groupTasks, group))
    : [{ count: l.count }];
  const launch = { ...l, launchType: 'FARGATE' as const };
  const tasks: TaskRecord[] = [];
  const failures: Failure[] = [];
  // Spot room per limited zone, as of this session (less what this launch takes).
  const room = Object.keys(spot).length > 0 ? spotRoom(session.snapshot().instances, spot) : new Map<string, number>();
  for (const share of shares) {
    const isSpot = share.capacityProvider === 'FARGATE_SPOT';
    const placed: string[] = [];
    if (isSpot && room.size > 0) {
      // A task at a time: each may fill a zone, which the next must then avoid.
      for (let n = 0; n < share.count; n++) {
        const request = { ...fargateRequest(l, td, group, 1), constraints: spotConstraints(zonesFull(room)) };
        const [arn] = session.place(request, l.now, deps.rng).placements;
        if (arn === undefined) break;
        placed.push(arn);
        const zone = zoneOf(poolInstance(deps, pool, arn));
        if (zone !== undefined && room.has(zone)) room.set(zone, room.get(zone)! - 1);
      }
    } else {
      placed.push(...session.place(fargateRequest(l, td, group, share.count), l.now, deps.rng).placements);
    }
    for (const arn of placed) {
      touched.add(arn);
      tasks.push(buildTask(launch, td, poolInstance(deps, pool, arn), group, deps.ids, share.capacityProvider));
    }
    const missing = share.count - placed.length;
    if (missing <= 0) continue;
    if (isSpot) {
      // AWS: with no spot capacity, FARGATE_SPOT tasks wait in PROVISIONING.
      for (let n = 0; n < missing; n++) tasks.push(buildTask(launch, td, undefined, group, deps.ids, share.capacityProvider));
    } else {
      failures.push({ arn: ecsArn(l.scope, `cluster/${l.cluster}`), reason: FARGATE_CAPACITY_UNAVAILABLE });
    }
  }
  return { tasks, failures };
}

/**
 * Waiting FARGATE_SPOT tasks placed on the pool, one at a time (each asks its own cpu and
 * memory) and within the zones' spot room; those that still find none keep waiting.
 */
export function planWaiting(
  deps: PlacerDeps, session: PlacementSession, pool: { scope: Scope; cluster: string }, touched: Set<string>, l: Launch, td: TaskDefinitionRecord,
  held: readonly HeldTask[], spot: Readonly<Record<string, number>>,
): { tasks: TaskRecord[]; failures: Failure[] } {
  const room = Object.keys(spot).length > 0 ? spotRoom(session.snapshot().instances, spot) : new Map<string, number>();
  const tasks: TaskRecord[] = [];
  for (const { task } of held) {
    const base = fargateRequest(l, td, task.group, 1);
    const request = { ...base, demand: { ...base.demand, cpu: Number(task.cpu ?? 0) || 0, memory: Number(task.memory ?? 0) || 0 }, constraints: spotConstraints(zonesFull(room)) };
    const [arn] = session.place(request, l.now, deps.rng).placements;
    if (arn === undefined) continue;
    touched.add(arn);
    const instance = poolInstance(deps, pool, arn);
    const zone = zoneOf(instance);
    if (zone !== undefined && room.has(zone)) room.set(zone, room.get(zone)! - 1);
    tasks.push(placeWaiting(task, instance));
  }
  return { tasks, failures: [] };
}

/** The state's view of a pool host the session placed on (its zone and architecture are what a task records). */
function poolInstance(deps: PlacerDeps, pool: { scope: Scope; cluster: string }, arn: string): PlacementInstance {
  const instance = deps.state.placementInstance(pool, arn);
  // Not an ApiError: the batch drops the session, which reopens from the snapshot.
  if (!instance) throw new Error(`placer: the session placed on ${arn}, which the Fargate pool no longer has`);
  return instance;
}

/** The launch's waiting tasks as stored now, those still waiting (a task stopped or placed meanwhile is left out). */
export async function readWaiting(store: Store, l: Launch): Promise<HeldTask[]> {
  const out: HeldTask[] = [];
  for (const id of l.waiting ?? []) {
    const held = await readTask(store, { scope: l.scope, cluster: l.cluster, id });
    if (held && isWaiting(held.record)) out.push({ task: held.record, pins: taskPins(held) });
  }
  return out;
}
