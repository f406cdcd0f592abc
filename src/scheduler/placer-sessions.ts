/**
 * The placer's working copies: one {@link PlacementSession} per cluster, kept across batches
 * and brought up to date from the cluster state's placement feed before each batch, instead
 * of a snapshot of every instance per batch.
 *
 *   batch: caughtUp(epoch) ─▶ sessionFor(ref) ─▶ feed.drain()
 *            ├ "everything", or more than a REOPEN_SHARE of the instances: reopen from the snapshot
 *            └ else each changed instance: session.set(state's view) or delete(arn)
 *          place launches on the session (speculative takes)
 *          commit ok   ─▶ the watch brings the tasks back: the feed names those instances
 *          commit lost ─▶ forget(touched): each touched instance re-set from the state
 *
 * The session only ever holds the state's view of an instance less what this placer placed
 * on it and has not yet seen come back through the watch, so it never offers more room
 * than the state does; the epoch compare-and-set guards against every other placer.
 */
import type { Scope } from '../core/ecs/scope.ts';
import type { OpenSession, PlacementSession } from './session.ts';
import type { PlacementInstance, PlacementSnapshot } from './types.ts';

type ClusterRef = { readonly scope: Scope; readonly cluster: string };

/**
 * Clusters with a live session: each holds an O(instances) copy, so the least recently
 * placed-in is closed past this many (it reopens from the snapshot when next used).
 */
export const MAX_SESSIONS = 64;
/**
 * Past this share of a cluster's instances changed since the last batch, reopening from the
 * snapshot (one pass) is cheaper than replacing them one at a time.
 */
export const REOPEN_SHARE = 0.25;

/** What the sessions read of the cluster state (a part of the placer's PlacementSource). */
export interface FeedSource {
  placementSnapshot(ref: ClusterRef): PlacementSnapshot;
  placementInstance(ref: ClusterRef, arn: string): PlacementInstance | undefined;
  followPlacement(ref: ClusterRef): { drain(): { readonly all: boolean; readonly arns: ReadonlySet<string> }; close(): void };
}

interface Entry {
  session: PlacementSession;
  readonly feed: ReturnType<FeedSource['followPlacement']>;
  instances: number;
}

export class PlacerSessions {
  readonly #state: FeedSource;
  readonly #open: OpenSession;
  /** In least recently used order (a use moves the entry last). */
  readonly #entries = new Map<string, Entry>();
  /** How many times a session was opened from a whole snapshot (tests and benchmarks read it). */
  opened = 0;

  constructor(state: FeedSource, open: OpenSession) {
    this.#state = state;
    this.#open = open;
  }

  /** The cluster's session, up to date with the state as of now (call after caughtUp). */
  sessionFor(key: string, ref: ClusterRef): PlacementSession {
    let e = this.#entries.get(key);
    if (e) {
      this.#entries.delete(key);
      this.#entries.set(key, e);
      const changes = e.feed.drain();
      if (changes.all || changes.arns.size > e.instances * REOPEN_SHARE) this.#reopen(e, ref);
      else for (const arn of changes.arns) this.#refresh(e, ref, arn);
      return e.session;
    }
    // The feed first: a change after it opens is seen again, never missed.
    const feed = this.#state.followPlacement(ref);
    e = { session: undefined as unknown as PlacementSession, feed, instances: 0 };
    this.#reopen(e, ref);
    feed.drain();
    this.#entries.set(key, e);
    while (this.#entries.size > MAX_SESSIONS) {
      const [oldest, old] = this.#entries.entries().next().value as [string, Entry];
      old.feed.close();
      this.#entries.delete(oldest);
    }
    return e.session;
  }

  /** The instances `arns` lose whatever the session took on them: back to the state's view. */
  forget(key: string, ref: ClusterRef, arns: Iterable<string>): void {
    const e = this.#entries.get(key);
    if (e) for (const arn of arns) this.#refresh(e, ref, arn);
  }

  /** Drops the cluster's session (after an error left it in an unknown state): the next batch reopens it. */
  drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.feed.close();
    this.#entries.delete(key);
  }

  close(): void {
    for (const e of this.#entries.values()) e.feed.close();
    this.#entries.clear();
  }

  #reopen(e: Entry, ref: ClusterRef): void {
    const snap = this.#state.placementSnapshot(ref);
    e.session = this.#open(snap);
    e.instances = snap.instances.length;
    this.opened++;
  }

  #refresh(e: Entry, ref: ClusterRef, arn: string): void {
    const inst = this.#state.placementInstance(ref, arn);
    if (inst) e.session.set(inst);
    else e.session.delete(arn);
  }
}
