import { fail } from '../../core/errors.ts';
import { FARGATE_PLATFORM_FAMILY } from '../../core/ecs/fargate.ts';
import { checkAssignPublicIp, checkFargateLaunch, checkPlatformVersion } from '../../core/ecs/fargate-rules.ts';
import type { ClusterRecord } from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration, SchedulingStrategy } from '../../core/ecs/service.ts';
import type { ServiceSpec } from '../../core/ecs/service-lifecycle.ts';
import {
  checkDaemon, checkExternalCreate, checkLaunchTypeAndStrategy, checkNetworkConfiguration, checkServiceTaskDefinition, checkUnsupported, resolveDeploymentConfiguration,
  validateCapacityProviderStrategy, validateClientToken, validateDesiredCount, validateGracePeriod, validateServiceName, type DeploymentConfigurationInput,
} from '../../core/ecs/service-rules.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import type { TaskDefinitionRecord } from '../../core/ecs/task-definition.ts';
import type { PlacementConstraint, PlacementStrategy } from '../../scheduler/types.ts';
import { kindOf } from '../../core/ecs/capacity-provider.ts';
import { strategyLaunchType } from '../../scheduler/capacity-strategy.ts';
import { validatePlacementConstraints, validatePlacementStrategies } from '../../scheduler/validate.ts';
import type { Store } from '../../store/store.ts';
import { resolveTaskDefinition } from './task-definitions.ts';

type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

export interface CreateServiceInput {
  cluster?: string;
  serviceName: string;
  taskDefinition?: string;
  desiredCount?: number;
  clientToken?: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  role?: string;
  deploymentConfiguration?: DeploymentConfigurationInput;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  schedulingStrategy?: SchedulingStrategy;
  deploymentController?: { type: string };
  tags?: Tag[];
  enableECSManagedTags?: boolean;
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand?: boolean;
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
  loadBalancers?: unknown[];
  serviceRegistries?: unknown[];
  serviceConnectConfiguration?: { enabled?: boolean };
  volumeConfigurations?: unknown[];
  vpcLatticeConfigurations?: unknown[];
}

export interface UpdateServiceInput {
  cluster?: string;
  service: string;
  desiredCount?: number;
  taskDefinition?: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  deploymentConfiguration?: DeploymentConfigurationInput;
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  platformVersion?: string;
  forceNewDeployment?: boolean;
  healthCheckGracePeriodSeconds?: number;
  deploymentController?: { type: string };
  enableExecuteCommand?: boolean;
  enableECSManagedTags?: boolean;
  loadBalancers?: unknown[];
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  serviceRegistries?: unknown[];
  serviceConnectConfiguration?: { enabled?: boolean };
  volumeConfigurations?: unknown[];
  vpcLatticeConfigurations?: unknown[];
}

/** CreateService's rules on its own parameters: run before the cluster is looked up. */
export function checkCreateInput(input: CreateServiceInput): SchedulingStrategy {
  validateServiceName(input.serviceName);
  if (input.clientToken !== undefined) validateClientToken(input.clientToken);
  const strategy = input.schedulingStrategy ?? 'REPLICA';
  if (strategy === 'DAEMON') {
    checkDaemon(input);
    if (input.launchType === 'FARGATE') {
      fail('InvalidParameterException', "Tasks using the Fargate launch type don't support the DAEMON scheduling strategy. Use REPLICA, or launch type EC2 for a task on every container instance.");
    }
  } else if (input.desiredCount === undefined) {
    fail('InvalidParameterException', 'desiredCount is required for the REPLICA scheduling strategy: pass --desired-count (0 or more).');
  }
  if (input.desiredCount !== undefined) validateDesiredCount(input.desiredCount);
  checkLaunchTypeAndStrategy(input.launchType, input.capacityProviderStrategy);
  if (input.launchType !== 'FARGATE') checkPlatformVersion(input.launchType, input.platformVersion);
  validateCapacityProviderStrategy(input.capacityProviderStrategy ?? []);
  validatePlacementStrategies(input.placementStrategy);
  validatePlacementConstraints(input.placementConstraints);
  resolveDeploymentConfiguration(input.deploymentConfiguration, strategy);
  if (input.healthCheckGracePeriodSeconds !== undefined) validateGracePeriod(input.healthCheckGracePeriodSeconds);
  checkUnsupported(input);
  validateTags(input.tags ?? []);
  if (input.deploymentController?.type === 'EXTERNAL') checkExternalCreate(input);
  else if (!input.taskDefinition) fail('InvalidParameterException', 'A task definition must be specified for a service that uses the ECS deployment controller: pass --task-definition.');
  return strategy;
}

/** UpdateService's rules on its own parameters (those that need no service record). */
export function checkUpdateInput(input: UpdateServiceInput): void {
  if (input.desiredCount !== undefined) validateDesiredCount(input.desiredCount);
  if (input.capacityProviderStrategy) validateCapacityProviderStrategy(input.capacityProviderStrategy);
  validatePlacementStrategies(input.placementStrategy);
  validatePlacementConstraints(input.placementConstraints);
  if (input.healthCheckGracePeriodSeconds !== undefined) validateGracePeriod(input.healthCheckGracePeriodSeconds);
  checkUnsupported(input);
}

/** The task definition's own constraints count towards the 10 a task may have. */
export function checkConstraintsWith(constraints: readonly PlacementConstraint[] | undefined, td: TaskDefinitionRecord): void {
  validatePlacementConstraints(constraints, td.placementConstraints.length);
}

/** The ACTIVE task definition revision a request names (a family alone: its latest ACTIVE revision). */
export async function serviceTaskDefinition(store: Store, scope: Scope, ref: string): Promise<TaskDefinitionRecord> {
  const td = await resolveTaskDefinition(store, scope, ref);
  checkServiceTaskDefinition(td, ref);
  return td;
}

/**
 * Every provider of a strategy must be associated with the cluster: one created with
 * CreateCapacityProvider, or FARGATE / FARGATE_SPOT, which every account has but a cluster
 * uses only once PutClusterCapacityProviders (or CreateCluster) associates them
 * (CapacityProviderStrategyItem reference).
 */
export async function checkCapacityProviders(store: Store, scope: Scope, cluster: ClusterRecord, items: readonly CapacityProviderStrategyItem[]): Promise<void> {
  for (const { capacityProvider: name } of items) {
    const builtIn = kindOf(name)?.builtIn === true;
    const known = cluster.capacityProviders.includes(name) && (builtIn || (await store.get(keys.capacityProvider(scope, name))) !== undefined);
    if (!known) {
      const fix = builtIn ? `add ${name} to cluster ${cluster.clusterName} with PutClusterCapacityProviders` : `'${name}' in cluster ${cluster.clusterName}: create it with CreateCapacityProvider and add it with PutClusterCapacityProviders`;
      fail('InvalidParameterException', `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again. (${fix}.)`);
    }
  }
}

/** The spec of a checked CreateService request, ECS's defaults filled in. */
export function createSpec(input: CreateServiceInput, strategy: SchedulingStrategy, td: TaskDefinitionRecord | undefined, cluster: ClusterRecord): ServiceSpec {
  // An EXTERNAL service has no task definition: its task sets bring theirs.
  if (td) checkNetworkConfiguration(input.networkConfiguration, td);
  if (td) checkConstraintsWith(input.placementConstraints, td);
  else validatePlacementConstraints(input.placementConstraints);
  // Neither a launch type nor a strategy: the cluster's default strategy, else EC2 (DAEMON never takes a strategy).
  const clusterDefault = cluster.defaultCapacityProviderStrategy as unknown as CapacityProviderStrategyItem[];
  if (strategy === 'DAEMON' && input.launchType === undefined && clusterDefault.length > 0) {
    fail('InvalidParameterException', `Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy. (Cluster ${cluster.clusterName} has a default capacity provider strategy: pass --launch-type EC2.)`);
  }
  const useDefault = input.launchType === undefined && !input.capacityProviderStrategy?.length && clusterDefault.length > 0;
  const capacityProviderStrategy = input.capacityProviderStrategy?.length ? input.capacityProviderStrategy : useDefault ? clusterDefault : undefined;
  const launchType = capacityProviderStrategy ? strategyLaunchType(capacityProviderStrategy) : input.launchType ?? 'EC2';
  if (td) checkLaunchRules(launchType, input, td);
  return {
    serviceName: input.serviceName,
    taskDefinitionArn: td?.taskDefinitionArn ?? '',
    ...(input.deploymentController?.type === 'EXTERNAL' && { deploymentController: 'EXTERNAL' as const }),
    desiredCount: input.desiredCount ?? 0,
    schedulingStrategy: strategy,
    ...(capacityProviderStrategy ? { capacityProviderStrategy } : { launchType: input.launchType ?? 'EC2' }),
    // A Fargate service shows the version asked for (LATEST when none), its deployments the one they run.
    ...(launchType === 'FARGATE' ? { platformVersion: input.platformVersion ?? 'LATEST', platformFamily: FARGATE_PLATFORM_FAMILY } : input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
    deploymentConfiguration: resolveDeploymentConfiguration(input.deploymentConfiguration, strategy),
    placementConstraints: input.placementConstraints ?? [],
    placementStrategy: input.placementStrategy ?? [],
    ...(input.networkConfiguration !== undefined && { networkConfiguration: input.networkConfiguration }),
    ...(input.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds }),
    ...(input.role !== undefined && { roleArn: input.role }),
    tags: input.tags ?? [],
    enableECSManagedTags: input.enableECSManagedTags ?? false,
    propagateTags: input.propagateTags ?? 'NONE',
    enableExecuteCommand: input.enableExecuteCommand ?? false,
    // "For create service requests, when no value is specified ... defaults the value to ENABLED" (API reference).
    availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? 'ENABLED',
  };
}

/**
 * The rules of the launch type a service's tasks get (given, or its strategy's): on
 * Fargate, a FARGATE-compatible definition, no placement rules, a known platform version;
 * on EC2, no platform version; public IPs on Fargate only.
 */
export function checkLaunchRules(launchType: LaunchType, input: { platformVersion?: string; placementConstraints?: readonly unknown[]; placementStrategy?: readonly unknown[]; networkConfiguration?: NetworkConfiguration }, td: TaskDefinitionRecord): void {
  if (launchType === 'FARGATE') {
    checkFargateLaunch({
      ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
      ...(input.placementConstraints && { placementConstraints: input.placementConstraints }),
      ...(input.placementStrategy && { placementStrategy: input.placementStrategy }),
    }, td);
  } else {
    checkPlatformVersion(launchType, input.platformVersion);
  }
  checkAssignPublicIp(input.networkConfiguration, launchType);
}

/** A request as canonical JSON (sorted keys, the cluster left out): what idempotency compares. */
export function canonicalRequest(input: CreateServiceInput): string {
  const { cluster: _cluster, ...rest } = input;
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(rest));
}
