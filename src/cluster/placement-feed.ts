/**
 * Which instances' placement view changed, for whoever keeps a placement working copy of a
 * cluster across batches (the placer's PlacementSession): instead of a snapshot of every
 * instance per batch, it re-reads only the instances named here.
 *
 *   store event ─▶ ClusterIndex (instance put/delete, task usage +/-) ─▶ changed ARNs
 *        ─▶ every PlacementFeed following that cluster: a set of ARNs, or "everything"
 *   placer, before each batch (after caughtUp): feed.drain() ─▶ session.set / delete
 *
 * "Everything" after a re-list (the indexes were rebuilt from the store) and past
 * MAX_PLACEMENT_CHANGES: the follower then reopens its copy from the whole snapshot.
 */

/**
 * Instance ARNs a feed holds between two drains; past it the feed says "everything". A
 * batch of placements touches at most as many instances as it places, and ECS allows 5,000
 * instances per cluster: 16,384 is more than one drain ever needs, and replacing that many
 * instances one at a time costs about what reopening from the snapshot costs.
 */
export const MAX_PLACEMENT_CHANGES = 16_384;

export interface PlacementChanges {
  /** Every instance may have changed (a re-list, or more than MAX_PLACEMENT_CHANGES): reopen from the snapshot. */
  readonly all: boolean;
  /** Else: the ARNs of the instances whose view changed (gone ones included). */
  readonly arns: ReadonlySet<string>;
}

export interface PlacementFeed {
  /** What changed since the last drain (or since the feed was opened), then forgets it. */
  drain(): PlacementChanges;
  /** Stops following; the cluster state drops the feed. */
  close(): void;
}

/** One follower's pending changes; the cluster state adds to it, the follower drains it. */
export class FeedBuffer implements PlacementFeed {
  #all = false;
  #arns = new Set<string>();
  readonly #onClose: () => void;

  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  /** The first `count` of `arns` changed (the cluster index's buffer: read now, never kept). */
  add(arns: readonly string[], count = arns.length): void {
    if (this.#all) return;
    for (let i = 0; i < count; i++) this.#arns.add(arns[i]!);
    if (this.#arns.size > MAX_PLACEMENT_CHANGES) this.everything();
  }

  everything(): void {
    this.#all = true;
    this.#arns.clear();
  }

  drain(): PlacementChanges {
    const out = { all: this.#all, arns: this.#arns };
    this.#all = false;
    this.#arns = new Set();
    return out;
  }

  close(): void {
    this.#onClose();
  }
}
