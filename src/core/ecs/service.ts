/**
 * A service as stored (contract of issue 14, part 3): the Service shape of the ECS API
 * less what is derived at read time. `runningCount` and `pendingCount`, of the service and
 * of each deployment, are counted from the cluster state's tasks when answering, never
 * stored: tasks are the one source of truth, as for cluster counts.
 *
 * Who writes what:
 * - the ECS API (CreateService, UpdateService, DeleteService) writes the user's intent:
 *   desiredCount, taskDefinition, configuration, and a new PRIMARY deployment when the
 *   intent changes what runs;
 * - the service reconciler (src/controllers/) writes the outcome: deployment statuses,
 *   rolloutState, failedTasks, events, the throttle, status DRAINING → INACTIVE.
 * Both write with compare-and-set on the record's modRevision.
 *
 * A service's tasks carry `group: "service:<name>"` and `startedBy: <deployment id>`,
 * as ECS's do; that is how a task is counted to its deployment.
 */
import { kindOf } from './capacity-provider.ts';
import type { Tag } from './tags.ts';
import type { PlacementConstraint, PlacementStrategy } from './placement.ts';

export type ServiceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE';
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';
export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  /** 0–1000 (default 0). */
  weight?: number;
  /** 0–100000 (default 0). */
  base?: number;
}

export interface NetworkConfiguration {
  awsvpcConfiguration?: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: 'ENABLED' | 'DISABLED' };
}

export interface DeploymentConfiguration {
  deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
  /** Rounded down when applied. REPLICA default 200, DAEMON 100. */
  maximumPercent: number;
  /** Rounded up when applied. REPLICA default 100, DAEMON 0. */
  minimumHealthyPercent: number;
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  strategy?: string;
  bakeTimeInMinutes?: number;
}

/** A deployment as stored; the Deployment shape less runningCount and pendingCount. */
export interface DeploymentRecord {
  /** "ecs-svc/" and 19 digits: also the `startedBy` of its tasks. */
  id: string;
  status: DeploymentStatus;
  taskDefinition: string;
  desiredCount: number;
  /** Tasks of this deployment that failed to launch (the circuit breaker counts these). */
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: NetworkConfiguration;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /**
   * Berth's own (not answered): the circuit breaker's stage. 1: counting tasks that fail
   * to reach RUNNING; 2: a task of this deployment reached RUNNING, now counting tasks
   * that fail their health checks. Reset with the count when `resetOnHealthyTask`.
   */
  circuitBreakerStage?: 1 | 2;
  /**
   * Berth's own (not answered): the last failed task already counted in `failedTasks`,
   * by (stoppedAt, task id), both immutable once a task is STOPPED. The reconciler is
   * stateless between passes and sees stopped tasks for an hour, so this watermark is
   * what keeps it from counting one failure twice.
   */
  failuresCountedThrough?: { stoppedAt: number; taskId: string };
  /** Berth's own (not answered): the service revision this deployment runs (service-revision.ts). */
  serviceRevisionId?: string;
  /**
   * Berth's own (not answered): on a deployment that rolls another back (the circuit
   * breaker's, or StopServiceDeployment's), the id of the deployment it rolls back. The
   * service deployment of that one reads its ROLLBACK_* status from this one.
   */
  rollbackOf?: string;
}

export interface ServiceEvent {
  id: string;
  /** Epoch seconds. */
  createdAt: number;
  message: string;
}

/** ECS answers a service's 100 most recent events (DescribeServices reference): kept so. */
export const MAX_SERVICE_EVENTS = 100;

export interface ServiceRecord {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: ServiceStatus;
  desiredCount: number;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  /**
   * ECS and CODE_DEPLOY: the PRIMARY deployment's. EXTERNAL: the PRIMARY task set's, '' while
   * there is none (DescribeServices then leaves it out).
   */
  taskDefinition: string;
  deploymentConfiguration: DeploymentConfiguration;
  /** Newest first, PRIMARY first; INACTIVE ones are dropped, as ECS stops showing them. EXTERNAL: none. */
  deployments: DeploymentRecord[];
  /**
   * EXTERNAL only: the service's task sets, in creation order, at most
   * MAX_TASK_SETS_PER_SERVICE (task-set.ts). Absent on services of the other controllers.
   */
  taskSets?: TaskSetRecord[];
  /** Newest first, at most {@link MAX_SERVICE_EVENTS}. */
  events: ServiceEvent[];
  roleArn?: string;
  createdAt: number;
  createdBy?: string;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  schedulingStrategy: SchedulingStrategy;
  deploymentController: { type: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL' };
  loadBalancers: unknown[];
  serviceRegistries: unknown[];
  tags: Tag[];
  enableECSManagedTags: boolean;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand: boolean;
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
  /**
   * Berth's own (not answered): the start throttle of a service whose tasks keep failing
   * to start, as ECS throttles it, and when the reconciler may launch again (epoch seconds).
   * `deploymentId`: the PRIMARY it was counted for; a new deployment starts unthrottled,
   * as ECS's does ("If you update your service to use a new task definition...").
   */
  throttle?: { consecutiveFailures: number; nextLaunchAt: number; deploymentId?: string };
  /**
   * Berth's own (not answered): the CreateService request that made it, canonical JSON
   * (clientToken included). The same request again answers this service (ECS's
   * idempotent create); a different one for the same ACTIVE name is refused.
   */
  creationRequest?: string;
  /**
   * Berth's own (answered by ListServiceDeployments / DescribeServiceDeployments, not by
   * DescribeServices): the service's deployments as service deployments, newest first, at
   * most MAX_SERVICE_DEPLOYMENTS (service-deployment.ts).
   */
  serviceDeployments?: ServiceDeploymentEntry[];
  /** Berth's own: true once "has reached a steady state" was said for the current state, so it is said once. */
  steady?: boolean;
}

// ---- service deployments (their logic: service-deployment.ts)

export type ServiceDeploymentStatus =
  | 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'STOPPED' | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';

/** One service deployment as kept in its service's record. Times are epoch seconds. */
export interface ServiceDeploymentEntry {
  /** The last part of its ARN. */
  id: string;
  /** The DeploymentRecord (ecs-svc/…) that carries it out. */
  deploymentId: string;
  targetRevisionId: string;
  /** Revisions running when it was created (newest first): what it replaces, what a stop rolls back to. */
  sourceRevisionIds: string[];
  status: ServiceDeploymentStatus;
  statusReason?: string;
  createdAt: number;
  startedAt?: number;
  updatedAt: number;
  finishedAt?: number;
  stoppedAt?: number;
  rollback?: { reason: string; startedAt: number; serviceRevisionId: string };
  failureCount: number;
  threshold: number;
  deploymentConfiguration: DeploymentConfiguration;
}

// ---- task sets of EXTERNAL services (their logic: task-set.ts)

export type TaskSetStatus = 'PRIMARY' | 'ACTIVE' | 'DRAINING';
export type StabilityStatus = 'STEADY_STATE' | 'STABILIZING';

export interface Scale {
  /** A percentage of the service's desiredCount, 0 to 100 (Scale.value in the API reference). */
  value: number;
  unit: 'PERCENT';
}

export interface TaskSetRecord {
  /** "ecs-svc/" and 19 digits, like a deployment's; also the `startedBy` of its tasks. */
  id: string;
  taskSetArn: string;
  status: TaskSetStatus;
  taskDefinition: string;
  externalId?: string;
  scale: Scale;
  /** Epoch seconds. */
  createdAt: number;
  updatedAt: number;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers: unknown[];
  serviceRegistries: unknown[];
  tags: Tag[];
  stabilityStatus: StabilityStatus;
  /** Epoch seconds: when stabilityStatus last changed. */
  stabilityStatusAt: number;
  /** Berth's own (not answered): CreateTaskSet's clientToken; the same token again answers this set. */
  clientToken?: string;
  /** Berth's own (not answered): the last failed task already counted for the start throttle, as for deployments. */
  failuresCountedThrough?: { stoppedAt: number; taskId: string };
}

/**
 * Whether a service runs Fargate tasks: its launch type says so, or its strategy names the
 * Fargate providers (a strategy never mixes them with Auto Scaling ones).
 */
export function runsOnFargate(s: Pick<ServiceRecord, 'launchType' | 'capacityProviderStrategy'>): boolean {
  return s.launchType === 'FARGATE' || (s.capacityProviderStrategy ?? []).some((i) => kindOf(i.capacityProvider)?.launchType === 'FARGATE');
}
