/**
 * The TaskSet shape of the ECS API from a stored set, its service and the task counts of
 * the moment (counted per `startedBy`, which is the set's id, as deployments are counted).
 */
import type { ServiceRecord } from './service.ts';
import type { ServiceCounts } from './service-counts.ts';
import { computedDesiredCount, type TaskSetRecord } from './task-set.ts';

/**
 * `tags`: 'include' (DescribeTaskSets with include TAGS), 'answer' (the other operations:
 * when the set has some), 'omit' (DescribeTaskSets without include; DescribeServices).
 */
export function taskSetView(t: TaskSetRecord, s: Pick<ServiceRecord, 'serviceArn' | 'clusterArn' | 'desiredCount'>, counts: ServiceCounts, tags: 'include' | 'answer' | 'omit') {
  const c = counts.byDeployment.get(t.id) ?? { running: 0, pending: 0 };
  return {
    id: t.id,
    taskSetArn: t.taskSetArn,
    serviceArn: s.serviceArn,
    clusterArn: s.clusterArn,
    ...(t.externalId !== undefined && { externalId: t.externalId }),
    status: t.status,
    taskDefinition: t.taskDefinition,
    // A DRAINING set is on its way to none, whatever its scale said.
    computedDesiredCount: t.status === 'DRAINING' ? 0 : computedDesiredCount(s.desiredCount, t.scale),
    pendingCount: c.pending,
    runningCount: c.running,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ...(t.launchType !== undefined && { launchType: t.launchType }),
    ...(t.capacityProviderStrategy !== undefined && { capacityProviderStrategy: t.capacityProviderStrategy }),
    ...(t.platformVersion !== undefined && { platformVersion: t.platformVersion }),
    ...(t.networkConfiguration !== undefined && { networkConfiguration: t.networkConfiguration }),
    loadBalancers: t.loadBalancers,
    serviceRegistries: t.serviceRegistries,
    scale: t.scale,
    stabilityStatus: t.stabilityStatus,
    stabilityStatusAt: t.stabilityStatusAt,
    ...((tags === 'include' || (tags === 'answer' && t.tags.length > 0)) && { tags: t.tags }),
  };
}

export type TaskSetView = ReturnType<typeof taskSetView>;
