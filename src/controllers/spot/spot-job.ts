/**
 * The Spot reclaim controller: a PeriodicJob of the controller runner (it decides over every
 * cluster of a region at once, since Spot capacity is the region's zones', not a cluster's).
 * `load()` reads each region's settings and, where they ask for anything, the region's
 * FARGATE_SPOT tasks from the cluster state; `reconcile()` (pure) runs the reclaim model and
 * answers one `update` per task to interrupt (interruptTask: TerminationNotice, desired
 * STOPPED), re-checked on the current record so a task stopped meanwhile is left alone.
 */
import type { ClusterState } from '../../cluster/types.ts';
import { readSpotSettings, type StoredSpotSettings } from '../../core/ecs/spot-settings.ts';
import { interruptTask } from '../../core/ecs/spot-interruption.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import type { Store } from '../../store/store.ts';
import type { Action, PeriodicJob, ReconcileResult } from '../types.ts';
import { reclaim, type SpotTask } from './reclaim.ts';

/** How often the model runs: an interruption lands within a second of its drawn time. */
export const SPOT_PASS_MS = 1_000;
/** The capacity provider whose tasks the platform may take back. */
export const SPOT_PROVIDER = 'FARGATE_SPOT';
const AZ_ATTRIBUTE = 'ecs.availability-zone';

export interface SpotSnapshot {
  readonly regions: readonly { readonly region: string; readonly settings: StoredSpotSettings; readonly tasks: readonly SpotTask[] }[];
}

export function spotReclaimJob({ store, state, everyMs = SPOT_PASS_MS }: { store: Store; state: ClusterState; everyMs?: number }): PeriodicJob<SpotSnapshot> {
  return {
    name: 'spot-reclaim',
    everyMs,
    async load() {
      const regions = [...new Set(state.clusters().map((r) => r.scope.region))].sort();
      const settings = await Promise.all(regions.map((r) => readSpotSettings(store, r)));
      // From here on no await: cluster snapshots are views valid in this turn.
      return { regions: regions.map((region, i) => ({ region, settings: settings[i]!, tasks: active(settings[i]!) ? spotTasksOf(state, region) : [] })) };
    },
    reconcile: reconcileSpot,
  };
}

/** Settings that can interrupt anything: a rate, or a zone limit. */
function active(s: StoredSpotSettings): boolean {
  return s.interruptionsPerHour > 0 || Object.keys(s.capacity).length > 0;
}

/**
 * A region's FARGATE_SPOT tasks desired RUNNING, with the zone of the instance each runs on
 * (its own cluster's, or a Fargate pool host's: both are clusters of the region's state).
 */
export function spotTasksOf(state: ClusterState, region: string): SpotTask[] {
  const refs = state.clusters().filter((r) => r.scope.region === region);
  const zoneOf = new Map<string, string>();
  const out: SpotTask[] = [];
  for (const ref of refs) {
    for (const i of state.snapshot(ref)?.instances ?? []) {
      const az = i.record.attributes.find((a) => a.name === AZ_ATTRIBUTE)?.value;
      if (az !== undefined) zoneOf.set(i.record.containerInstanceArn, az);
    }
  }
  for (const ref of refs) {
    for (const t of state.snapshot(ref)?.tasksWhere({ desiredStatus: 'RUNNING' }) ?? []) {
      if (t.capacityProviderName !== SPOT_PROVIDER || t.lastStatus === 'STOPPED') continue;
      const zone = t.containerInstanceArn === undefined ? undefined : zoneOf.get(t.containerInstanceArn);
      out.push({
        key: t.key, modRevision: t.modRevision, taskArn: t.taskArn, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, createdAt: t.createdAt,
        ...(t.startedAt !== undefined && { startedAt: t.startedAt }), ...(zone !== undefined && { zone }),
      });
    }
  }
  return out;
}

/** Pure: the interruptions due at `now` in every region. */
export function reconcileSpot(snapshot: SpotSnapshot, now: number): ReconcileResult {
  const actions: Action[] = [];
  let wakeAt: number | undefined;
  for (const r of snapshot.regions) {
    const decided = reclaim(r.tasks, r.settings, now);
    if (decided.nextAt !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, decided.nextAt);
    for (const { task, cause } of decided.interrupt) actions.push(interruptionAction(task.key, cause === 'rate' ? 'the Spot interruption rate' : `capacity of zone ${task.zone}`));
  }
  return { actions, ...(wakeAt !== undefined && { wakeAt }) };
}

/** The write of one interruption: re-checked on the record as it is (a task stopped meanwhile is left). */
export function interruptionAction(key: string, cause: string): Action {
  return {
    type: 'update',
    key,
    task: 'spec',
    why: `spot: ${key} interrupted (${cause})`,
    change: (cur) => (cur === undefined ? undefined : interruptTask(cur as TaskRecord)),
  };
}
