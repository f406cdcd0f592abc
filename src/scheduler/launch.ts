/**
 * What the placer is asked to start (contract of issue 14, part 2): RunTask, StartTask and
 * the service reconciler all submit a {@link Launch}; the placer decides the instances
 * with `place()`, builds the tasks, and commits them and the clientToken in one
 * compare-and-set transaction, so no instance is ever overbooked and a token is honoured
 * once even when two first calls race.
 */
import type { Scope } from '../core/ecs/scope.ts';
import type { Tag } from '../core/ecs/tags.ts';
import type { TaskOverride, TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration } from '../core/ecs/service.ts';
import type { Failure, PlacementConstraint, PlacementStrategy } from './types.ts';

export interface Launch {
  readonly scope: Scope;
  readonly cluster: string;
  /**
   * The task definition revision's ARN. The placer reads the revision (a bounded cache: a
   * revision's containers never change), so a pure reconciler can launch by ARN alone;
   * RunTask, which has already read it to validate the request, passes `resolved`.
   */
  readonly taskDefinitionArn: string;
  readonly resolved?: TaskDefinitionRecord;
  readonly count: number;
  readonly overrides?: TaskOverride;
  readonly startedBy?: string;
  /** Default `family:<family>`; a service's tasks: `service:<name>`. */
  readonly group?: string;
  readonly tags?: readonly Tag[];
  readonly propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  readonly enableECSManagedTags?: boolean;
  readonly enableExecuteCommand?: boolean;
  readonly launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
  /** Fargate: the platform version asked for (LATEST or none: the newest); the task records it resolved. */
  readonly platformVersion?: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly placementConstraints?: readonly PlacementConstraint[];
  readonly placementStrategy?: readonly PlacementStrategy[];
  /** StartTask: exactly these instances (ARN or id), one task each. */
  readonly targets?: readonly string[];
  /**
   * Tasks of this cluster already created and waiting for Fargate Spot capacity (PROVISIONING,
   * no instance: placer-fargate.ts), by id: the placer places these on the Fargate pool (each
   * with its own cpu and memory, the launch's definition and group) instead of making new
   * ones, and answers those it placed; the others keep waiting. `count` is their number.
   */
  readonly waiting?: readonly string[];
  /**
   * Pod tasks of this cluster (POD_ECS_CLUSTER) made with no host, by id (placer-pods.ts):
   * each is placed on a node of its EKS cluster that fits it, or told why none does
   * (TaskStatus.unschedulable). `taskDefinitionArn` is '' (a pod has none); `count` is their
   * number. The answer's tasks are those placed.
   */
  readonly pods?: readonly string[];
  /** RunTask's clientToken: the same token and request answer the same tasks, once. */
  readonly clientToken?: string;
  /** A fingerprint of the request, to refuse a token reused with different parameters. */
  readonly fingerprint?: string;
  /** Epoch seconds. */
  readonly now: number;
  /**
   * Conditions the placer adds to its commit transaction: the controller runner's lease
   * (fencing; a store Condition, spelled out: the scheduler imports nothing from the store), so a control plane that lost the lease cannot start tasks. A commit refused
   * for one of them is not retried: the placer rejects.
   */
  readonly fence?: readonly { readonly key: string; readonly modRevision: number }[];
}

export interface LaunchResult {
  readonly tasks: readonly TaskRecord[];
  readonly failures: readonly Failure[];
}

/** The placer as its callers see it. */
export interface Placer {
  /** Places and commits; resolves when the tasks are durable. Rejects with an ApiError for input the cluster refuses. */
  launch(launch: Launch): Promise<LaunchResult>;
}
