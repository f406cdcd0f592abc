/**
 * Removes deleted pods once nothing of them runs, as the kubelet's final delete does on a
 * node: a pod deleted with a grace period is Terminating (its task desired STOPPED) until its
 * agent reports the task STOPPED; then, with no finalizer left, the pod goes (its task and
 * its name key: core/kube/pod/removal.ts). Its loader takes the STOPPED pod tasks from the
 * cluster state (group `pod:…` of POD_ECS_CLUSTER) and reads only those; the decision is pure.
 * A stopped pod that is not due (a finished Job's pod nobody deleted) stays stopped for as long
 * as retention keeps its task: it is read once, and again only when its spec is written (a
 * delete, a finalizer removed: the summary's modRevision is the spec's), not every run.
 *
 *   cluster state ─▶ STOPPED tasks of group pod:… ─▶ readTaskAt ─▶ removalDue? ─▶ txn (pinned to the spec read)
 */
import type { ClusterState } from '../cluster/types.ts';
import { isPodTask, POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { podRemovalTxn, removalDue } from '../core/kube/pod/removal.ts';
import { readTaskAt } from '../core/workload/task-store.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { TaskStatus } from '../core/workload/status.ts';
import type { Store } from '../store/store.ts';
import { Lru } from '../lib/lru.ts';
import type { PeriodicJob } from './types.ts';

/**
 * How often stopped pods are looked at: the most a `kubectl delete pod` (which waits for the
 * pod to go) waits beyond its containers' stop.
 */
export const POD_REMOVAL_INTERVAL_MS = 1_000;

/** Stopped pod tasks read per run at most (a run after a mass delete takes the rest next time). */
export const MAX_POD_REMOVALS_PER_RUN = 500;

/** Stopped pod tasks remembered as read and not due, with the spec revision read (the oldest forgotten first: read again). */
export const MAX_NOT_DUE_REMEMBERED = 50_000;

export interface PodRemovalSnapshot {
  readonly pods: readonly { readonly key: string; readonly specRevision: number; readonly spec: TaskSpec; readonly status: TaskStatus }[];
}

/** The pods to remove now: deleted, no finalizer left, nothing running. Pure. */
export function podRemovals(snapshot: PodRemovalSnapshot): PodRemovalSnapshot['pods'] {
  return snapshot.pods.filter((p) => removalDue(p.spec, p.status));
}

export function podRemovalJob({ store, state, everyMs = POD_REMOVAL_INTERVAL_MS }: { store: Store; state: ClusterState; everyMs?: number }): PeriodicJob<PodRemovalSnapshot> {
  const notDue = new Lru<string, number>(MAX_NOT_DUE_REMEMBERED);
  return {
    name: 'pod-removal',
    everyMs,
    async load() {
      const pods: PodRemovalSnapshot['pods'][number][] = [];
      for (const ref of state.clusters()) {
        if (ref.cluster !== POD_ECS_CLUSTER) continue;
        for (const t of state.snapshot(ref)?.tasksWhere({ desiredStatus: 'STOPPED' }) ?? []) {
          if (pods.length >= MAX_POD_REMOVALS_PER_RUN) break;
          if (t.lastStatus !== 'STOPPED' || !isPodTask(t) || notDue.get(t.key) === t.modRevision) continue;
          const task = await readTaskAt(store, t.key);
          if (task?.spec?.kube && task.status && removalDue(task.spec, task.status)) pods.push({ key: task.key, specRevision: task.specRevision, spec: task.spec, status: task.status });
          else if (task) notDue.set(t.key, t.modRevision);
        }
      }
      return { pods };
    },
    reconcile(snapshot) {
      return {
        actions: podRemovals(snapshot).map((p) => ({ type: 'txn' as const, txn: podRemovalTxn(p), why: `pod removal: ${p.spec.kube!.namespace}/${p.spec.kube!.name}` })),
      };
    },
  };
}
