/**
 * What the API writes of a service: the record CreateService makes with its first
 * deployment, the changes of UpdateService (a new PRIMARY deployment when what runs
 * changes), and DeleteService's DRAINING. Pure: ids and `now` are arguments. The outcome
 * (deployment statuses, counts, events, INACTIVE) is the service reconciler's.
 */
import type { PlacementConstraint, PlacementStrategy } from './placement.ts';
import { fail } from '../errors.ts';
import { FARGATE_PLATFORM_FAMILY } from './fargate.ts';
import { resolvePlatformVersion } from './fargate-rules.ts';
import { ecsArn, rootPrincipal, type Scope } from './scope.ts';
import type {
  CapacityProviderStrategyItem, DeploymentConfiguration, DeploymentRecord, NetworkConfiguration, SchedulingStrategy, ServiceRecord,
} from './service.ts';
import type { Tag } from './tags.ts';

type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

/** A CreateService request after its rules and defaults: what the record is made of. */
export interface ServiceSpec {
  serviceName: string;
  taskDefinitionArn: string;
  desiredCount: number;
  schedulingStrategy: SchedulingStrategy;
  /** EXTERNAL: task sets run the tasks, the service has no deployment (ECS when absent). */
  deploymentController?: 'ECS' | 'EXTERNAL';
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Fargate: as asked for ('LATEST' when not), shown so on the service. */
  platformVersion?: string;
  /** Fargate: 'Linux'. Set on Fargate services only, as AWS shows it. */
  platformFamily?: string;
  deploymentConfiguration: DeploymentConfiguration;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  roleArn?: string;
  tags: Tag[];
  enableECSManagedTags: boolean;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand: boolean;
  availabilityZoneRebalancing: 'ENABLED' | 'DISABLED';
}

/** Services use the long ARN format, which names the cluster. */
export function serviceArn(scope: Scope, cluster: string, name: string): string {
  return ecsArn(scope, `service/${cluster}/${name}`);
}

/**
 * The service name a reference names in `cluster`: a name, or an ARN in the long
 * (`service/<cluster>/<name>`) or short (`service/<name>`) format. Undefined when an ARN
 * names another cluster or is no service ARN.
 */
export function serviceNameOf(ref: string, cluster: string): string | undefined {
  if (!ref.startsWith('arn:')) return ref;
  const resource = ref.split(':').slice(5).join(':');
  const parts = resource.split('/');
  if (parts[0] !== 'service') return undefined;
  if (parts.length === 2) return parts[1] || undefined;
  if (parts.length === 3) return parts[1] === cluster ? parts[2] || undefined : undefined;
  return undefined;
}

/**
 * A new PRIMARY deployment of what `s` runs. A Fargate service's deployment shows the
 * platform version its tasks run on ('LATEST' resolved), as AWS's deployments do.
 */
function deployment(id: string, s: Pick<ServiceRecord, 'taskDefinition' | 'desiredCount' | 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'platformFamily' | 'networkConfiguration'>, now: number): DeploymentRecord {
  return {
    id,
    status: 'PRIMARY',
    taskDefinition: s.taskDefinition,
    desiredCount: s.desiredCount,
    failedTasks: 0,
    createdAt: now,
    updatedAt: now,
    ...(s.launchType !== undefined && { launchType: s.launchType }),
    ...(s.capacityProviderStrategy !== undefined && { capacityProviderStrategy: s.capacityProviderStrategy }),
    ...(s.platformFamily !== undefined ? { platformVersion: resolvePlatformVersion(s.platformVersion), platformFamily: s.platformFamily } : s.platformVersion !== undefined && { platformVersion: s.platformVersion }),
    ...(s.networkConfiguration !== undefined && { networkConfiguration: s.networkConfiguration }),
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
  };
}

/** The record CreateService writes: ACTIVE, one PRIMARY deployment, no events (ECS adds none at creation). */
export function newService(scope: Scope, cluster: string, spec: ServiceSpec, deploymentId: string, now: number, request: string): ServiceRecord {
  const base = {
    serviceArn: serviceArn(scope, cluster, spec.serviceName),
    serviceName: spec.serviceName,
    clusterArn: ecsArn(scope, `cluster/${cluster}`),
    status: 'ACTIVE' as const,
    desiredCount: spec.desiredCount,
    ...(spec.launchType !== undefined && { launchType: spec.launchType }),
    ...(spec.capacityProviderStrategy !== undefined && { capacityProviderStrategy: spec.capacityProviderStrategy }),
    ...(spec.platformVersion !== undefined && { platformVersion: spec.platformVersion }),
    ...(spec.platformFamily !== undefined && { platformFamily: spec.platformFamily }),
    taskDefinition: spec.taskDefinitionArn,
    ...(spec.networkConfiguration !== undefined && { networkConfiguration: spec.networkConfiguration }),
  };
  const external = spec.deploymentController === 'EXTERNAL';
  return {
    ...base,
    deploymentConfiguration: spec.deploymentConfiguration,
    // An EXTERNAL service answers `deployments: []` and `taskSets: []` until CreateTaskSet (CreateService reference example).
    deployments: external ? [] : [deployment(deploymentId, base, now)],
    ...(external && { taskSets: [] }),
    events: [],
    ...(spec.roleArn !== undefined && { roleArn: spec.roleArn }),
    createdAt: now,
    createdBy: rootPrincipal(scope),
    placementConstraints: spec.placementConstraints,
    placementStrategy: spec.placementStrategy,
    ...(spec.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds }),
    schedulingStrategy: spec.schedulingStrategy,
    deploymentController: { type: spec.deploymentController ?? 'ECS' },
    loadBalancers: [],
    serviceRegistries: [],
    tags: spec.tags,
    enableECSManagedTags: spec.enableECSManagedTags,
    propagateTags: spec.propagateTags,
    enableExecuteCommand: spec.enableExecuteCommand,
    availabilityZoneRebalancing: spec.availabilityZoneRebalancing,
    creationRequest: request,
  };
}

/** An UpdateService request after its rules: only what it changes. */
export interface ServiceChange {
  desiredCount?: number;
  taskDefinitionArn?: string;
  /** An empty list takes the service back to a launch type: `launchType` (UpdateService reference). */
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: LaunchType;
  deploymentConfiguration?: DeploymentConfiguration;
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  platformVersion?: string;
  /** Whether the service's tasks run on Fargate after the update: it then has a platform version and family, else neither. */
  fargate?: boolean;
  forceNewDeployment?: boolean;
  healthCheckGracePeriodSeconds?: number;
  enableExecuteCommand?: boolean;
  enableECSManagedTags?: boolean;
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The service after an update. A change of what runs (task definition, network,
 * platform version, capacity provider strategy) or `forceNewDeployment` starts a new
 * PRIMARY deployment and makes the previous PRIMARY ACTIVE; a desiredCount alone moves
 * the PRIMARY deployment's desiredCount and starts none.
 */
export function updateService(s: ServiceRecord, c: ServiceChange, newDeploymentId: () => string, now: number): ServiceRecord {
  if (s.status !== 'ACTIVE') fail('ServiceNotActiveException', `Service was not ACTIVE. ${s.serviceName} is ${s.status}: create it again to run it.`);
  const next: ServiceRecord = {
    ...s,
    ...(c.desiredCount !== undefined && { desiredCount: c.desiredCount }),
    ...(c.taskDefinitionArn !== undefined && { taskDefinition: c.taskDefinitionArn }),
    ...(c.deploymentConfiguration !== undefined && { deploymentConfiguration: c.deploymentConfiguration }),
    ...(c.networkConfiguration !== undefined && { networkConfiguration: c.networkConfiguration }),
    ...(c.placementConstraints !== undefined && { placementConstraints: c.placementConstraints }),
    ...(c.placementStrategy !== undefined && { placementStrategy: c.placementStrategy }),
    ...(c.platformVersion !== undefined && { platformVersion: c.platformVersion }),
    ...(c.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: c.healthCheckGracePeriodSeconds }),
    ...(c.enableExecuteCommand !== undefined && { enableExecuteCommand: c.enableExecuteCommand }),
    ...(c.enableECSManagedTags !== undefined && { enableECSManagedTags: c.enableECSManagedTags }),
    ...(c.propagateTags !== undefined && { propagateTags: c.propagateTags }),
    ...(c.availabilityZoneRebalancing !== undefined && { availabilityZoneRebalancing: c.availabilityZoneRebalancing }),
  };
  if (c.capacityProviderStrategy?.length) {
    // A strategy replaces the launch type (the two are never both set).
    delete next.launchType;
    next.capacityProviderStrategy = c.capacityProviderStrategy;
  } else if (c.capacityProviderStrategy !== undefined) {
    delete next.capacityProviderStrategy;
    next.launchType = c.launchType ?? s.launchType ?? 'EC2';
  }
  if (c.fargate === true) {
    next.platformVersion = c.platformVersion ?? s.platformVersion ?? 'LATEST';
    next.platformFamily = FARGATE_PLATFORM_FAMILY;
  } else if (c.fargate === false) {
    delete next.platformVersion;
    delete next.platformFamily;
  }
  const redeploy = c.forceNewDeployment === true
    || next.taskDefinition !== s.taskDefinition
    || !same(next.networkConfiguration, s.networkConfiguration)
    || next.platformVersion !== s.platformVersion
    || next.launchType !== s.launchType
    || !same(next.capacityProviderStrategy, s.capacityProviderStrategy);
  if (redeploy) {
    const older = s.deployments.map((d): DeploymentRecord => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE', updatedAt: now } : d));
    next.deployments = [deployment(newDeploymentId(), next, now), ...older];
  } else if (next.desiredCount !== s.desiredCount) {
    next.deployments = s.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, desiredCount: next.desiredCount, updatedAt: now } : d));
  }
  // Anything changed: the reconciler says "has reached a steady state" again once it is.
  if (!same(next, s)) next.steady = false;
  return next;
}

/**
 * DeleteService: DRAINING with no desired tasks; the reconciler stops the tasks and
 * makes it INACTIVE.
 */
export function drainService(s: ServiceRecord, force: boolean, now: number): ServiceRecord {
  // Deleting a service already DRAINING or INACTIVE answers it as it is (AWS SDK and CLI issue reports show both).
  if (s.status !== 'ACTIVE') return s;
  if (s.schedulingStrategy === 'REPLICA' && s.desiredCount > 0 && !force) {
    fail('InvalidParameterException', `The service cannot be stopped while it is scaled above 0. Set its desiredCount to 0 with UpdateService first, or delete it with force.`);
  }
  return {
    ...s,
    status: 'DRAINING',
    desiredCount: 0,
    deployments: s.deployments.map((d) => (d.desiredCount === 0 ? d : { ...d, desiredCount: 0, updatedAt: now })),
    // An EXTERNAL service's task sets go with it; the reconciler drains them, then drops them.
    ...(s.taskSets && { taskSets: s.taskSets.map((t) => (t.status === 'DRAINING' ? t : { ...t, status: 'DRAINING' as const, updatedAt: now })) }),
    steady: false,
  };
}
