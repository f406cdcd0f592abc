/**
 * The cluster state (contract of issue 14, part 2): in-memory indexes of every cluster's
 * container instances, tasks and services, fed by one store watch, so that placing,
 * ListTasks, cluster counts, DescribeContainerInstances and every reconciler read memory
 * and never scan a cluster's tasks in the store.
 *
 *   store ──watch──▶ ClusterState (instances, task summaries, services, by cluster)
 *                      ├─▶ placer: placementSnapshot()
 *                      ├─▶ ECS API: counts, ListTasks, instance views
 *                      └─▶ controller runner: snapshot() per cluster, onChange()
 *
 * Tasks are held as {@link TaskSummary}: the fields placement, listing and reconcilers
 * use, a few hundred bytes each, not the whole record (DescribeTasks reads the store).
 */
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { ClusterCounts, ClusterRecord } from '../core/ecs/cluster.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { ServiceRecord } from '../core/ecs/service.ts';
import type { HealthStatus } from '../core/ecs/task.ts';
import type { SiblingUsage } from './host-siblings.ts';
import type { StopCode, TaskStatus } from '../core/ecs/task-lifecycle.ts';
import type { PlacementInstance, PlacementSnapshot } from '../scheduler/types.ts';
import type { PlacementFeed } from './placement-feed.ts';

export interface ClusterRef {
  readonly scope: Scope;
  readonly cluster: string;
}

/** A stored record with the revision a compare-and-set needs. */
export interface Held<T> {
  readonly key: string;
  readonly modRevision: number;
  readonly value: T;
}

export interface TaskSummary {
  readonly key: string;
  readonly modRevision: number;
  readonly id: string;
  readonly taskArn: string;
  readonly taskDefinitionArn: string;
  readonly family: string;
  readonly containerInstanceArn?: string;
  /** The zone of its instance, as recorded when it was placed (a Fargate task's pool host is in no cluster of the task's account). */
  readonly availabilityZone?: string;
  readonly lastStatus: TaskStatus;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly group: string;
  readonly startedBy?: string;
  readonly launchType: 'EC2' | 'FARGATE' | 'EXTERNAL';
  readonly capacityProviderName?: string;
  readonly cpu: number;
  readonly memory: number;
  /** Host ports it holds: static reservations and dynamic bindings, "port/protocol". */
  readonly ports: readonly string[];
  /**
   * The ones of `ports` no static mapping reserved (the agent bound them for a hostPort of
   * 0): held, so placement avoids them, but not in the instance's remainingResources,
   * which ECS says list the agent's reserved ports and tasks' reserved port mappings.
   * Absent: none.
   */
  readonly dynamicPorts?: readonly string[];
  /** awsvpc: holds an ENI slot (a pod's task does not: EKS pods take secondary IPs, not trunk ENIs). */
  readonly eni: boolean;
  /** A pod's task: holds one of its node's pod slots (status.capacity.pods) instead. Absent: not a pod. */
  readonly pod?: boolean;
  readonly healthStatus: HealthStatus;
  /** Some container of its definition has a health check (else it counts healthy once RUNNING). */
  readonly healthChecked: boolean;
  /** Epoch seconds. */
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly stoppingAt?: number;
  readonly stoppedAt?: number;
  readonly stopCode?: StopCode;
  readonly stoppedReason?: string;
  /** Scale-in protection: epoch seconds until which the service scheduler leaves it running (src/core/ecs/task-protection.ts). */
  readonly protectedUntil?: number;
}

export interface InstanceState {
  readonly key: string;
  readonly modRevision: number;
  readonly record: ContainerInstanceRecord;
  /** Epoch ms its agent's session ended, while it has none (the instance-health reconciler's clock). */
  readonly disconnectedAt?: number;
}

/**
 * One cluster, as reconcilers see it: a consistent view at one store revision. The cluster
 * state's is a view over its indexes, valid in the turn it was taken (read it before any
 * await; a later read throws): see snapshot.ts.
 */
export interface ClusterSnapshot extends ClusterRef {
  readonly revision: number;
  readonly clusterRecord: Held<ClusterRecord>;
  readonly instances: readonly InstanceState[];
  /**
   * Tasks not STOPPED, and STOPPED ones still kept (retention: an hour). Copied from the
   * indexes on first read: O(tasks). A reconciler of one service reads `tasksWhere`.
   */
  readonly tasks: readonly TaskSummary[];
  /** The tasks matching every filter given, in id order, from the indexes: O(matches), not O(tasks). */
  tasksWhere(filter: TaskFilter): readonly TaskSummary[];
  /**
   * A number that changes whenever a task of `group` is written or removed (equal numbers:
   * the group's tasks are the same), so a reconciler can tell a service's tasks unchanged
   * without reading them.
   */
  groupVersion(group: string): number;
  /**
   * The not-STOPPED tasks placed on one of this cluster's instances, of every cluster (a
   * Fargate pool host runs tasks of many): O(its tasks), from the indexes.
   */
  tasksOnInstance(instanceArn: string): readonly TaskSummary[];
  readonly services: readonly Held<ServiceRecord>[];
}

/**
 * `TaskFilter.instanceArn` of the tasks placed on no instance: FARGATE_SPOT tasks waiting in
 * PROVISIONING for spot capacity (src/scheduler/placer-fargate.ts).
 */
export const UNPLACED = '';

export interface TaskFilter {
  /** The tasks placed on this instance; {@link UNPLACED}: those placed on none. */
  readonly instanceArn?: string;
  readonly group?: string;
  readonly startedBy?: string;
  readonly family?: string;
  readonly desiredStatus?: 'RUNNING' | 'STOPPED';
  /** Only ids strictly after this one: a page's cursor. */
  readonly after?: string;
}

export interface InstanceUsage {
  /** CPU units, MiB and ENI slots its tasks reserve. */
  readonly cpu: number;
  readonly memory: number;
  readonly eni: number;
  readonly running: number;
  readonly pending: number;
  /** Host ports its tasks reserve with static mappings, "port/protocol" (not the dynamic ones). */
  readonly ports: readonly string[];
  /**
   * What the tasks of its host's other registrations hold (host-siblings.ts: a host that is
   * its cluster's instance and a Fargate pool host); absent when they hold nothing. Its
   * remaining resources are less by this too (remainingOf).
   */
  readonly siblings?: SiblingUsage;
}

export interface ClusterState {
  /** Resolves once the initial load is done and the watch is live. */
  ready(): Promise<void>;
  /** The store revision the indexes reflect. */
  revision(): number;
  /** Resolves once the indexes reflect `revision` (read your own writes). */
  caughtUp(revision: number): Promise<void>;
  clusters(): readonly ClusterRef[];
  /**
   * The cluster at the current revision, as a view: O(instances + services) at most; the
   * task list is copied only when `tasks` is read (O(tasks) after a change).
   */
  snapshot(ref: ClusterRef): ClusterSnapshot | undefined;
  /** The cluster's record alone, without building a snapshot. */
  cluster(ref: ClusterRef): Held<ClusterRecord> | undefined;
  placementSnapshot(ref: ClusterRef): PlacementSnapshot;
  /** One instance as placement sees it, as in placementSnapshot(); undefined when the cluster has no such instance. */
  placementInstance(ref: ClusterRef, arn: string): PlacementInstance | undefined;
  /**
   * Follows which instances' placement view changes in one cluster from now on (the placer's
   * session re-reads just those; placement-feed.ts). Close it when done.
   */
  followPlacement(ref: ClusterRef): PlacementFeed;
  /**
   * The other clusters whose instances are registrations of the same hosts as `ref`'s
   * (host-siblings.ts: a host in its cluster and in the Fargate pool); with `arns`, only of
   * those instances. A placer on `ref` holds their placement epochs in its commit.
   */
  siblingClusters(ref: ClusterRef, arns?: Iterable<string>): readonly ClusterRef[];
  counts(ref: ClusterRef): ClusterCounts;
  task(ref: ClusterRef, id: string): TaskSummary | undefined;
  /** Tasks in key order (id order), for ListTasks' pages: those matching every filter given, with an id after `after`. */
  tasks(ref: ClusterRef, filter?: TaskFilter): Iterable<TaskSummary>;
  /**
   * A task group's tasks desired RUNNING and not yet STOPPED, counted by startedBy, running
   * and pending (a service's counts per deployment, for DescribeServices): kept as running
   * sums, no walk. Tasks without startedBy are not counted.
   */
  groupCounts(ref: ClusterRef, group: string): ReadonlyMap<string, { readonly running: number; readonly pending: number }>;
  /**
   * What the not-STOPPED tasks on one instance hold and count (DescribeContainerInstances).
   * A task counts on the instance it is placed on whichever cluster it belongs to: a pool
   * host's (fargate.ts) counts the Fargate tasks of every cluster placed on it.
   */
  instanceUsage(ref: ClusterRef, instanceArn: string): InstanceUsage;
  /**
   * The not-STOPPED tasks placed on one instance, of every cluster (a Fargate pool host runs
   * tasks of many): what its agent is told at hello. From the instance's cluster's indexes
   * (O(its tasks)); the cluster is read from the ARN.
   */
  tasksOnInstance(instanceArn: string): Iterable<TaskSummary>;
  /** Calls `listener` after each batch of changes, with the clusters they touched. */
  onChange(listener: (changed: readonly ClusterRef[]) => void): () => void;
  close(): void;
}
