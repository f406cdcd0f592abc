/**
 * The rules CreateService and UpdateService apply to their own parameters, before anything
 * they name is looked up (the cluster, the task definition, capacity providers). Pure: each
 * rule throws AWS's exception with AWS's sentence where it is known, then what to do.
 */
import { fail } from '../errors.ts';
import type { CapacityProviderStrategyItem, DeploymentConfiguration, NetworkConfiguration, SchedulingStrategy } from './service.ts';
import type { TaskDefinitionRecord } from './task-definition.ts';

/** Service names: up to 255 letters, numbers, underscores and hyphens (Service.serviceName in the API reference). */
const NAME = /^[A-Za-z0-9_-]{1,255}$/;
/** CreateService clientToken: up to 36 ASCII characters in the range 33-126 (API reference). */
export const MAX_CLIENT_TOKEN = 36;
/** Amazon ECS service quota "Tasks per service": 5,000. */
export const MAX_DESIRED_COUNT = 5000;
/** CapacityProviderStrategyItem: weight 0-1000, base 0-100000; at most 20 providers per strategy (API reference). */
const MAX_WEIGHT = 1000;
const MAX_BASE = 100_000;
export const MAX_STRATEGY_PROVIDERS = 20;
/** healthCheckGracePeriodSeconds: "up to 2,147,483,647 seconds" (CreateService reference). */
const MAX_GRACE = 2_147_483_647;
/** AwsVpcConfiguration: up to 16 subnets and 5 security groups (API reference). */
const MAX_SUBNETS = 16;
const MAX_SECURITY_GROUPS = 5;

/** The deployment configuration ECS fills in: 100/200 for REPLICA, 0/100 for DAEMON (DeploymentConfiguration reference). */
export function defaultDeploymentConfiguration(strategy: SchedulingStrategy): DeploymentConfiguration {
  return {
    deploymentCircuitBreaker: { enable: false, rollback: false },
    maximumPercent: strategy === 'DAEMON' ? 100 : 200,
    minimumHealthyPercent: strategy === 'DAEMON' ? 0 : 100,
  };
}

export function validateServiceName(name: string): void {
  if (!NAME.test(name)) {
    fail('InvalidParameterException', `Service name '${name}' is not valid: use 1 to 255 letters, numbers, hyphens and underscores.`);
  }
}

export function validateClientToken(token: string): void {
  if (token.length < 1 || token.length > MAX_CLIENT_TOKEN || !/^[\x21-\x7e]+$/.test(token)) {
    fail('InvalidParameterException', `clientToken must be 1 to ${MAX_CLIENT_TOKEN} printable ASCII characters without spaces.`);
  }
}

export function validateDesiredCount(n: number): void {
  if (n < 0 || n > MAX_DESIRED_COUNT) {
    fail('InvalidParameterException', `desiredCount must be between 0 and ${MAX_DESIRED_COUNT} (the tasks-per-service quota); it was ${n}.`);
  }
}

/** The daemon strategy's own rules, as ECS words them. */
export function checkDaemon(input: { desiredCount?: number; placementStrategy?: readonly unknown[]; capacityProviderStrategy?: readonly unknown[] }): void {
  if (input.desiredCount !== undefined) {
    fail('InvalidParameterException', 'The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again');
  }
  if (input.placementStrategy?.length) {
    fail('InvalidParameterException', 'The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again');
  }
  if (input.capacityProviderStrategy?.length) {
    fail('InvalidParameterException', 'Specifying a capacity provider strategy is not supported when you create a service using the DAEMON scheduling strategy.');
  }
}

export interface DeploymentConfigurationInput {
  deploymentCircuitBreaker?: { enable: boolean; rollback: boolean };
  maximumPercent?: number;
  minimumHealthyPercent?: number;
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  strategy?: string;
  bakeTimeInMinutes?: number;
}

/**
 * The deployment configuration a request leads to: the given members over `current` (the
 * service's, on update) or ECS's defaults, then checked as a whole.
 */
export function resolveDeploymentConfiguration(input: DeploymentConfigurationInput | undefined, strategy: SchedulingStrategy, current?: DeploymentConfiguration): DeploymentConfiguration {
  const base = current ?? defaultDeploymentConfiguration(strategy);
  const out: DeploymentConfiguration = {
    ...base,
    ...(input?.deploymentCircuitBreaker && { deploymentCircuitBreaker: input.deploymentCircuitBreaker }),
    ...(input?.maximumPercent !== undefined && { maximumPercent: input.maximumPercent }),
    ...(input?.minimumHealthyPercent !== undefined && { minimumHealthyPercent: input.minimumHealthyPercent }),
    ...(input?.alarms && { alarms: input.alarms }),
    ...(input?.strategy !== undefined && { strategy: input.strategy }),
    ...(input?.bakeTimeInMinutes !== undefined && { bakeTimeInMinutes: input.bakeTimeInMinutes }),
  };
  const { maximumPercent: max, minimumHealthyPercent: min } = out;
  if (strategy === 'DAEMON' && max > 100) {
    fail('InvalidParameterException', 'The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again');
  }
  if (min < 0 || min > 100) fail('InvalidParameterException', `minimumHealthyPercent must be between 0 and 100; it was ${min}.`);
  if (max < 0) fail('InvalidParameterException', `maximumPercent must not be negative; it was ${max}.`);
  if (max < min) {
    fail('InvalidParameterException', `maximumPercent (${max}) must be greater than or equal to minimumHealthyPercent (${min}): raise maximumPercent, or lower minimumHealthyPercent.`);
  }
  if (out.deploymentCircuitBreaker.rollback && !out.deploymentCircuitBreaker.enable) {
    fail('InvalidParameterException', 'deploymentCircuitBreaker rollback needs enable: set enable=true, or rollback=false.');
  }
  if (out.strategy !== undefined && out.strategy !== 'ROLLING') {
    fail('InvalidParameterException', `Deployment strategy ${out.strategy} needs a load balancer, which Berth does not have yet: use ROLLING (the default).`);
  }
  if (out.bakeTimeInMinutes !== undefined && (out.bakeTimeInMinutes < 0 || out.bakeTimeInMinutes > 1440)) {
    fail('InvalidParameterException', `bakeTimeInMinutes must be between 0 and 1440; it was ${out.bakeTimeInMinutes}.`);
  }
  return out;
}

export function validateCapacityProviderStrategy(items: readonly CapacityProviderStrategyItem[]): void {
  if (items.length > MAX_STRATEGY_PROVIDERS) fail('InvalidParameterException', `A capacity provider strategy can contain at most ${MAX_STRATEGY_PROVIDERS} capacity providers; ${items.length} were given.`);
  const seen = new Set<string>();
  for (const i of items) {
    if (seen.has(i.capacityProvider)) fail('InvalidParameterException', `Capacity provider ${i.capacityProvider} appears more than once in the capacity provider strategy: list each once.`);
    seen.add(i.capacityProvider);
    if (i.weight !== undefined && (i.weight < 0 || i.weight > MAX_WEIGHT)) fail('InvalidParameterException', `The weight of capacity provider ${i.capacityProvider} must be between 0 and ${MAX_WEIGHT}; it was ${i.weight}.`);
    if (i.base !== undefined && (i.base < 0 || i.base > MAX_BASE)) fail('InvalidParameterException', `The base of capacity provider ${i.capacityProvider} must be between 0 and ${MAX_BASE}; it was ${i.base}.`);
  }
  if (items.filter((i) => (i.base ?? 0) > 0).length > 1) {
    fail('InvalidParameterException', 'Only one capacity provider in a capacity provider strategy can have a base defined: remove the base from all but one.');
  }
  if (items.length > 0 && items.every((i) => (i.weight ?? 0) === 0) && items.every((i) => (i.base ?? 0) === 0)) {
    fail('InvalidParameterException', 'A capacity provider strategy needs at least one capacity provider with a weight greater than 0: give one a weight.');
  }
}

/**
 * UpdateService: a new capacity provider strategy (from a launch type, a different one, or
 * an empty one back to a launch type) takes `forceNewDeployment`, as ECS requires.
 */
export function checkStrategyChange(current: { capacityProviderStrategy?: readonly CapacityProviderStrategyItem[] }, given: readonly CapacityProviderStrategyItem[] | undefined, force: boolean | undefined): void {
  if (given === undefined || force === true) return;
  const before = current.capacityProviderStrategy ?? [];
  if (JSON.stringify(before) === JSON.stringify(given)) return;
  fail('InvalidParameterException', 'When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment. Pass --force-new-deployment with the new strategy.');
}

/** Both at once is refused by ECS even when the launch type is EC2. */
export function checkLaunchTypeAndStrategy(launchType: string | undefined, strategy: readonly unknown[] | undefined): void {
  if (launchType !== undefined && strategy?.length) {
    fail('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
}

export function validateGracePeriod(seconds: number): void {
  if (seconds < 0 || seconds > MAX_GRACE) fail('InvalidParameterException', `healthCheckGracePeriodSeconds must be between 0 and ${MAX_GRACE}; it was ${seconds}.`);
}

/** The network configuration rules RunTask applies, for the task definition a deployment runs. */
export function checkNetworkConfiguration(net: NetworkConfiguration | undefined, td: TaskDefinitionRecord): void {
  if (td.networkMode === 'awsvpc' && !net?.awsvpcConfiguration) {
    fail('InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified: pass --network-configuration 'awsvpcConfiguration={subnets=[subnet-berth]}'.");
  }
  if (td.networkMode !== 'awsvpc' && net) {
    fail('InvalidParameterException', `Network Configuration is not valid for the given networkMode of this task definition (${td.networkMode ?? 'bridge'}): remove it, or use an awsvpc task definition.`);
  }
  const sub = net?.awsvpcConfiguration;
  if (!sub) return;
  if (sub.subnets.length === 0) fail('InvalidParameterException', 'subnets can not be empty: give at least one subnet id.');
  if (sub.subnets.length > MAX_SUBNETS) fail('InvalidParameterException', `At most ${MAX_SUBNETS} subnets can be given; ${sub.subnets.length} were.`);
  if ((sub.securityGroups?.length ?? 0) > MAX_SECURITY_GROUPS) fail('InvalidParameterException', `At most ${MAX_SECURITY_GROUPS} security groups can be given; ${sub.securityGroups!.length} were.`);
}

/** What ECS refuses of the task definition a service is to run. */
export function checkServiceTaskDefinition(td: TaskDefinitionRecord | undefined, ref: string): asserts td is TaskDefinitionRecord {
  if (!td) fail('ClientException', `TaskDefinition not found. '${ref}' names no registered revision: register it first, or check the family and revision.`);
  if (td.status !== 'ACTIVE') fail('ClientException', `TaskDefinition is inactive. ${td.taskDefinitionArn} is ${td.status}: use an ACTIVE revision.`);
}

/** Features whose AWS counterpart (ELB, Cloud Map, VPC Lattice, EBS) Berth does not have yet. */
export function checkUnsupported(input: { loadBalancers?: readonly unknown[]; serviceRegistries?: readonly unknown[]; serviceConnectConfiguration?: { enabled?: boolean }; vpcLatticeConfigurations?: readonly unknown[]; volumeConfigurations?: readonly unknown[]; deploymentController?: { type: string } }): void {
  const missing: [boolean, string][] = [
    [Boolean(input.loadBalancers?.length), 'loadBalancers (Elastic Load Balancing)'],
    [Boolean(input.serviceRegistries?.length), 'serviceRegistries (AWS Cloud Map)'],
    [Boolean(input.serviceConnectConfiguration?.enabled), 'serviceConnectConfiguration (Service Connect)'],
    [Boolean(input.vpcLatticeConfigurations?.length), 'vpcLatticeConfigurations (VPC Lattice)'],
    [Boolean(input.volumeConfigurations?.length), 'volumeConfigurations (Amazon EBS)'],
    [input.deploymentController !== undefined && input.deploymentController.type !== 'ECS' && input.deploymentController.type !== 'EXTERNAL', `deploymentController ${input.deploymentController?.type} (the ECS and EXTERNAL controllers are)`],
  ];
  const hit = missing.find(([given]) => given);
  if (hit) fail('InvalidParameterException', `${hit[1]} is not available in this Berth release: remove it from the request.`);
}

/** What a task set decides (CreateTaskSet's parameters) is not given to a service of the EXTERNAL controller. */
const TASK_SET_FIELDS = ['taskDefinition', 'networkConfiguration', 'platformVersion'] as const;

/** What to do, after ECS's sentence, when CreateService of an EXTERNAL service is given a task set's field. */
const PER_TASK_SET = (f: string) => `A service of the EXTERNAL deployment controller takes ${f} from its task sets: remove it, and pass it to CreateTaskSet.`;

/**
 * CreateService with the EXTERNAL deployment controller: "you can specify only parameters
 * that aren't controlled at the task set level" (CreateService reference), and the DAEMON
 * strategy is refused ("Tasks using ... the CODE_DEPLOY or EXTERNAL deployment controller
 * types don't support the DAEMON scheduling strategy"). ECS's sentences are those users
 * report from CreateService ("TaskDefinition must be blank.", "Family should not be null or
 * empty." for an empty one, "NetworkConfiguration must be null.").
 */
export function checkExternalCreate(input: { schedulingStrategy?: string; taskDefinition?: string; networkConfiguration?: unknown; platformVersion?: string }): void {
  if (input.schedulingStrategy === 'DAEMON') {
    fail('InvalidParameterException', 'The DAEMON scheduling strategy is not supported with the EXTERNAL deployment controller: use REPLICA (the default).');
  }
  if (input.taskDefinition === '') fail('InvalidParameterException', `Family should not be null or empty. ${PER_TASK_SET('its task definition')}`);
  if (input.taskDefinition !== undefined) fail('InvalidParameterException', `TaskDefinition must be blank. ${PER_TASK_SET('its task definition')}`);
  if (input.networkConfiguration !== undefined) fail('InvalidParameterException', `NetworkConfiguration must be null. ${PER_TASK_SET('its network configuration')}`);
  if (input.platformVersion !== undefined) fail('InvalidParameterException', `PlatformVersion must be null. ${PER_TASK_SET('its platform version')}`);
}

/**
 * UpdateService of an EXTERNAL service: "you can update only the desired count, task
 * placement constraints and strategies, health check grace period, enable ECS managed tags
 * option, and propagate tags option" (UpdateService reference); what runs changes by task set.
 */
export function checkExternalUpdate(input: { taskDefinition?: string; networkConfiguration?: unknown; platformVersion?: string; capacityProviderStrategy?: unknown; forceNewDeployment?: boolean }): void {
  const given = ([...TASK_SET_FIELDS, 'capacityProviderStrategy', 'forceNewDeployment'] as const).find((f) => input[f] !== undefined);
  if (given) fail('InvalidParameterException', `${given} cannot be updated on a service that uses the EXTERNAL deployment controller: create a new task set with CreateTaskSet, then make it primary with UpdateServicePrimaryTaskSet.`);
}
