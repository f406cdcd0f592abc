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
 *
 * Pipelined batches (placer.ts): a batch committed but not yet durable is *held* on the
 * instances it placed on (hold), until the state has its tasks (settle). The state's view of
 * a held instance lacks those tasks, so it is not refreshed meanwhile: a change the feed
 * names on it is deferred until no batch holds it (the copy keeps the takes: less room than
 * the state, never more). A reopen from the snapshot would lose the takes too: while a batch
 * holds, sessionFor answers undefined instead, and the placer waits for `settled`.
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
  /** The copy must be reopened from the snapshot (a change of everything, an error). */
  reopen: boolean;
  /** Instances the feed named that are still to be refreshed (held ones wait). */
  readonly deferred: Set<string>;
  /** Instances held by unsettled batches: how many batches each. */
  readonly held: Map<string, number>;
  /** Unsettled batches (at most the placer's MAX_PIPELINED_BATCHES). */
  holds: number;
  /** Resolved when the last holding batch settles. */
  waiters: (() => void)[];
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

  /**
   * The cluster's session, up to date with the state as of now (call after caughtUp) but for
   * held instances; undefined when it must be reopened while a batch holds (wait for
   * `settled`, then ask again).
   */
  sessionFor(key: string, ref: ClusterRef): PlacementSession | undefined {
    let e = this.#entries.get(key);
    if (e) {
      this.#entries.delete(key);
      this.#entries.set(key, e);
      const changes = e.feed.drain();
      for (const arn of changes.arns) e.deferred.add(arn);
      if (changes.all || (e.holds === 0 && e.deferred.size > e.instances * REOPEN_SHARE)) e.reopen = true;
      if (e.reopen) {
        if (e.holds > 0) return undefined;
        this.#reopen(e, ref);
        return e.session;
      }
      for (const arn of e.deferred) {
        if (e.held.has(arn)) continue;
        this.#refresh(e, ref, arn);
        e.deferred.delete(arn);
      }
      return e.session;
    }
    // The feed first: a change after it opens is seen again, never missed.
    const feed = this.#state.followPlacement(ref);
    e = { session: undefined as unknown as PlacementSession, feed, instances: 0, reopen: false, deferred: new Set(), held: new Map(), holds: 0, waiters: [] };
    this.#reopen(e, ref);
    feed.drain();
    this.#entries.set(key, e);
    // The least recently used goes, unless a batch holds it (its takes would be lost).
    for (const [oldest, old] of this.#entries) {
      if (this.#entries.size <= MAX_SESSIONS) break;
      if (old.holds > 0 || old === e) continue;
      old.feed.close();
      this.#entries.delete(oldest);
    }
    return e.session;
  }

  /** The instances `arns` lose whatever the session took on them: back to the state's view (a held one once it settles). */
  forget(key: string, ref: ClusterRef, arns: Iterable<string>): void {
    const e = this.#entries.get(key);
    if (!e) return;
    for (const arn of arns) {
      if (e.held.has(arn)) e.deferred.add(arn);
      else this.#refresh(e, ref, arn);
    }
  }

  /** A batch placed on `arns` is committed, not yet in the state: their views wait for it (settle). */
  hold(key: string, arns: Iterable<string>): void {
    const e = this.#entries.get(key);
    if (!e) throw new Error(`placer sessions: hold on ${key}, which has no session`);
    e.holds++;
    for (const arn of arns) e.held.set(arn, (e.held.get(arn) ?? 0) + 1);
  }

  /** The batch held on `arns` is in the state now (or failed for good): their views may be refreshed again. */
  settle(key: string, arns: Iterable<string>): void {
    const e = this.#entries.get(key);
    if (!e) return;
    e.holds--;
    for (const arn of arns) {
      const n = (e.held.get(arn) ?? 1) - 1;
      if (n > 0) e.held.set(arn, n);
      else { e.held.delete(arn); e.deferred.add(arn); }
    }
    if (e.holds === 0) for (const f of e.waiters.splice(0)) f();
  }

  /** Resolves once no batch holds the key's session. */
  settled(key: string): Promise<void> {
    const e = this.#entries.get(key);
    if (!e || e.holds === 0) return Promise.resolve();
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  /** Drops the cluster's session (after an error left it in an unknown state): the next batch reopens it. */
  drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    if (e.holds > 0) { e.reopen = true; return; }
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
    e.reopen = false;
    e.deferred.clear();
    this.opened++;
  }

  #refresh(e: Entry, ref: ClusterRef, arn: string): void {
    const inst = this.#state.placementInstance(ref, arn);
    if (inst) e.session.set(inst);
    else e.session.delete(arn);
  }
}
