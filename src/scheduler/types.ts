/**
 * The placement engine's vocabulary (contract of issue 14, part 1). `place()` is pure:
 * it reads a {@link PlacementSnapshot}, decides where `request.count` tasks go, and
 * returns a {@link Plan}; committing the plan is the placer's job (placer.ts).
 *
 *   snapshot + request ──▶ filters (each names the reason it rejects) ──▶ constraints
 *     ──▶ strategies (chained, first decides, later ones break ties) ──▶ plan
 *
 * Each placement updates the engine's working copy (resources, ports, group counts),
 * so the next task of the same request sees what the previous one took.
 */
import type { InstanceStatus, KubeNodeFields } from '../core/ecs/container-instance.ts';
import type { PodSpec } from '../core/kube/pod/types.ts';
import type { PlacementConstraint, PlacementStrategy } from '../core/ecs/placement.ts';

/** One container instance as placement sees it: what it has left, and who runs there. */
export interface PlacementInstance {
  readonly arn: string;
  /** The id at the end of the ARN (what `instanceId` spreads over). */
  readonly id: string;
  /** The EC2 instance id (`ec2InstanceId` in the cluster query language), when known. */
  readonly ec2InstanceId?: string;
  /** The agent's version (`agentVersion` in the cluster query language), when known. */
  readonly agentVersion?: string;
  readonly status: InstanceStatus;
  readonly agentConnected: boolean;
  /** Epoch seconds: `registeredAt` in the cluster query language. */
  readonly registeredAt: number;
  /** Built-in (`ecs.*`) and custom attributes; a value-less attribute maps to undefined. */
  readonly attributes: ReadonlyMap<string, string | undefined>;
  /** The capacity provider whose instance this is (the agent's `--capacity-provider`). */
  readonly capacityProvider?: string;
  /** CPU units and MiB not reserved by tasks that are not STOPPED. */
  readonly cpu: number;
  readonly memory: number;
  /** awsvpc network interfaces it can still attach. */
  readonly eni: number;
  /** Host ports held by its tasks or reserved by its agent: "port/tcp", "port/udp". */
  readonly portsInUse: ReadonlySet<string>;
  /** Its tasks that are not STOPPED, counted by task group ("service:web", "family:app"). */
  readonly groups: ReadonlyMap<string, number>;
  /** Its tasks that are not STOPPED. */
  readonly taskCount: number;
  /** Of those, pods' tasks (a node runs at most its capacity.pods: pod-fit.ts). Absent: none. */
  readonly pods?: number;
  /** Its node's Kubernetes fields (taints, cordon), when an EKS cluster's node group claimed it. */
  readonly kubeNode?: KubeNodeFields;
}

export interface PlacementSnapshot {
  /** In a stable order (registration order): ties are broken by it. */
  readonly instances: readonly PlacementInstance[];
}

// The request's own words (the ECS API shapes) live with the other ECS records.
export type { PlacementConstraint, PlacementConstraintType, PlacementStrategy, PlacementStrategyType } from '../core/ecs/placement.ts';

export interface Demand {
  readonly cpu: number;
  readonly memory: number;
  /** Static host ports the task needs free, "port/protocol". */
  readonly ports: readonly string[];
  /** The task definition's requiresAttributes (a value must match when given). */
  readonly requiredAttributes: readonly { readonly name: string; readonly value?: string }[];
  /** awsvpc: takes one ENI slot. */
  readonly eni: boolean;
  /** A pod: takes one of the node's pod slots (and no ENI slot). Absent: an ECS task. */
  readonly pod?: boolean;
}

export interface PlacementRequest {
  readonly count: number;
  readonly demand: Demand;
  /** The task group ("service:web", "family:app", or RunTask's --group). */
  readonly group: string;
  /** The request's constraints followed by the task definition's. */
  readonly constraints: readonly PlacementConstraint[];
  /** In order; empty means ECS's default for the caller (RunTask: random; services: see placer). */
  readonly strategy: readonly PlacementStrategy[];
  /** StartTask: exactly these instances (ARN or id), one task each, in order. */
  readonly targets?: readonly string[];
  /** Only instances of this capacity provider; undefined: any instance. */
  readonly capacityProvider?: string;
  /** A pod: only the nodes of its EKS cluster are asked, and each must fit it (pod-fit.ts). */
  readonly pod?: PodPlacement;
}

/** What placement reads of a pod beyond its demand: whose nodes, and what of its spec picks among them. */
export interface PodPlacement {
  /** The EKS cluster's name (its node groups' instances carry it: CLUSTER_ATTRIBUTE) and uid (its nodes' taints and cordon). */
  readonly clusterName: string;
  readonly clusterUid: string;
  /** The region: a node's topology.kubernetes.io/region label. */
  readonly region: string;
  /** nodeName, nodeSelector, affinity and tolerations are read. */
  readonly spec: Pick<PodSpec, 'nodeName' | 'nodeSelector' | 'affinity' | 'tolerations'>;
}

/**
 * Why an instance could not take a task: the `failures[].reason` ECS answers
 * (api_failures_messages in the ECS developer guide). ECS spells the two constraint
 * reasons as sentences ("MemberOf placement constraint unsatisfied.").
 */
export type FailureReason =
  | 'RESOURCE:CPU' | 'RESOURCE:MEMORY' | 'RESOURCE:PORTS' | 'RESOURCE:ENI'
  /** A pod's node runs as many pods as its capacity.pods (pod-fit.ts: "Too many pods"). */
  | 'RESOURCE:PODS'
  | 'AGENT' | 'ATTRIBUTE' | 'INACTIVE' | 'MISSING'
  /** A pod's node filters refused the node (pod-fit.ts; the pod's status says which, in kube-scheduler's words). */
  | 'NODE'
  | typeof DISTINCT_INSTANCE_UNSATISFIED | typeof MEMBER_OF_UNSATISFIED
  /** A Fargate task the pool has no room for (placer-fargate.ts: FARGATE_CAPACITY_UNAVAILABLE). */
  | 'Capacity is unavailable at this time. Please try again later or in a different availability zone';
export const DISTINCT_INSTANCE_UNSATISFIED = 'DistinctInstance placement constraint unsatisfied.';
export const MEMBER_OF_UNSATISFIED = 'MemberOf placement constraint unsatisfied.';

export interface Failure {
  readonly arn: string;
  readonly reason: FailureReason;
  readonly detail?: string;
}

export interface Plan {
  /** The instance ARN of each task placed, in order (fewer than `count` when some did not fit). */
  readonly placements: readonly string[];
  /** When fewer than `count` were placed: why each candidate instance could not take the next one. */
  readonly failures: readonly Failure[];
}

/** Randomness as an input: returns a float in [0, 1). */
export type Rng = () => number;
