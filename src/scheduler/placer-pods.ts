/**
 * The placer's steps for pods (the pod-pending reconciler's launch, `Launch.pods`): each pod
 * task waiting with no host is placed on a node of its EKS cluster (pod-fit.ts) and bound,
 * or told why no node takes it, in the same transaction as every placement of its cluster.
 *
 *   readPods: each pod task as stored (spec, status, their revisions), if still waiting
 *   planPods, per pod, on the cluster's session:
 *     request: its reserved cpu/memory (podRequest), host ports, its group; the pod's
 *              cluster and node rules; POD_STRATEGY
 *     ├ placed: spec.placement = the instance (generation + 1), unschedulable cleared:
 *     │         both halves written, pinned to what was read; the agent gets it as any
 *     │         task placed on its instance
 *     └ not:    status.unschedulable = { message (kube-scheduler's FitError), at }, written
 *               only when the message changed (a write wakes the reconciler again)
 */
import type { TaskRecord } from '../core/ecs/task.ts';
import { recordOf } from '../core/ecs/task-model.ts';
import { eksClusterByUid } from '../core/eks/cluster-lookup.ts';
import { unschedulableMessage } from '../core/kube/pod/node-fit.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { TaskStatus } from '../core/workload/status.ts';
import { readTask, splitTaskOps, taskPins, taskStatusOps, type TaskRef, type ValueMemo } from '../core/workload/task-store.ts';
import type { Condition, Op, Store } from '../store/store.ts';
import type { Launch } from './launch.ts';
import type { PlacementSource } from './placer-deps.ts';
import { podUnschedulableMessage, POD_STRATEGY } from './pod-fit.ts';
import type { PlacementSession } from './session.ts';
import type { PlacementInstance, PlacementRequest, PodPlacement, Rng } from './types.ts';

/** A waiting pod task as read: both halves, and the conditions that pin the placement to that read. */
export interface HeldPod {
  readonly ref: TaskRef;
  readonly spec: TaskSpec;
  readonly status: TaskStatus;
  readonly pins: readonly Condition[];
}

/** A pod task still waiting for a node (or, launchType FARGATE, for Fargate capacity): made with no host, not told to stop, not stopped. */
export function isWaitingPod(spec: TaskSpec, status: Pick<TaskStatus, 'lastStatus'>): boolean {
  return spec.kube !== undefined && spec.placement.instanceArn === undefined
    && spec.desiredStatus === 'RUNNING' && status.lastStatus !== 'STOPPED';
}

/** The launch's pod tasks as stored now, those still waiting (one placed, stopped or deleted meanwhile is left out). */
export async function readPods(store: Store, l: Launch): Promise<HeldPod[]> {
  const out: HeldPod[] = [];
  for (const id of l.pods ?? []) {
    const ref = { scope: l.scope, cluster: l.cluster, id };
    const held = await readTask(store, ref);
    // A pod task is stored as a spec and a status (core/kube/pod/to-spec.ts): a whole record is no pod.
    if (!held?.spec || !held.status || !isWaitingPod(held.spec, held.status)) continue;
    // A Fargate pod is placed by a Fargate launch (on the pool), any other by its cluster's.
    if ((held.spec.launchType === 'FARGATE') !== (l.launchType === 'FARGATE')) continue;
    out.push({ ref, spec: held.spec, status: held.status, pins: taskPins(held) });
  }
  return out;
}

/** The names of the EKS clusters the pods belong to, by uid (undefined: the cluster is gone). */
export async function podClusters(store: Store, l: Launch, pods: readonly HeldPod[]): Promise<Map<string, string | undefined>> {
  const names = new Map<string, string | undefined>();
  for (const p of pods) {
    const uid = p.spec.kube!.clusterUid;
    if (!names.has(uid)) names.set(uid, (await eksClusterByUid(store, l.scope, uid))?.name);
  }
  return names;
}

/** What placement asks for one pod task. */
export function podRequestOf(spec: TaskSpec, pod: PodPlacement): PlacementRequest {
  return {
    count: 1,
    // Its requests as reservations (podRequest: containers, init containers and sidecars),
    // its host ports, one of the node's pod slots. No ENI slot: EKS pods take VPC CNI
    // secondary IPs, so a node's pod count is its max pods, not ECS's ENI limit.
    demand: { cpu: spec.resources.reserved.cpu, memory: spec.resources.reserved.memory, ports: spec.network.reservedPorts, requiredAttributes: [], eni: false, pod: true },
    group: spec.ecs.group,
    constraints: [],
    strategy: POD_STRATEGY,
    pod,
  };
}

/** The pod's placement facts: its cluster, and what of its spec picks nodes. */
export function podPlacementOf(spec: TaskSpec, clusterName: string, region: string): PodPlacement {
  const s = spec.kube!.podSpec;
  return {
    clusterName, clusterUid: spec.kube!.clusterUid, region,
    spec: {
      ...(s.nodeName !== undefined && { nodeName: s.nodeName }),
      ...(s.nodeSelector !== undefined && { nodeSelector: s.nodeSelector }),
      ...(s.affinity !== undefined && { affinity: s.affinity }),
      ...(s.tolerations !== undefined && { tolerations: s.tolerations }),
    },
  };
}

/** The spec of a pod bound to `instance`: its placement, as a task placed at launch records it. */
export function boundSpec(spec: TaskSpec, instance: PlacementInstance): TaskSpec {
  const zone = instance.attributes.get('ecs.availability-zone');
  return {
    ...spec,
    generation: spec.generation + 1,
    placement: {
      instanceArn: instance.arn,
      ...(zone !== undefined && { availabilityZone: zone }),
      ...(instance.capacityProvider !== undefined && { capacityProviderName: instance.capacityProvider }),
    },
  };
}

export interface PodPlan {
  readonly ops: Op[];
  readonly conditions: Condition[];
  /** The pods placed, as the ECS side shows them. */
  readonly tasks: TaskRecord[];
}

/**
 * Places each pod on the session (which takes what it places out of its copy) and answers
 * the writes: bound pods, and the new "why not" of the others. `instance` is the cluster
 * state's view of an instance (its attributes; the session's copy differs only in what is left).
 */
export function planPods(
  session: PlacementSession, instance: (arn: string) => PlacementInstance | undefined, rng: Rng, l: Launch,
  pods: readonly HeldPod[], clusters: ReadonlyMap<string, string | undefined>, touched: Set<string>, remember?: ValueMemo,
): PodPlan {
  const ops: Op[] = [];
  const conditions: Condition[] = [];
  const tasks: TaskRecord[] = [];
  for (const p of pods) {
    const name = clusters.get(p.spec.kube!.clusterUid);
    let message: string;
    if (name === undefined) {
      // Its EKS cluster is gone: no node is its own.
      message = unschedulableMessage(0, []);
    } else {
      const pod = podPlacementOf(p.spec, name, l.scope.region);
      const plan = session.place(podRequestOf(p.spec, pod), l.now, rng);
      const arn = plan.placements[0];
      if (arn !== undefined) {
        touched.add(arn);
        const at = instance(arn);
        // Not an ApiError: the batch drops the session, which reopens from the snapshot.
        if (!at) throw new Error(`placer: the session placed pod ${p.ref.id} on ${arn}, which the cluster state no longer has`);
        bindPod(p, boundSpec(p.spec, at), { ops, conditions, tasks }, remember);
        continue;
      }
      const seen = new Map<string, PlacementInstance>();
      for (const f of plan.failures) {
        const i = instance(f.arn);
        if (i) seen.set(f.arn, i);
      }
      message = podUnschedulableMessage(plan.failures, seen, pod);
    }
    tellUnschedulable(p, message, l.now, { ops, conditions, tasks }, remember);
  }
  return { ops, conditions, tasks };
}

/** The writes of a pod bound: its spec placed, its "why not" cleared (both halves, pinned to what was read). */
export function bindPod(p: HeldPod, spec: TaskSpec, plan: PodPlan, remember?: ValueMemo): void {
  const { unschedulable: _cleared, ...rest } = p.status;
  const status = p.status.unschedulable ? { ...rest, changes: p.status.changes + 1 } : p.status;
  plan.ops.push(...splitTaskOps(p.ref, spec, status, remember));
  plan.conditions.push(...p.pins);
  plan.tasks.push(recordOf(spec, status));
}

/** The write of a pod not placed: why (`now`: epoch seconds), only when the message changed (a write would wake the reconciler for nothing). */
export function tellUnschedulable(p: HeldPod, message: string, now: number, plan: PodPlan, remember?: ValueMemo): void {
  if (p.status.unschedulable?.message === message) return;
  plan.ops.push(...taskStatusOps(p.ref, { ...p.status, unschedulable: { message, at: now }, changes: p.status.changes + 1 }, remember));
  plan.conditions.push(...p.pins);
}

/** The cluster state's view of an instance of `l`'s cluster, for planPods. */
export function instanceOf(state: Pick<PlacementSource, 'placementInstance'>, l: Launch): (arn: string) => PlacementInstance | undefined {
  return (arn) => state.placementInstance({ scope: l.scope, cluster: l.cluster }, arn);
}
