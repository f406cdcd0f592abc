/**
 * The Service and Deployment shapes of the ECS API from a stored record and the task
 * counts of the moment. Counts are never stored: they are counted from the service's tasks
 * (group `service:<name>`, startedBy = deployment id) when answering.
 */
import type { DeploymentRecord, ServiceRecord } from './service.ts';
import { currentServiceMembers } from './service-deployment.ts';
import { taskSetView } from './task-set-view.ts';
import type { ServiceCounts, TaskCounts } from './service-counts.ts';


/** A service's counts: the sum over the deployments it has (INACTIVE ones too, while kept), or over its task sets (EXTERNAL). */
export function serviceTotals(s: Pick<ServiceRecord, 'deployments' | 'taskSets'>, counts: ServiceCounts): TaskCounts {
  const total = { running: 0, pending: 0 };
  for (const d of [...s.deployments, ...(s.taskSets ?? [])]) {
    const c = counts.byDeployment.get(d.id);
    if (c) {
      total.running += c.running;
      total.pending += c.pending;
    }
  }
  return total;
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
  const total = serviceTotals(s, counts);
  return {
    serviceArn: s.serviceArn,
    serviceName: s.serviceName,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: total.running,
    pendingCount: total.pending,
    // DescribeServices leaves launchType out of a service that uses a capacity provider strategy, and the other way round.
    ...(s.launchType !== undefined && { launchType: s.launchType }),
    ...(s.capacityProviderStrategy !== undefined && { capacityProviderStrategy: s.capacityProviderStrategy }),
    ...(s.platformVersion !== undefined && { platformVersion: s.platformVersion }),
    ...(s.platformFamily !== undefined && { platformFamily: s.platformFamily }),
    // An EXTERNAL service without a PRIMARY task set has no task set fields (developer guide, external deployment).
    ...(s.taskDefinition !== '' && { taskDefinition: s.taskDefinition }),
    deploymentConfiguration: s.deploymentConfiguration,
    ...(s.taskSets !== undefined && { taskSets: s.taskSets.map((t) => taskSetView(t, s, counts, 'omit')) }),
    // INACTIVE deployments are dropped from the answer, as ECS stops showing them.
    deployments: s.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => deploymentView(d, counts)),
    ...currentServiceMembers(s, counts),
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
