/**
 * Pods waiting for a node: the pods backend makes each pod's task in POD_ECS_CLUSTER with no
 * host (core/kube/pod/hosting.ts); this reconciler asks the placer to place them (the
 * placer's pod steps: src/scheduler/placer-pods.ts), as kube-scheduler takes pods from its
 * queue. A pod no node fits is told why in its status (PodScheduled False, Unschedulable)
 * and tried again when the cluster changes (a node joins, is labelled, uncordoned, a task
 * ends) and, since capacity freed elsewhere may not change this cluster's records, on a
 * back-off timer.
 *
 *   cluster snapshot (POD_ECS_CLUSTER) ─▶ tasksWhere({ instanceArn: UNPLACED })  (an index: no walk)
 *     ├ a pod task desired STOPPED, not STOPPED ─▶ STOPPED (it never ran: fargate-pending's stopUnplaced)
 *     ├ waiting pod tasks ─▶ one launch { pods: ids } (at most MAX_PODS_PER_PASS in all; the rest next pass)
 *     └ waiting Fargate pod tasks (launchType FARGATE: a Fargate profile selected them) ─▶ one
 *       launch { pods: ids, launchType: FARGATE }: the placer places them on the Fargate pool
 *   wakeAt: now + podBackoffMs(age of the oldest waiting pod): 1 s, 2 s, 4 s, 8 s, then every 10 s
 */
import { UNPLACED, type ClusterSnapshot } from '../cluster/types.ts';
import { isPodTask, POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { stopUnplaced } from './fargate-pending.ts';
import type { Action, ReconcileResult, Reconciler } from './types.ts';

/** kube-scheduler's podInitialBackoffDuration: the first retry of an unschedulable pod. */
export const POD_INITIAL_BACKOFF_MS = 1_000;
/** kube-scheduler's podMaxBackoffDuration: the longest wait between retries of one pod. */
export const POD_MAX_BACKOFF_MS = 10_000;
/**
 * Waiting pods one pass asks the placer to place, at most (the rest next pass): each is two
 * store reads and one session placement, so a pass stays well under a placement batch's
 * cost (MAX_BATCH_TASKS).
 */
export const MAX_PODS_PER_PASS = 500;

export function podPendingReconciler(): Reconciler {
  return { name: 'pod-pending', reconcile: reconcilePodPending };
}

/**
 * The retry delay of a pod waiting `ageMs`: doubling from POD_INITIAL_BACKOFF_MS with its
 * age, at most POD_MAX_BACKOFF_MS. Read from the age, so the pure reconciler keeps no count
 * of attempts and a restarted control plane backs off as the one before it did.
 */
export function podBackoffMs(ageMs: number): number {
  let delay = POD_INITIAL_BACKOFF_MS;
  while (delay * 2 <= ageMs && delay < POD_MAX_BACKOFF_MS) delay *= 2;
  return Math.min(delay, POD_MAX_BACKOFF_MS);
}

export function reconcilePodPending(snapshot: ClusterSnapshot, now: number): ReconcileResult {
  if (snapshot.cluster !== POD_ECS_CLUSTER) return { actions: [] };
  const actions: Action[] = [];
  // Pods for the node groups' hosts, and pods a Fargate profile selected (placed on the Fargate pool).
  const ids: string[] = [];
  const fargate: string[] = [];
  let oldest = Infinity;
  for (const t of snapshot.tasksWhere({ instanceArn: UNPLACED })) {
    // An ECS task waiting for spot capacity is fargate-pending's.
    if (!isPodTask(t) || t.lastStatus === 'STOPPED') continue;
    if (t.desiredStatus === 'STOPPED') {
      actions.push(stopUnplaced(t));
      continue;
    }
    if (ids.length + fargate.length >= MAX_PODS_PER_PASS) continue;
    (t.launchType === 'FARGATE' ? fargate : ids).push(t.id);
    oldest = Math.min(oldest, t.createdAt * 1000);
  }
  if (ids.length + fargate.length === 0) return { actions };
  const at = Math.floor(now / 1000);
  if (ids.length > 0) {
    actions.push({
      type: 'launch',
      why: `${ids.length} pod(s) waiting for a node: place them where they fit, or say why none does`,
      launch: { scope: snapshot.scope, cluster: snapshot.cluster, taskDefinitionArn: '', count: ids.length, pods: ids, now: at },
    });
  }
  if (fargate.length > 0) {
    actions.push({
      type: 'launch',
      why: `${fargate.length} pod(s) of a Fargate profile waiting for Fargate capacity: place each in a sandbox of the Fargate pool`,
      launch: { scope: snapshot.scope, cluster: snapshot.cluster, taskDefinitionArn: '', count: fargate.length, pods: fargate, launchType: 'FARGATE', now: at },
    });
  }
  return { actions, wakeAt: now + podBackoffMs(Math.max(0, now - oldest)) };
}
