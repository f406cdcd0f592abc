/**
 * Where the counts a service answers with come from (runningCount, pendingCount, per
 * deployment and task set): DescribeServices, the service deployments' revisions and task
 * sets all read them here.
 */
import type { ClusterState } from '../../cluster/types.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { countServiceTasks, NO_COUNTS, type CountedTask, type ServiceCounts } from '../../core/ecs/service-counts.ts';
import { listTasks } from '../../core/workload/task-store.ts';
import type { Store } from '../../store/store.ts';

/** Where a service's counts come from: its group's tasks desired RUNNING, by deployment (startedBy). */
export type ServiceCountsSource = (scope: Scope, cluster: string, service: string) => Promise<ServiceCounts>;

/** Counts a service's tasks read from the store (every task of the cluster): the reference the cluster state's counts are tested against. */
export function storeServiceCounts(store: Store): ServiceCountsSource {
  return async (scope, cluster, service) => {
    const tasks: CountedTask[] = (await listTasks(store, scope, cluster)).items.map((t) => t.record);
    return countServiceTasks(tasks).get(service) ?? NO_COUNTS;
  };
}

/** The cluster state's running counts per group and startedBy: no task is read per answer. */
export function clusterStateServiceCounts(state: ClusterState): ServiceCountsSource {
  return async (scope, cluster, service) => ({ byDeployment: state.groupCounts({ scope, cluster }, `service:${service}`) });
}
