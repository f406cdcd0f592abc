/**
 * The Service and Deployment shapes of the ECS API from a stored record and the task
 * counts of the moment. Counts are never stored: they are counted from the service's tasks
 * (group `service:<name>`, startedBy = deployment id) when answering.
 */
import type { DeploymentRecord, ServiceRecord } from './service.ts';

export interface TaskCounts {
  running: number;
  pending: number;
}

/** Counts of one service: in all, and per deployment id. */
export interface ServiceCounts {
  total: TaskCounts;
  byDeployment: ReadonlyMap<string, TaskCounts>;
}

export const NO_COUNTS: ServiceCounts = { total: { running: 0, pending: 0 }, byDeployment: new Map() };

/** The fields of a task that counting reads. */
export interface CountedTask {
  group?: string;
  startedBy?: string;
  lastStatus: string;
  desiredStatus: string;
}

/**
 * Counts tasks per service name and deployment. A task counts while it is desired
 * RUNNING: RUNNING when it runs, pending until then; one the scheduler has stopped counts
 * no more, so runningCount reaches desiredCount when a rollout has finished.
 */
export function countServiceTasks(tasks: Iterable<CountedTask>): Map<string, ServiceCounts> {
  const out = new Map<string, { total: TaskCounts; byDeployment: Map<string, TaskCounts> }>();
  for (const t of tasks) {
    if (!t.group?.startsWith('service:') || t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
    const name = t.group.slice('service:'.length);
    let c = out.get(name);
    if (!c) out.set(name, (c = { total: { running: 0, pending: 0 }, byDeployment: new Map() }));
    const key = t.lastStatus === 'RUNNING' ? 'running' : 'pending';
    c.total[key]++;
    if (t.startedBy !== undefined) {
      let d = c.byDeployment.get(t.startedBy);
      if (!d) c.byDeployment.set(t.startedBy, (d = { running: 0, pending: 0 }));
      d[key]++;
    }
  }
  return out;
}

function deploymentView(d: DeploymentRecord, counts: ServiceCounts) {
  const c = counts.byDeployment.get(d.id) ?? { running: 0, pending: 0 };
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: c.pending,
    runningCount: c.running,
    failedTasks: d.failedTasks,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    ...(d.capacityProviderStrategy !== undefined && { capacityProviderStrategy: d.capacityProviderStrategy }),
    ...(d.launchType !== undefined && { launchType: d.launchType }),
    ...(d.platformVersion !== undefined && { platformVersion: d.platformVersion }),
    ...(d.platformFamily !== undefined && { platformFamily: d.platformFamily }),
    ...(d.networkConfiguration !== undefined && { networkConfiguration: d.networkConfiguration }),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

export type ServiceView = ReturnType<typeof serviceView>;

/**
 * The Service shape. `tags`: 'include' (DescribeServices with include TAGS: always),
 * 'answer' (Create/Update/DeleteService: when the service has some, as AWS's create-service
 * answers show), 'omit' (DescribeServices without include).
 */
export function serviceView(s: ServiceRecord, counts: ServiceCounts, tags: 'include' | 'answer' | 'omit') {
  return {
    serviceArn: s.serviceArn,
    serviceName: s.serviceName,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: counts.total.running,
    pendingCount: counts.total.pending,
    // DescribeServices leaves launchType out of a service that uses a capacity provider strategy, and the other way round.
    ...(s.launchType !== undefined && { launchType: s.launchType }),
    ...(s.capacityProviderStrategy !== undefined && { capacityProviderStrategy: s.capacityProviderStrategy }),
    ...(s.platformVersion !== undefined && { platformVersion: s.platformVersion }),
    ...(s.platformFamily !== undefined && { platformFamily: s.platformFamily }),
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: s.deploymentConfiguration,
    // INACTIVE deployments are dropped from the answer, as ECS stops showing them.
    deployments: s.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => deploymentView(d, counts)),
    ...(s.roleArn !== undefined && { roleArn: s.roleArn }),
    events: s.events,
    createdAt: s.createdAt,
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    ...(s.networkConfiguration !== undefined && { networkConfiguration: s.networkConfiguration }),
    ...(s.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds }),
    schedulingStrategy: s.schedulingStrategy,
    deploymentController: s.deploymentController,
    ...((tags === 'include' || (tags === 'answer' && s.tags.length > 0)) && { tags: s.tags }),
    ...(s.createdBy !== undefined && { createdBy: s.createdBy }),
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand,
    ...(s.availabilityZoneRebalancing !== undefined && { availabilityZoneRebalancing: s.availabilityZoneRebalancing }),
  };
}
