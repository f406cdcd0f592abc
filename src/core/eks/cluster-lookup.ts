/**
 * Which EKS cluster a uid names: the EKS records' service for modules that hold a cluster's
 * uid (a pod task's `kube.clusterUid`) and need its name (the attribute its node groups put
 * on their hosts), so they never read EKS's store keys themselves.
 */
import type { Store } from '../../store/store.ts';
import type { ClusterRecord } from './cluster.ts';
import { eksKeys, type EksScope } from './keys.ts';
import { MAX_CLUSTERS_PER_REGION } from './cluster.ts';

/** The cluster of `scope` whose life `uid` names, or undefined when there is none (deleted, or another region's). */
export async function eksClusterByUid(store: Store, scope: EksScope, uid: string): Promise<ClusterRecord | undefined> {
  // A region holds at most MAX_CLUSTERS_PER_REGION clusters (EKS's quota, which CreateCluster enforces): one page.
  const page = await store.list(eksKeys.clusters(scope), { limit: MAX_CLUSTERS_PER_REGION });
  for (const kv of page.items) {
    const c = JSON.parse(kv.value) as ClusterRecord;
    if (c.uid === uid) return c;
  }
  return undefined;
}
