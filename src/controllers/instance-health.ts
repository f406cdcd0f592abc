/**
 * Instance health: what happens to a container instance whose agent went away. The gateway
 * only records when a session ended (`agentDisconnectedAt`) and clears it at the next hello;
 * this reconciler owns the clock. Once DISCONNECT_GRACE_MS has passed without a new session:
 *
 * - the instance is shown `agentConnected: false` (placement skips it: AGENT);
 * - its service tasks (group `service:*`) are ended — desired and last status STOPPED — so
 *   the service reconciler replaces them on other instances. Standalone tasks are left
 *   alone, as ECS leaves them: nobody would replace them, and the agent may come back.
 *
 * When the agent comes back, its hello snapshot no longer lists the ended tasks, and the
 * agent stops their containers (a task absent from the snapshot is stopped); its late
 * reports cannot revive them (applyReport ignores reports on a STOPPED task).
 *
 * Every write is pinned to the instance's revision as the snapshot held it: an agent that
 * reconnects in between changes the instance (the gateway clears `agentDisconnectedAt`),
 * the write is refused, and the next pass finds the instance healthy.
 */
import { DISCONNECT_GRACE_MS } from '../agent/protocol.ts';
import type { ClusterSnapshot, InstanceState } from '../cluster/types.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { stoppedByControlPlane, type TaskRecord } from '../core/ecs/task.ts';
import type { Action, ReconcileResult, Reconciler } from './types.ts';

/**
 * Service tasks of lost instances stopped per pass; the rest in the next passes (the pass asks
 * to wake at once; the runner waits MIN_WAKE_DELAY_MS). A lost host of 10,000 tasks, or every
 * instance of a cluster at once, would otherwise be one pass building and applying that many
 * writes while every API call waits behind it.
 */
export const MAX_LOST_TASK_STOPS_PER_PASS = 500;

/** The stop code of a task ended because its instance was lost: the service scheduler stopped it. */
const STOP_CODE = 'ServiceSchedulerInitiated';

export function lostInstanceReason(instance: ContainerInstanceRecord, graceMs: number): string {
  const id = instance.containerInstanceArn.slice(instance.containerInstanceArn.lastIndexOf('/') + 1);
  return `Task stopped because the agent of its container instance ${id} (${instance.ec2InstanceId}) has been disconnected for more than ${graceMs / 1000} seconds; the service scheduler replaces it on another instance.`;
}

/** When this instance's agent session ended, if it has none. */
export function disconnectedAt(i: InstanceState): number | undefined {
  return i.disconnectedAt ?? i.record.agentDisconnectedAt;
}

export function instanceHealthReconciler(graceMs = DISCONNECT_GRACE_MS): Reconciler {
  return {
    name: 'instance-health',
    reconcile: (snapshot, now) => reconcileInstanceHealth(snapshot, now, graceMs),
  };
}

export function reconcileInstanceHealth(snapshot: ClusterSnapshot, now: number, graceMs = DISCONNECT_GRACE_MS, maxStops = MAX_LOST_TASK_STOPS_PER_PASS): ReconcileResult {
  const actions: Action[] = [];
  let wakeAt: number | undefined;
  const lost = new Map<string, InstanceState>();
  for (const inst of snapshot.instances) {
    const since = disconnectedAt(inst);
    if (since === undefined || inst.record.status === 'INACTIVE') continue;
    const deadline = since + graceMs;
    if (now < deadline) {
      wakeAt = Math.min(wakeAt ?? Infinity, deadline);
      continue;
    }
    lost.set(inst.record.containerInstanceArn, inst);
  }
  if (lost.size === 0) return { actions, ...(wakeAt !== undefined && { wakeAt }) };
  // The lost instances' tasks from the index, of every cluster: a lost Fargate pool host's
  // service tasks belong to clusters of any account (their writes go to their own keys).
  // An instance is marked disconnected only in the pass that stopped the last of its service
  // tasks: its write changes the revision the tasks' writes are pinned to.
  const done: InstanceState[] = [];
  let stops = 0;
  for (const [arn, inst] of lost) {
    let all = true;
    for (const t of snapshot.tasksOnInstance(arn)) {
      if (!t.group.startsWith('service:') || t.lastStatus === 'STOPPED') continue;
      if (stops === maxStops) {
        all = false;
        break;
      }
      stops++;
      const reason = lostInstanceReason(inst.record, graceMs);
      actions.push({
        type: 'update',
        key: t.key,
        // Its agent cannot report: the control plane writes its status too.
        task: 'both',
        // Pinned to the instance as read: a reconnect in between refuses the write.
        if: [{ key: inst.key, modRevision: inst.modRevision }],
        why: `service task ${t.id} on lost instance ${inst.record.containerInstanceArn}: stopped`,
        change: (cur, at) => {
          const task = cur as TaskRecord | undefined;
          if (!task || task.lastStatus === 'STOPPED' || task.containerInstanceArn !== inst.record.containerInstanceArn) return undefined;
          return stoppedByControlPlane(task, at / 1000, { stopCode: STOP_CODE, stoppedReason: reason });
        },
      });
    }
    if (!all) {
      // More to stop: the next pass, at once (its snapshot shows these stopped).
      wakeAt = now;
      break;
    }
    done.push(inst);
  }
  // After the tasks: this write changes the instance's revision, which the tasks' writes are pinned to.
  for (const inst of done) {
    if (!inst.record.agentConnected) continue;
    const since = disconnectedAt(inst);
    actions.push({
      type: 'update',
      key: inst.key,
      why: `agent of ${inst.record.containerInstanceArn} gone for more than ${graceMs / 1000} s: agentConnected false`,
      // Re-checked on the current record: a hello in between cleared agentDisconnectedAt.
      change: (cur) => {
        const c = cur as ContainerInstanceRecord | undefined;
        return c && c.agentConnected && c.agentDisconnectedAt === since ? { ...c, agentConnected: false } : undefined;
      },
    });
  }
  return { actions, ...(wakeAt !== undefined && { wakeAt }) };
}
