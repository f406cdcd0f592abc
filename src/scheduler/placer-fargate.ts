/**
 * Fargate placement, pure: which launches go to the Fargate pool, what they ask of it, and
 * how FARGATE_SPOT's per-zone capacity (SpotSettings.capacity) narrows the pool's zones.
 *
 *   launch ─ isFargateLaunch (launchType FARGATE, or a strategy of FARGATE / FARGATE_SPOT,
 *   │        given or the cluster's default) ─▶ batched on the POOL (one per region)
 *   ▼
 *   fargateRequest: the task-level cpu and memory, one ENI slot; no ports (each task has
 *   │  its own IP), no attributes, constraints or strategies of the user's (the API refuses
 *   │  them); the group qualified by its cluster (poolTaskGroup); FARGATE_STRATEGY
 *   ▼
 *   FARGATE_SPOT: spotRoom (zone → room left) ─▶ zonesFull ─▶ one memberOf constraint
 *   keeping the full zones out, a task at a time while some zone is limited
 *
 * Not placed: FARGATE answers AWS's failure (FARGATE_CAPACITY_UNAVAILABLE); a FARGATE_SPOT
 * task is created and waits in PROVISIONING with no host, as AWS's do (placed later by the
 * fargate-pending reconciler, src/controllers/fargate-pending.ts).
 */
import { kindOf } from '../core/ecs/capacity-provider.ts';
import { poolTaskGroup, SPOT_TASKS_GROUP } from '../core/ecs/fargate.ts';
import { demandOf, type TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { StrategyCluster } from './capacity-strategy.ts';
import type { Launch } from './launch.ts';
import type { PlacementConstraint, PlacementInstance, PlacementRequest, PlacementStrategy } from './types.ts';

/**
 * How Fargate tasks are spread over the pool: across availability zones first (AWS spreads a
 * service's Fargate tasks over the zones of its subnets, and RunTask's over the zones it can),
 * then packed by memory inside a zone, so a host stays whole for a large task as long as
 * smaller ones fit beside others.
 */
export const FARGATE_STRATEGY: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'binpack', field: 'memory' },
];

/**
 * A FARGATE task the pool has no room for: RunTask answers it as a failure with AWS's reason
 * (AWS Knowledge Center, "ecs-fargate-runtask-capacity").
 */
export const FARGATE_CAPACITY_UNAVAILABLE = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/** The zone attribute every agent registers (ecs.availability-zone). */
const ZONE = 'ecs.availability-zone';

/** A launch the Fargate pool serves: launchType FARGATE, or a strategy (given, else the cluster's default) of Fargate providers. */
export function isFargateLaunch(l: Pick<Launch, 'launchType' | 'capacityProviderStrategy' | 'targets' | 'waiting' | 'pods'>, cluster: StrategyCluster | undefined): boolean {
  // Pods wait on their cluster's nodes whatever its default strategy (placer-pods.ts), but
  // those a Fargate profile selected (launchType FARGATE) go to the pool.
  if (l.pods?.length) return l.launchType === 'FARGATE';
  if (l.targets) return false;
  if (l.waiting?.length) return true;
  if (l.launchType !== undefined) return l.launchType === 'FARGATE';
  const strategy = l.capacityProviderStrategy?.length ? l.capacityProviderStrategy : cluster?.defaultCapacityProviderStrategy ?? [];
  return strategy.length > 0 && strategy.every((i) => kindOf(i.capacityProvider)?.launchType === 'FARGATE');
}

/** What a Fargate launch asks of the pool for `count` tasks. */
export function fargateRequest(l: Launch, td: TaskDefinitionRecord, group: string, count: number): PlacementRequest {
  const d = demandOf(td, l.overrides ?? {});
  return {
    count,
    demand: { cpu: d.cpu, memory: d.memory, ports: [], requiredAttributes: [], eni: true },
    group: poolTaskGroup(l.scope, l.cluster, group),
    constraints: [],
    strategy: FARGATE_STRATEGY,
  };
}

/**
 * Room left for FARGATE_SPOT tasks per limited zone: its capacity less the spot tasks its
 * hosts run (of every cluster). Zones the settings do not name have no limit and no entry.
 */
export function spotRoom(pool: readonly PlacementInstance[], capacity: Readonly<Record<string, number>>): Map<string, number> {
  const room = new Map<string, number>(Object.entries(capacity));
  if (room.size === 0) return room;
  for (const i of pool) {
    const zone = i.attributes.get(ZONE);
    const spot = i.groups.get(SPOT_TASKS_GROUP) ?? 0;
    if (zone !== undefined && room.has(zone)) room.set(zone, room.get(zone)! - spot);
  }
  return room;
}

/** The zones with no spot room left. */
export function zonesFull(room: ReadonlyMap<string, number>): string[] {
  return [...room].filter(([, n]) => n <= 0).map(([z]) => z).sort();
}

/** The constraint that keeps the full zones out of a FARGATE_SPOT request (none when no zone is full). */
export function spotConstraints(full: readonly string[]): PlacementConstraint[] {
  return full.length === 0 ? [] : [{ type: 'memberOf', expression: `attribute:${ZONE} not_in [${full.join(', ')}]` }];
}

/**
 * A waiting FARGATE_SPOT task placed at last: on `instance`, in its zone, with its CPU
 * architecture, as a task placed at launch records them.
 */
export function placeWaiting(t: TaskRecord, instance: PlacementInstance): TaskRecord {
  const zone = zoneOf(instance);
  const arch = instance.attributes.get('ecs.cpu-architecture');
  return {
    ...t,
    containerInstanceArn: instance.arn,
    ...(zone !== undefined && { availabilityZone: zone }),
    ...(arch !== undefined && { attributes: [...(t.attributes ?? []).filter((a) => a.name !== 'ecs.cpu-architecture'), { name: 'ecs.cpu-architecture', value: arch }] }),
    version: t.version + 1,
  };
}

/** A task still waiting for spot capacity: created by a Fargate launch, on no host, not told to stop. */
export function isWaiting(t: Pick<TaskRecord, 'launchType' | 'containerInstanceArn' | 'lastStatus' | 'desiredStatus'>): boolean {
  return t.launchType === 'FARGATE' && t.containerInstanceArn === undefined && t.lastStatus === 'PROVISIONING' && t.desiredStatus === 'RUNNING';
}

/** The zone of a pool host (its ecs.availability-zone), if it registered one. */
export function zoneOf(i: PlacementInstance): string | undefined {
  return i.attributes.get(ZONE);
}
