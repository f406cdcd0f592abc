/**
 * Fargate Spot tasks waiting for capacity: a FARGATE_SPOT task that found no spot room in
 * any zone (SpotSettings.capacity) or no room on the pool is created anyway and waits in
 * PROVISIONING on no host, as AWS's do (src/scheduler/placer-fargate.ts). This reconciler
 * places it when room frees, and ends it when it is told to stop before it was placed
 * (no agent will ever report it).
 *
 *   cluster snapshot ─▶ tasksWhere({ instanceArn: UNPLACED })   (an index: no walk)
 *     ├ desired STOPPED, not STOPPED ─▶ update: STOPPED (StopTask's stop code and reason kept)
 *     └ waiting (PROVISIONING, desired RUNNING) ─▶ launch { waiting: ids } per definition and
 *       group: the placer places each as it is, or leaves it waiting
 *   wakeAt: room may free in another cluster (its tasks stop on a shared pool host), which
 *   does not change this cluster: while tasks wait, look again every PENDING_RETRY_MS
 */
import { UNPLACED, type ClusterSnapshot, type TaskSummary } from '../cluster/types.ts';
import { isPodTask } from '../core/kube/pod/hosting.ts';
import { stoppedByControlPlane, type TaskRecord } from '../core/ecs/task.ts';
import type { Action, ReconcileResult, Reconciler } from './types.ts';

/**
 * How often waiting tasks are tried again when nothing in their cluster changed: capacity
 * freed on the pool by another cluster, or a zone's spot capacity raised, is seen within this.
 */
export const PENDING_RETRY_MS = 2_000;
/**
 * Waiting tasks one pass asks the placer to place, at most (the rest next pass): each is one
 * store read and one session placement, so a pass stays well under a batch's cost.
 */
export const MAX_WAITING_PER_PASS = 500;

export function fargatePendingReconciler(): Reconciler {
  return { name: 'fargate-pending', reconcile: reconcileFargatePending };
}

export function reconcileFargatePending(snapshot: ClusterSnapshot, now: number): ReconcileResult {
  const actions: Action[] = [];
  const groups = new Map<string, { taskDefinitionArn: string; group: string; ids: string[] }>();
  let asked = 0;
  for (const t of snapshot.tasksWhere({ instanceArn: UNPLACED })) {
    // A pod's task waits for a node, not for spot capacity: pod-pending.ts places it.
    if (t.launchType !== 'FARGATE' || t.lastStatus === 'STOPPED' || isPodTask(t)) continue;
    if (t.desiredStatus === 'STOPPED') {
      actions.push(stopUnplaced(t));
      continue;
    }
    if (t.lastStatus !== 'PROVISIONING' || asked >= MAX_WAITING_PER_PASS) continue;
    asked++;
    const k = `${t.taskDefinitionArn} ${t.group}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { taskDefinitionArn: t.taskDefinitionArn, group: t.group, ids: [] }));
    g.ids.push(t.id);
  }
  for (const g of groups.values()) {
    actions.push({
      type: 'launch',
      why: `${g.ids.length} ${g.group} task(s) waiting for Fargate Spot capacity: place them if there is room`,
      launch: {
        scope: snapshot.scope, cluster: snapshot.cluster, taskDefinitionArn: g.taskDefinitionArn,
        count: g.ids.length, group: g.group, waiting: g.ids, now: Math.floor(now / 1000),
      },
    });
  }
  return { actions, ...(groups.size > 0 && { wakeAt: now + PENDING_RETRY_MS }) };
}

/** A waiting task told to stop: STOPPED at once (it never ran), keeping StopTask's code and reason (a waiting pod's too: pod-pending.ts). */
export function stopUnplaced(t: TaskSummary): Action {
  return {
    type: 'update',
    key: t.key,
    // No agent ever had it: the control plane writes its status too.
    task: 'both',
    why: `task ${t.id} stopped before it was placed: STOPPED`,
    change: (cur, at) => {
      const task = cur as TaskRecord | undefined;
      // Placed meanwhile: its agent stops it.
      if (!task || task.lastStatus === 'STOPPED' || task.containerInstanceArn !== undefined || task.desiredStatus !== 'STOPPED') return undefined;
      return stoppedByControlPlane(task, at / 1000, { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' });
    },
  };
}
