import { fail } from '../../core/errors.ts';
import { clusterNameOf, type ClusterCounts, type ClusterRecord } from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Store } from '../../store/store.ts';

/** The ACTIVE cluster a request names (or `default`), or ClusterNotFoundException. */
export async function requireCluster(store: Store, scope: Scope, ref: string | undefined): Promise<Versioned<ClusterRecord>> {
  const name = clusterNameOf(ref);
  const c = await getJson<ClusterRecord>(store, keys.cluster(scope, name));
  if (!c || c.value.status !== 'ACTIVE') fail('ClusterNotFoundException', `Cluster not found: '${name}'. Create it with CreateCluster or pass the name of an existing cluster.`);
  return c;
}

/** Derived counts of a cluster's instances, tasks and services. */
export async function clusterCounts(store: Store, scope: Scope, name: string): Promise<ClusterCounts> {
  const [instances, tasks, services] = await Promise.all([
    store.list(keys.containerInstances(scope, name)),
    store.list(keys.tasks(scope, name)),
    store.list(keys.services(scope, name)),
  ]);
  let running = 0;
  let pending = 0;
  for (const kv of tasks.items) {
    const t = JSON.parse(kv.value) as { lastStatus?: string; desiredStatus?: string };
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED') pending++;
  }
  const activeInstances = instances.items.filter((kv) => (JSON.parse(kv.value) as { status?: string }).status !== 'INACTIVE').length;
  const activeServices = services.items.filter((kv) => (JSON.parse(kv.value) as { status?: string }).status === 'ACTIVE').length;
  return { registeredContainerInstancesCount: activeInstances, runningTasksCount: running, pendingTasksCount: pending, activeServicesCount: activeServices };
}
