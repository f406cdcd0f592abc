/**
 * The two ways a {@link ClusterSnapshot} is made:
 *
 * - `liveSnapshot`: the cluster state's, a view over its indexes. A reconciler of one
 *   service reads that service's tasks through `tasksWhere({ group })` (the by-group index:
 *   O(its tasks)); the whole task list is copied only if someone reads `tasks`. Its lists
 *   are read from the indexes when asked, so it is valid in the turn it was taken: a read
 *   after the state has moved on throws rather than mixing two revisions.
 * - `listSnapshot`: a snapshot of plain lists (fakes and tests), `tasksWhere` by filtering.
 */
import type { ClusterRecord } from '../core/ecs/cluster.ts';
import type { ServiceRecord } from '../core/ecs/service.ts';
import type { ClusterIndex } from './cluster-index.ts';
import { UNPLACED, type ClusterRef, type ClusterSnapshot, type Held, type InstanceState, type TaskFilter, type TaskSummary } from './types.ts';

/** Whether `t` matches every filter given (the same rules as the cluster state's `tasks()`). */
export function matches(t: TaskSummary, f: TaskFilter): boolean {
  return (f.instanceArn === undefined || (t.containerInstanceArn ?? UNPLACED) === f.instanceArn)
    && (f.group === undefined || t.group === f.group)
    && (f.startedBy === undefined || t.startedBy === f.startedBy)
    && (f.family === undefined || t.family === f.family)
    && (f.desiredStatus === undefined || t.desiredStatus === f.desiredStatus)
    && (f.after === undefined || t.id > f.after);
}

/**
 * A view of one cluster's indexes at `revision`. `current()` is the state's revision now:
 * a read of the task lists once it differs from the snapshot's is a reader's bug (it kept
 * the snapshot across an await), said at once.
 */
export function liveSnapshot(ref: ClusterRef, ix: ClusterIndex, clusterRecord: Held<ClusterRecord>, revision: number, current: () => number): ClusterSnapshot {
  const check = (what: string) => {
    if (current() !== revision) throw new Error(`a cluster snapshot of ${ref.cluster} at revision ${revision} was read (${what}) after the state moved to ${current()}: take a new snapshot in the turn that reads it`);
  };
  let tasks: readonly TaskSummary[] | undefined;
  return {
    scope: ref.scope,
    cluster: ref.cluster,
    revision,
    clusterRecord,
    instances: ix.instances(),
    services: ix.services(),
    get tasks() {
      if (tasks) return tasks;
      check('tasks');
      return (tasks = ix.taskList());
    },
    tasksWhere(filter) {
      check('tasksWhere');
      return ix.taskArray(filter);
    },
    groupVersion(group) {
      check('groupVersion');
      return ix.groupVersion(group);
    },
    tasksOnInstance(instanceArn) {
      check('tasksOnInstance');
      return [...ix.tasksOn(instanceArn)];
    },
  };
}

export interface SnapshotLists extends ClusterRef {
  readonly revision: number;
  readonly clusterRecord: Held<ClusterRecord>;
  readonly instances: readonly InstanceState[];
  readonly tasks: readonly TaskSummary[];
  readonly services: readonly Held<ServiceRecord>[];
}

/**
 * A snapshot of plain lists: `tasksWhere` filters `tasks` (in id order, as the indexes answer);
 * `tasksOnInstance` reads `tasks` and the other clusters' tasks given in `foreign`.
 */
export function listSnapshot(s: SnapshotLists & { readonly foreign?: readonly TaskSummary[] }): ClusterSnapshot {
  const { foreign = [], ...lists } = s;
  return {
    ...lists,
    tasksOnInstance: (arn) => [...s.tasks, ...foreign].filter((t) => t.containerInstanceArn === arn && t.lastStatus !== 'STOPPED'),
    tasksWhere: (filter) => s.tasks.filter((t) => matches(t, filter)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    // Plain lists hold no history: a fingerprint of the group's tasks (their count and the
    // newest revision, which any write raises and any removal changes with the count) and
    // never equal to the last snapshot's unless the group is (revisions only grow).
    groupVersion: (group) => {
      let n = 0;
      let newest = 0;
      for (const t of s.tasks) if (t.group === group) { n++; newest = Math.max(newest, t.modRevision); }
      return newest * 1_000_003 + n;
    },
  };
}
