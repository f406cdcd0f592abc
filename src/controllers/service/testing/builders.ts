/**
 * Fixture builders for service reconciler tests: a container instance, a service record
 * with its first deployment, and a task definition's simulated behaviour.
 */
import type { InstanceState } from '../../../cluster/types.ts';
import type { DeploymentConfiguration, DeploymentRecord, ServiceRecord } from '../../../core/ecs/service.ts';
import type { TaskSetRecord } from '../../../core/ecs/task-set.ts';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const CLUSTER = 'default';
export const clusterArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`;
export const taskDefinitionArn = (family: string, revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
export const instanceArn = (id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${CLUSTER}/${id}`;

export interface InstanceSpec {
  id: string;
  zone?: string;
  cpu?: number;
  memory?: number;
  status?: InstanceState['record']['status'];
}

export function instance(spec: InstanceSpec): InstanceState {
  const cpu = spec.cpu ?? 4096;
  const memory = spec.memory ?? 8192;
  const arn = instanceArn(spec.id);
  return {
    key: `/instances/${spec.id}`,
    modRevision: 1,
    record: {
      containerInstanceArn: arn,
      ec2InstanceId: `i-${spec.id}`,
      version: 1,
      versionInfo: {},
      remainingResources: [{ name: 'CPU', type: 'INTEGER', integerValue: cpu }, { name: 'MEMORY', type: 'INTEGER', integerValue: memory }],
      registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: cpu }, { name: 'MEMORY', type: 'INTEGER', integerValue: memory }],
      status: spec.status ?? 'ACTIVE',
      agentConnected: true,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      attributes: [{ name: 'ecs.availability-zone', value: spec.zone ?? 'us-east-1a' }],
      registeredAt: 0,
      attachments: [],
      tags: [],
    },
  };
}

export interface ServiceSpec {
  name?: string;
  desiredCount?: number;
  taskDefinition?: string;
  deploymentId?: string;
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  circuitBreaker?: { enable: boolean; rollback: boolean };
  schedulingStrategy?: 'REPLICA' | 'DAEMON';
  healthCheckGracePeriodSeconds?: number;
  /** The first deployment's rollout state (COMPLETED: the service was steady before the test). */
  rolloutState?: DeploymentRecord['rolloutState'];
  createdAt?: number;
}

export function service(spec: ServiceSpec = {}): ServiceRecord {
  const name = spec.name ?? 'web';
  const daemon = spec.schedulingStrategy === 'DAEMON';
  const td = spec.taskDefinition ?? taskDefinitionArn('web', 1);
  const id = spec.deploymentId ?? 'ecs-svc/0000000000000000001';
  const desiredCount = spec.desiredCount ?? (daemon ? 0 : 1);
  const createdAt = spec.createdAt ?? 0;
  const deploymentConfiguration: DeploymentConfiguration = {
    deploymentCircuitBreaker: spec.circuitBreaker ?? { enable: false, rollback: false },
    maximumPercent: spec.maximumPercent ?? (daemon ? 100 : 200),
    minimumHealthyPercent: spec.minimumHealthyPercent ?? (daemon ? 0 : 100),
  };
  const rolloutState = spec.rolloutState ?? 'IN_PROGRESS';
  return {
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${name}`,
    serviceName: name,
    clusterArn,
    status: 'ACTIVE',
    desiredCount,
    launchType: 'EC2',
    taskDefinition: td,
    deploymentConfiguration,
    deployments: [{
      id,
      status: 'PRIMARY',
      taskDefinition: td,
      desiredCount,
      failedTasks: 0,
      createdAt,
      updatedAt: createdAt,
      launchType: 'EC2',
      rolloutState,
      rolloutStateReason: rolloutState === 'COMPLETED' ? `ECS deployment ${id} completed.` : `ECS deployment ${id} in progress.`,
    }],
    events: [],
    createdAt,
    placementConstraints: [],
    placementStrategy: [],
    ...(spec.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds }),
    schedulingStrategy: daemon ? 'DAEMON' : 'REPLICA',
    deploymentController: { type: 'ECS' },
    loadBalancers: [],
    serviceRegistries: [],
    tags: [],
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
  };
}

/**
 * What UpdateService does to the record when the task definition changes (the API helper's
 * job; mirrored here so tests can start deployments): a new PRIMARY IN_PROGRESS, the old
 * PRIMARY becomes ACTIVE.
 */
export function updateService(record: ServiceRecord, change: { taskDefinition?: string; desiredCount?: number; deploymentId: string; nowSeconds: number }): ServiceRecord {
  const td = change.taskDefinition ?? record.taskDefinition;
  const desiredCount = change.desiredCount ?? record.desiredCount;
  const fresh: DeploymentRecord = {
    id: change.deploymentId,
    status: 'PRIMARY',
    taskDefinition: td,
    desiredCount,
    failedTasks: 0,
    createdAt: change.nowSeconds,
    updatedAt: change.nowSeconds,
    launchType: 'EC2',
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${change.deploymentId} in progress.`,
  };
  return {
    ...record,
    taskDefinition: td,
    desiredCount,
    deployments: [fresh, ...record.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' as const } : d))],
    steady: false,
  };
}

/** How the simulated tasks of one task definition behave. */
export interface Behaviour {
  cpu: number;
  memory: number;
  /** A container health check is defined (the task turns HEALTHY or UNHEALTHY after `healthDelayMs`). */
  healthChecked: boolean;
  /** Each task: how long from launch to RUNNING (ms). */
  startDelayMs: (rng: () => number) => number;
  healthDelayMs?: (rng: () => number) => number;
  /** Each task: what becomes of it. */
  outcome: (rng: () => number) => 'run' | 'failToStart' | 'unhealthy';
}

export const behaviours = {
  good: (over: Partial<Behaviour> = {}): Behaviour => ({ cpu: 256, memory: 512, healthChecked: false, startDelayMs: () => 2000, outcome: () => 'run', ...over }),
  badImage: (): Behaviour => ({ cpu: 256, memory: 512, healthChecked: false, startDelayMs: () => 3000, outcome: () => 'failToStart' }),
  badHealthCheck: (): Behaviour => ({ cpu: 256, memory: 512, healthChecked: true, startDelayMs: () => 2000, healthDelayMs: () => 10_000, outcome: () => 'unhealthy' }),
};

/** A service of the EXTERNAL deployment controller: no deployment, the given task sets. */
export function externalService(spec: { name?: string; desiredCount?: number; taskSets?: TaskSetRecord[] } = {}): ServiceRecord {
  const base = service({ name: spec.name ?? 'web', desiredCount: spec.desiredCount ?? 4 });
  const primary = spec.taskSets?.find((t) => t.status === 'PRIMARY');
  return { ...base, taskDefinition: primary?.taskDefinition ?? '', deployments: [], taskSets: spec.taskSets ?? [], deploymentController: { type: 'EXTERNAL' } };
}

/** A task set as CreateTaskSet makes it (ACTIVE, STABILIZING), `scale` percent. */
export function taskSet(spec: { id: string; scale?: number; taskDefinition?: string; status?: TaskSetRecord['status']; service?: string }): TaskSetRecord {
  return {
    id: spec.id,
    taskSetArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-set/${CLUSTER}/${spec.service ?? 'web'}/${spec.id}`,
    status: spec.status ?? 'ACTIVE',
    taskDefinition: spec.taskDefinition ?? taskDefinitionArn('web', 1),
    scale: { value: spec.scale ?? 100, unit: 'PERCENT' },
    createdAt: 0,
    updatedAt: 0,
    launchType: 'EC2',
    loadBalancers: [],
    serviceRegistries: [],
    tags: [],
    stabilityStatus: 'STABILIZING',
    stabilityStatusAt: 0,
  };
}
