/**
 * Placing a pod (a task of POD_ECS_CLUSTER with a Kubernetes spec): which instances are its
 * nodes, whether each may run it, and the PodScheduled=False message when none can. Pure.
 *
 *   instances of POD_ECS_CLUSTER ─ scope: claimed by a node group of the pod's EKS cluster
 *     ─▶ 'NODE' filter: kube-scheduler's NodeUnschedulable, NodeName, NodeAffinity
 *        (nodeSelector, required affinity), TaintToleration (node-fit.ts)
 *     ─▶ Berth's resource filters: the node's pod count (its capacity.pods), cpu, memory
 *        (the pod's requests), host ports; no ENI slot (EKS pods take VPC CNI secondary
 *        IPs, not trunk ENIs: an ECS task's ENI limit does not count them)
 *     ─▶ POD_STRATEGY
 *   none fits ─▶ podUnschedulableMessage: one kube-scheduler reason per node, counted
 *
 * The node's labels, taints and cordon are what its Node view shows (node-view.ts
 * schedulingFacts), so `kubectl get node --show-labels` and the scheduler agree.
 */
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE } from '../core/eks/nodegroup.ts';
import { nodeFitFailure, tolerates, unschedulableMessage } from '../core/kube/pod/node-fit.ts';
import { MAX_PODS, schedulingFacts, UNSCHEDULABLE_TAINT } from '../core/kube/node-view.ts';
import type { Failure, PlacementInstance, PlacementStrategy, PodPlacement } from './types.ts';

/**
 * Where pods go among the nodes that fit: the node with the fewest tasks (pods and ECS tasks)
 * first, registration order breaking ties. kube-scheduler's default profile spreads a
 * workload's pods over nodes (PodTopologySpread's system default, LeastAllocated); Berth's
 * pods carry a task group of their own (`pod:<namespace>/<name>`), so spreading over
 * `instanceId` by group would tie everywhere: the node's whole task count spreads instead,
 * for pods that request nothing as for those that do.
 */
export const POD_STRATEGY: readonly PlacementStrategy[] = [{ type: 'fewestTasks' }];

/** The cordon's reason, as kube-scheduler's NodeUnschedulable plugin words it. */
export const NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
/** A node whose agent is gone: the node lifecycle controller's taint. */
const NODE_UNREACHABLE = "node(s) had untolerated taint {node.kubernetes.io/unreachable: }";

/**
 * How many pods the instance's node runs at most: its Node's status.capacity.pods
 * (node-view.ts), the kubelet's default max-pods.
 */
export function podCapacity(_instance: PlacementInstance): number {
  return MAX_PODS;
}

/** An instance is one of the pod's EKS cluster's nodes: a node group of that cluster claimed it. */
export function inPodScope(instance: PlacementInstance, pod: PodPlacement): boolean {
  return instance.attributes.get(CLUSTER_ATTRIBUTE) === pod.clusterName && instance.attributes.get(NODEGROUP_ATTRIBUTE) !== undefined;
}

/** Why the pod may not run on the instance's node, in kube-scheduler's words (resources aside); undefined when it may. */
export function podNodeFailure(instance: PlacementInstance, pod: PodPlacement): string | undefined {
  const node = schedulingFacts({
    ec2InstanceId: instance.ec2InstanceId ?? instance.id,
    attributes: [...instance.attributes].map(([name, value]) => ({ name, ...(value !== undefined && { value }) })),
    status: instance.status,
    ...(instance.kubeNode !== undefined && { kubeNode: instance.kubeNode }),
  }, pod);
  const tolerations = pod.spec.tolerations ?? [];
  // NodeUnschedulable runs first: a cordoned node is refused unless the pod tolerates the cordon's taint.
  if (node.unschedulable && !tolerations.some((t) => tolerates(t, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' }))) return NODE_UNSCHEDULABLE;
  return nodeFitFailure({ containers: [], ...pod.spec }, { name: node.name, labels: node.labels, taints: node.taints.filter((t) => t.key !== UNSCHEDULABLE_TAINT) });
}

/** What kube-scheduler says of a node a placement filter refused. */
function kubeReason(f: Failure, instance: PlacementInstance | undefined, pod: PodPlacement): string {
  switch (f.reason) {
    case 'NODE': return (instance && podNodeFailure(instance, pod)) ?? NODE_UNSCHEDULABLE;
    case 'RESOURCE:CPU': return 'Insufficient cpu';
    case 'RESOURCE:MEMORY': return 'Insufficient memory';
    case 'RESOURCE:PORTS': return "node(s) didn't have free ports for the requested pod ports";
    case 'RESOURCE:PODS': return 'Too many pods';
    case 'AGENT': return NODE_UNREACHABLE;
    // DRAINING (INACTIVE ones are out of scope): a cordoned node.
    default: return NODE_UNSCHEDULABLE;
  }
}

/**
 * The PodScheduled=False message for a pod no node took: `failures` are the plan's, one per
 * node in scope (the engine reports the first filter each failed), `instances` the snapshot.
 */
export function podUnschedulableMessage(failures: readonly Failure[], instances: ReadonlyMap<string, PlacementInstance>, pod: PodPlacement): string {
  return unschedulableMessage(failures.length, failures.map((f) => kubeReason(f, instances.get(f.arn), pod)));
}
