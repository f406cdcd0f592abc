/**
 * The commit conditions of a batch that places on a host registered twice (its cluster's
 * instance and its Fargate pool host, src/cluster/host-siblings.ts). Each registration's
 * view subtracts what its siblings' tasks hold, but the two are placed on by two batches
 * (the cluster's, the pool's), each bumping only its own placement epoch. So a batch also:
 *
 *   before placing: reads the epoch of every cluster that shares a host with its target
 *                   (siblingEpochs) and waits for the cluster state to reach the highest,
 *                   so the sibling views it places from hold every task placed before;
 *   at commit:      holds the epochs of the clusters sharing a host it placed on
 *                   (siblingConditions), unchanged: a sibling placement since fails it,
 *                   and the batch retries as after any lost compare.
 *
 * Both directions: the pool's batches hold the host's cluster epoch, the cluster's hold the
 * pool's. Each bumps only its own; the other side's commit then holds it and loses.
 */
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { Condition, Store } from '../store/store.ts';

type ClusterRef = { readonly scope: Scope; readonly cluster: string };

/** What these steps read of the cluster state (ClusterState.siblingClusters). */
export interface SiblingSource {
  siblingClusters(ref: ClusterRef, arns?: Iterable<string>): readonly ClusterRef[];
}

/** Epoch keys of the clusters sharing a host with the target, with the modRevision read. */
export type SiblingEpochs = ReadonlyMap<string, number>;

/** Reads the placement epoch of every cluster sharing a host with `target` (none for most clusters: no read). */
export async function siblingEpochs(store: Store, state: SiblingSource, target: ClusterRef): Promise<SiblingEpochs> {
  // At once: the pool's hosts may share it with many clusters (one each), each one read.
  const epochKeys = state.siblingClusters(target).map((ref) => keys.placementEpoch(ref.scope, ref.cluster));
  const read = await Promise.all(epochKeys.map((key) => store.get(key)));
  return new Map(epochKeys.map((key, i) => [key, read[i]?.modRevision ?? 0]));
}

/** The highest revision among the epochs read: the cluster state must reach it before placing. */
export function highest(epochs: SiblingEpochs): number {
  let max = 0;
  for (const r of epochs.values()) if (r > max) max = r;
  return max;
}

/**
 * The conditions a commit that placed on `touched` holds: the epochs, as read, of the
 * clusters sharing those instances' hosts. Undefined when one of them was not read before
 * placing (a sibling registered meanwhile): the batch cannot tell what it saw of it, so it
 * retries (the next attempt reads it).
 */
export function siblingConditions(state: SiblingSource, target: ClusterRef, touched: ReadonlySet<string>, epochs: SiblingEpochs): Condition[] | undefined {
  if (touched.size === 0) return [];
  const out: Condition[] = [];
  for (const ref of state.siblingClusters(target, touched)) {
    const key = keys.placementEpoch(ref.scope, ref.cluster);
    const modRevision = epochs.get(key);
    if (modRevision === undefined) return undefined;
    out.push({ key, modRevision });
  }
  return out;
}
