/**
 * The placer's steps for Fargate pods (pods a Fargate profile selected: launchType FARGATE,
 * the pod-pending reconciler's launch { pods, launchType: FARGATE }): each is placed on the
 * region's Fargate pool, as a Fargate task is, in a sandbox of its own, never on a node
 * group's host. Batched and committed with the pool's other placements (placer.ts).
 *
 *   planFargatePods, per pod, on the pool's session:
 *     request: its Fargate size (the spec's reservation, core/kube/pod/fargate.ts), one ENI
 *              slot, no host ports, its group qualified by its cluster (poolTaskGroup);
 *              FARGATE_STRATEGY (spread over zones, then pack by memory)
 *     ├ placed: spec.placement = the pool host, capacity provider FARGATE (both halves
 *     │         written, pinned): the pool host's agent gets it as any task placed on it
 *     └ not:    status.unschedulable = the Fargate capacity failure, retried by pod-pending
 */
import { poolTaskGroup } from '../core/ecs/fargate.ts';
import { unschedulableMessage } from '../core/kube/pod/node-fit.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { ValueMemo } from '../core/workload/task-store.ts';
import type { Launch } from './launch.ts';
import { FARGATE_CAPACITY_UNAVAILABLE, FARGATE_STRATEGY } from './placer-fargate.ts';
import { bindPod, boundSpec, tellUnschedulable, type HeldPod, type PodPlan } from './placer-pods.ts';
import type { PlacementSession } from './session.ts';
import type { PlacementInstance, PlacementRequest, Rng } from './types.ts';

/** What the Fargate pool is asked for one Fargate pod of `l`'s cluster. */
export function fargatePodRequest(spec: TaskSpec, l: Pick<Launch, 'scope' | 'cluster'>): PlacementRequest {
  return {
    count: 1,
    // Its Fargate size; its own address (an ENI slot, as every Fargate task); no host ports:
    // the sandbox is the pod's alone.
    demand: { cpu: spec.resources.reserved.cpu, memory: spec.resources.reserved.memory, ports: [], requiredAttributes: [], eni: true },
    group: poolTaskGroup(l.scope, l.cluster, spec.ecs.group),
    constraints: [],
    strategy: FARGATE_STRATEGY,
  };
}

/** The spec of a Fargate pod bound to pool host `instance`: on the FARGATE capacity provider, as a Fargate task records it. */
export function boundFargateSpec(spec: TaskSpec, instance: PlacementInstance): TaskSpec {
  const bound = boundSpec(spec, instance);
  return { ...bound, placement: { ...bound.placement, capacityProviderName: 'FARGATE' } };
}

/**
 * Places each Fargate pod on the pool's session and answers the writes: bound pods, and the
 * Fargate capacity failure of the others. `instance` is the cluster state's view of a pool host.
 */
export function planFargatePods(
  session: PlacementSession, instance: (arn: string) => PlacementInstance | undefined, rng: Rng, l: Launch,
  pods: readonly HeldPod[], clusters: ReadonlyMap<string, string | undefined>, touched: Set<string>, remember?: ValueMemo,
): PodPlan {
  const plan: PodPlan = { ops: [], conditions: [], tasks: [] };
  for (const p of pods) {
    if (clusters.get(p.spec.kube!.clusterUid) === undefined) {
      // Its EKS cluster is gone: nothing will run it.
      tellUnschedulable(p, unschedulableMessage(0, []), l.now, plan, remember);
      continue;
    }
    const arn = session.place(fargatePodRequest(p.spec, l), l.now, rng).placements[0];
    if (arn === undefined) {
      tellUnschedulable(p, FARGATE_CAPACITY_UNAVAILABLE, l.now, plan, remember);
      continue;
    }
    touched.add(arn);
    const at = instance(arn);
    // Not an ApiError: the batch drops the session, which reopens from the snapshot.
    if (!at) throw new Error(`placer: the session placed Fargate pod ${p.ref.id} on ${arn}, which the Fargate pool no longer has`);
    bindPod(p, boundFargateSpec(p.spec, at), plan, remember);
  }
  return plan;
}
