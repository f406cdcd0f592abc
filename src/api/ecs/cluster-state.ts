import { fail } from '../../core/errors.ts';
import { clusterNameOf, type ClusterCounts, type ClusterRecord } from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';
import { remainingOf } from '../../cluster/host-siblings.ts';
import type { ClusterState, InstanceUsage } from '../../cluster/types.ts';
import { containerInstanceView, type ContainerInstanceRecord } from '../../core/ecs/container-instance.ts';

/** The ACTIVE cluster a request names (or `default`), or ClusterNotFoundException. */
export async function requireCluster(store: Store, scope: Scope, ref: string | undefined): Promise<Versioned<ClusterRecord>> {
  const name = clusterNameOf(ref);
  const c = await getJson<ClusterRecord>(store, keys.cluster(scope, name));
  if (!c || c.value.status !== 'ACTIVE') fail('ClusterNotFoundException', `Cluster not found. No cluster '${name}': create it with CreateCluster or pass the name of an existing cluster.`);
  return c;
}

/** Derived counts of a cluster's instances, tasks and services: the cluster state keeps them as running sums. */
export function clusterCounts(state: ClusterState, scope: Scope, name: string): ClusterCounts {
  return state.counts({ scope, cluster: name });
}

/**
 * The instance as DescribeContainerInstances answers it: counts and remaining resources
 * from what its tasks hold in the cluster state (and, on a host registered twice, what its
 * sibling registration's tasks hold: the placer's rule, remainingOf), Berth's own fields
 * left out.
 */
export function instanceView(i: ContainerInstanceRecord, u: InstanceUsage) {
  const registered = (name: string) => (i.registeredResources.find((r) => r.name === name)?.integerValue ?? 0);
  const left = remainingOf({ cpu: registered('CPU'), memory: registered('MEMORY'), eni: registered('ENI') }, u, u.siblings);
  const ports = (protocol: 'tcp' | 'udp', reserved: readonly string[]) =>
    [...new Set([...reserved, ...u.ports.filter((p) => p.endsWith(`/${protocol}`)).map((p) => p.slice(0, -protocol.length - 1))])];
  return {
    ...containerInstanceView(i),
    runningTasksCount: u.running,
    pendingTasksCount: u.pending,
    remainingResources: i.registeredResources.map((r) =>
      r.name === 'CPU' ? { ...r, integerValue: left.cpu }
        : r.name === 'MEMORY' ? { ...r, integerValue: left.memory }
          : r.name === 'ENI' ? { ...r, integerValue: left.eni }
            : r.name === 'PORTS' ? { ...r, stringSetValue: ports('tcp', r.stringSetValue ?? []) }
              : r.name === 'PORTS_UDP' ? { ...r, stringSetValue: ports('udp', r.stringSetValue ?? []) }
                : r),
  };
}
