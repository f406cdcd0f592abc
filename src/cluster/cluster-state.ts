/**
 * The store-fed {@link ClusterState}: lists every cluster, container instance, task and
 * service under /ecs/ a page at a time, then follows one watch on /ecs/ from the revision
 * of the first page. Pages are read at different revisions, so every change is applied
 * only when it is newer than what is held for its key: the watch's history replays what
 * changed under the later pages, and nothing is applied twice or out of order.
 *
 *   store.list (pages) ──▶ fresh indexes ──swap──▶ live indexes ◀── store.watch('/ecs/')
 *                                                      │ one onChange per burst of events
 *                                                      ▼
 *                                 readers: placer, ECS API, controller runner
 *
 * When the watch's history is gone (CompactedError), it lists again into fresh indexes and
 * swaps them in, so readers never see a half-loaded state.
 */
import { keys } from '../core/ecs/keys.ts';
import { NO_COUNTS, type ClusterCounts, type ClusterRecord } from '../core/ecs/cluster.ts';
import type { ServiceRecord } from '../core/ecs/service.ts';
import { CompactedError, type KeyValue, type Store, type Watch, type WatchEvent } from '../store/store.ts';
import { prefixEnd } from '../store/keys.ts';
import type { PlacementInstance, PlacementSnapshot } from '../scheduler/types.ts';
import { ClusterIndex } from './cluster-index.ts';
import { liveSnapshot } from './snapshot.ts';
import { FeedBuffer, type PlacementFeed } from './placement-feed.ts';
import { HostSiblings, sumUsage, type SiblingHooks, type SiblingUsage } from './host-siblings.ts';
import { parseKey, summarize, type ParsedKey, type StoredInstance, type StoredTask } from './summary.ts';
import { SplitTasks } from './split-tasks.ts';
import { isWholeRecord } from '../core/workload/task-store.ts';
import type { ClusterRef, ClusterSnapshot, ClusterState, Held, InstanceUsage, TaskFilter, TaskSummary } from './types.ts';

/** The keys the state indexes; every other key's writes only advance its revision. */
const ECS_PREFIX = keys.all();

/**
 * Keys read per page of the initial load: 1,000 keeps a page of task records (2-4 KB each)
 * to a few MB of JSON, and 100,000 tasks to 100 pages.
 *
 * Memory: the indexes hold, for the clusters the store holds, every cluster record,
 * instance record and service record whole, and every task as a summary (a few hundred
 * bytes); they are bounded by what the store holds, which ECS's quotas bound (5,000
 * instances and 5,000 services per cluster) and the retention sweep bounds for tasks
 * (STOPPED ones go after an hour).
 */
export const LIST_PAGE = 1_000;
/** Re-lists tried in a row when the history keeps being compacted under the load. */
export const MAX_RELIST_ATTEMPTS = 5;
/**
 * Listeners of onChange: the controller runner and a few API caches, one each; more means
 * a leak (a listener added per request), refused loudly.
 */
export const MAX_LISTENERS = 64;
/** Placement feeds open at once: one per cluster per placer (a process has one placer); more means a leak. */
export const MAX_FEEDS = 1_024;

/** What takeForeign answers when an event touched no other cluster: shared, never changed. */
const NO_CLUSTERS: ReadonlySet<string> = new Set<string>();

const NO_USAGE: InstanceUsage = { cpu: 0, memory: 0, eni: 0, running: 0, pending: 0, ports: [] };

export interface ClusterStateOptions {
  /** Where a listener's exception goes (default: console.error); one bad listener never stops the others. */
  readonly onListenerError?: (err: unknown) => void;
  /**
   * Values this process wrote, with their objects (store/parsed-values.ts): a watch event
   * carrying one is indexed from the object, not parsed again. The placer remembers its tasks there.
   */
  readonly parsedValues?: { get(key: string, value: string): unknown };
}

/** Creates the cluster state and starts loading; `ready()` resolves when it is live. */
export function createClusterState(store: Store, options: ClusterStateOptions = {}): ClusterState & { relists(): number } {
  return new StoreClusterState(store, options);
}

interface Waiter { readonly revision: number; readonly resolve: () => void }

class StoreClusterState implements ClusterState {
  readonly #store: Store;
  readonly #onListenerError: (err: unknown) => void;
  readonly #parse: (kv: KeyValue) => unknown;
  #indexes = new Indexes();
  #refs = new Map<string, ClusterRef>();
  #revision = 0;
  #watch: Watch | undefined;
  #closed = false;
  #relists = 0;
  readonly #ready: Promise<void>;
  /** Clusters changed since the last onChange call; flushed once per burst. */
  #changed = new Map<string, ClusterRef>();
  #flushQueued = false;
  readonly #listeners = new Set<(changed: readonly ClusterRef[]) => void>();
  /**
   * caughtUp() callers waiting for a revision: one per request in flight that wrote and
   * now reads, so bounded by the server's requests in flight.
   */
  #waiters: Waiter[] = [];
  /** Placement feeds by cluster key (placement-feed.ts), bounded by MAX_FEEDS in all. */
  readonly #feeds = new Map<string, Set<FeedBuffer>>();
  #feedCount = 0;
  /** The last ref #keyOf was asked about, and its key (one entry: no bound needed). */
  #lastRef: ClusterRef | undefined;
  #lastKey = '';

  constructor(store: Store, options: ClusterStateOptions) {
    this.#store = store;
    this.#onListenerError = options.onListenerError ?? ((err) => console.error('cluster state listener failed:', err));
    const memo = options.parsedValues;
    this.#parse = memo ? (kv) => memo.get(kv.key, kv.value) ?? JSON.parse(kv.value) : (kv) => JSON.parse(kv.value);
    this.#ready = this.#start();
    // An unobserved failure still surfaces through ready(); do not crash on it meanwhile.
    this.#ready.catch(() => {});
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  revision(): number {
    return this.#revision;
  }

  /** How many times the state was listed again after its history was compacted. */
  relists(): number {
    return this.#relists;
  }

  caughtUp(revision: number): Promise<void> {
    if (revision <= this.#revision) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the cluster state is closed'));
    return new Promise((resolve) => this.#waiters.push({ revision, resolve }));
  }

  clusters(): readonly ClusterRef[] {
    return [...this.#refs.values()];
  }

  snapshot(ref: ClusterRef): ClusterSnapshot | undefined {
    const ix = this.#index(ref);
    if (!ix?.clusterRecord) return undefined;
    return liveSnapshot(ref, ix, ix.clusterRecord, this.#revision, () => this.#revision);
  }

  cluster(ref: ClusterRef): Held<ClusterRecord> | undefined {
    return this.#index(ref)?.clusterRecord;
  }

  placementSnapshot(ref: ClusterRef): PlacementSnapshot {
    return { instances: this.#index(ref)?.placementInstances() ?? [] };
  }

  // ---- placement feed (placement-feed.ts)

  placementInstance(ref: ClusterRef, arn: string): PlacementInstance | undefined {
    return this.#index(ref)?.placementInstance(arn);
  }

  followPlacement(ref: ClusterRef): PlacementFeed {
    if (this.#feedCount >= MAX_FEEDS) throw new Error(`more than ${MAX_FEEDS} placement feeds: one is being opened per call and never closed`);
    const k = refKey(ref.scope.account, ref.scope.region, ref.cluster);
    let set = this.#feeds.get(k);
    if (!set) this.#feeds.set(k, (set = new Set()));
    const feed: FeedBuffer = new FeedBuffer(() => {
      if (!set.delete(feed)) return;
      this.#feedCount--;
      if (set.size === 0 && this.#feeds.get(k) === set) this.#feeds.delete(k);
    });
    set.add(feed);
    this.#feedCount++;
    return feed;
  }

  /** Hands the instances an event changed to the cluster's feeds. */
  #feedChanges(k: string, ix: ClusterIndex): void {
    const n = ix.placementChangeCount;
    if (n === 0) return;
    const changed = ix.placementChanges;
    // forEach, not for-of: the heap profile showed the Set iterator's results allocated here
    // for every placed task (~1 KB each) once this was no longer inlined into #apply.
    this.#feeds.get(k)?.forEach((f) => f.add(changed, n));
    ix.clearPlacementChanges();
  }

  siblingClusters(ref: ClusterRef, arns?: Iterable<string>): readonly ClusterRef[] {
    return [...this.#indexes.siblings.siblingClusters(refKey(ref.scope.account, ref.scope.region, ref.cluster), arns)].map(refOf);
  }

  counts(ref: ClusterRef): ClusterCounts {
    return this.#index(ref)?.counts() ?? NO_COUNTS;
  }

  task(ref: ClusterRef, id: string): TaskSummary | undefined {
    return this.#index(ref)?.task(id);
  }

  tasks(ref: ClusterRef, filter?: TaskFilter): Iterable<TaskSummary> {
    return this.#index(ref)?.tasks(filter) ?? [];
  }

  groupCounts(ref: ClusterRef, group: string): ReadonlyMap<string, { readonly running: number; readonly pending: number }> {
    return this.#index(ref)?.groupCounts(group) ?? new Map();
  }

  instanceUsage(ref: ClusterRef, instanceArn: string): InstanceUsage {
    const own = this.#index(ref)?.usageOf(instanceArn) ?? NO_USAGE;
    const siblings = this.#indexes.siblingUsage(instanceArn);
    return siblings ? { ...own, siblings } : own;
  }

  tasksOnInstance(instanceArn: string): Iterable<TaskSummary> {
    const ref = instanceClusterOf(instanceArn);
    return (ref && this.#index(ref)?.tasksOn(instanceArn)) ?? [];
  }

  onChange(listener: (changed: readonly ClusterRef[]) => void): () => void {
    if (this.#listeners.size >= MAX_LISTENERS) throw new Error(`more than ${MAX_LISTENERS} cluster state listeners: one is being added per call and never removed`);
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  close(): void {
    this.#closed = true;
    this.#watch?.close();
    this.#watch = undefined;
    this.#listeners.clear();
  }

  #index(ref: ClusterRef): ClusterIndex | undefined {
    return this.#indexes.get(this.#keyOf(ref));
  }

  /**
   * The key of a ref, remembered for the last ref object asked about: a placer asks about
   * one launch's ref once per task placed (placementInstance), and building the key again
   * made and hashed a new string each time. A ClusterRef is read-only, so its key cannot change.
   */
  #keyOf(ref: ClusterRef): string {
    if (ref === this.#lastRef) return this.#lastKey;
    this.#lastKey = refKey(ref.scope.account, ref.scope.region, ref.cluster);
    this.#lastRef = ref;
    return this.#lastKey;
  }

  async #start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { indexes, from } = await this.#load();
      if (this.#closed) return;
      const previous = this.#indexes;
      this.#indexes = indexes;
      this.#refs = new Map();
      for (const [k, ix] of indexes) if (!ix.isEmpty()) this.#refs.set(k, refOf(k));
      this.#revision = Math.max(this.#revision, from);
      try {
        // Every key, not only /ecs/: caughtUp(store.revision()) must resolve whatever wrote
        // last (the controllers' lease, the event log, usage records), or a caller that waits
        // for "everything acknowledged so far" waits for the next ECS write, which may never come.
        this.#watch = this.#store.watch('', from, (e) => this.#apply(e));
      } catch (err) {
        if (!(err instanceof CompactedError) || attempt >= MAX_RELIST_ATTEMPTS) throw err;
        this.#relists++;
        continue;
      }
      // Everything a reader saw before (a re-list) may have changed.
      for (const k of previous.keys()) this.#touch(k);
      for (const k of indexes.keys()) this.#touch(k);
      for (const ix of indexes.values()) ix.clearPlacementChanges();
      indexes.takeForeign();
      for (const feeds of this.#feeds.values()) for (const f of feeds) f.everything();
      return;
    }
  }

  /** Lists every indexed record of every account and region into fresh indexes. */
  async #load(): Promise<{ indexes: Indexes; from: number }> {
    const indexes = new Indexes();
    let from = Infinity;
    let after: string | undefined;
    // One account/region (scope) at a time: its four kinds by their own prefixes, so task
    // definitions and other keys under the scope are never read.
    for (;;) {
      const first = await this.#store.list(keys.all(), { limit: 1, ...(after !== undefined && { after }) });
      from = Math.min(from, first.revision);
      const kv = first.items[0];
      if (!kv) break;
      const [, , account, region] = kv.key.split('/');
      if (!account || !region) { after = kv.key; continue; }
      const scope = { account, region };
      for (const prefix of [keys.clusters(scope), `${keys.scope(scope)}instances/`, `${keys.scope(scope)}tasks/`, `${keys.scope(scope)}task-status/`, `${keys.scope(scope)}services/`]) {
        let cursor: string | undefined;
        for (;;) {
          const page = await this.#store.list(prefix, { limit: LIST_PAGE, ...(cursor !== undefined && { after: cursor }) });
          from = Math.min(from, page.revision);
          for (const item of page.items) put(indexes, item);
          if (!page.more || page.items.length === 0) break;
          cursor = page.items[page.items.length - 1]!.key;
        }
      }
      // Past every key of this scope: the scope prefix's end is no key itself.
      after = prefixEnd(keys.scope(scope));
    }
    return { indexes, from: from === Infinity ? 0 : from };
  }

  #apply(e: WatchEvent): void {
    if (this.#closed) return;
    if (e.revision > this.#revision) this.#revision = e.revision;
    // Another module's key: only the revision moves (and the waiters for it).
    if (!e.kv.key.startsWith(ECS_PREFIX)) return this.#queueFlush();
    let k: string | undefined;
    try {
      k = e.type === 'put' ? put(this.#indexes, e.kv, this.#parse) : remove(this.#indexes, e.kv.key, e.revision);
    } catch (err) {
      // A record that is not JSON is skipped and said, never thrown into the store's
      // delivery loop (where it would stop every other watcher's events).
      this.#onListenerError(new Error(`cluster state: could not index ${e.kv.key} at revision ${e.revision}`, { cause: err }));
      return;
    }
    // The event's own cluster, and the clusters whose instances its task is (or was) placed
    // on (a Fargate task's pool host): their usage changed too.
    const foreign = this.#indexes.takeForeign();
    if (foreign.size > 0) foreign.forEach((c) => this.#changedIndex(c));
    if (k !== undefined && !foreign.has(k)) this.#changedIndex(k);
    this.#queueFlush();
  }

  /** An event changed cluster `c`'s index: its feeds, its ref, and its listeners hear of it. */
  #changedIndex(c: string): void {
    const ix = this.#indexes.get(c);
    if (!ix) return;
    this.#feedChanges(c, ix);
    if (ix.isEmpty()) { this.#indexes.delete(c); this.#refs.delete(c); } else if (!this.#refs.has(c)) this.#refs.set(c, refOf(c));
    this.#touch(c);
  }

  #touch(k: string): void {
    if (!this.#changed.has(k)) this.#changed.set(k, refOf(k));
    this.#queueFlush();
  }

  /**
   * A store delivers a burst (one commit's events, or a watch's history) in one turn, so a
   * microtask queued at its first event runs after its last: one call per burst.
   */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#waiters.length) {
      const still: Waiter[] = [];
      for (const w of this.#waiters) if (w.revision <= this.#revision) w.resolve(); else still.push(w);
      this.#waiters = still;
    }
    if (this.#changed.size === 0) return;
    const changed = [...this.#changed.values()];
    this.#changed = new Map();
    for (const l of [...this.#listeners]) {
      try { l(changed); } catch (err) { this.#onListenerError(err); }
    }
  }
}

function refKey(account: string, region: string, cluster: string): string {
  return `${account}/${region}/${cluster}`;
}

function refOf(k: string): ClusterRef {
  const [account, region, cluster] = k.split('/') as [string, string, string];
  return { scope: { account, region }, cluster };
}

/**
 * The indexes by cluster key. Each knows its home, so a task placed on another cluster's
 * instance (a Fargate task on a pool host) counts in that cluster's index; the clusters so
 * touched are collected for the event's feeds and listeners (takeForeign).
 */
class Indexes extends Map<string, ClusterIndex> {
  #foreign = new Set<string>();
  /** Tasks stored as a spec and a status: their halves until joined (split-tasks.ts). */
  readonly split = new SplitTasks();
  /** The registrations of each host (host-siblings.ts): a sibling's usage change touches the other's cluster too. */
  readonly siblings = new HostSiblings(instanceClusterKey);
  readonly #hooks: SiblingHooks = {
    registered: (arn, host) => { for (const s of this.siblings.link(arn, host)) this.#siblingChanged(s); },
    usageChanged: (arn) => { for (const s of this.siblings.siblingsOf(arn)) this.#siblingChanged(s); },
    siblingUsage: (arn) => this.siblingUsage(arn),
  };

  /** What the tasks of `arn`'s host siblings hold, summed; undefined when it has none or they hold nothing. */
  siblingUsage(arn: string): SiblingUsage | undefined {
    return sumUsage(this.siblings.siblingsOf(arn), (s) => this.get(instanceClusterKey(s) ?? '')?.usageOf(s));
  }

  make(account: string, region: string, cluster: string): [string, ClusterIndex] {
    const k = refKey(account, region, cluster);
    let ix = this.get(k);
    if (!ix) {
      ix = new ClusterIndex({ scope: { account, region }, cluster, indexOf: (arn) => this.#ofInstance(arn), siblings: this.#hooks });
      this.set(k, ix);
    }
    return [k, ix];
  }

  /**
   * The clusters other than an event's own whose indexes it changed, since the last call.
   * Most events (a task of the cluster's own instance) touch none: they get the one empty
   * set, so the cluster state allocates no Set per event (one per placed task before).
   */
  takeForeign(): ReadonlySet<string> {
    if (this.#foreign.size === 0) return NO_CLUSTERS;
    const out = this.#foreign;
    this.#foreign = new Set();
    return out;
  }

  /** A sibling's view changed: its index rebuilds it and its cluster's feeds and listeners hear of it. */
  #siblingChanged(arn: string): void {
    const k = instanceClusterKey(arn);
    const ix = k === undefined ? undefined : this.get(k);
    if (!ix) return;
    ix.siblingChanged(arn);
    this.#foreign.add(k!);
  }

  #ofInstance(arn: string): ClusterIndex | undefined {
    const ref = instanceClusterOf(arn);
    if (!ref) return undefined;
    const [k, ix] = this.make(ref.scope.account, ref.scope.region, ref.cluster);
    this.#foreign.add(k);
    return ix;
  }
}

/** The cluster a container instance ARN (`…:container-instance/<cluster>/<id>`) belongs to. */
export function instanceClusterOf(arn: string): ClusterRef | undefined {
  const parts = arn.split(':');
  const m = parts.length === 6 && parts[0] === 'arn' ? /^container-instance\/([^/]+)\/[^/]+$/.exec(parts[5]!) : null;
  return m ? { scope: { account: parts[4]!, region: parts[3]! }, cluster: m[1]! } : undefined;
}

function instanceClusterKey(arn: string): string | undefined {
  const ref = instanceClusterOf(arn);
  return ref && refKey(ref.scope.account, ref.scope.region, ref.cluster);
}

function indexFor(indexes: Indexes, p: ParsedKey): [string, ClusterIndex] {
  return indexes.make(p.scope.account, p.scope.region, p.cluster);
}

/** The modRevision held for a key, or 0. */
function heldRevision(ix: ClusterIndex, p: ParsedKey): number {
  switch (p.kind) {
    case 'clusters': return ix.clusterRecord?.modRevision ?? 0;
    case 'instances': return ix.instance(p.name)?.modRevision ?? 0;
    case 'tasks': return ix.task(p.name)?.modRevision ?? 0;
    case 'services': return ix.service(p.name)?.modRevision ?? 0;
    // A status half: its own revision is held by the split tasks (split-tasks.ts).
    case 'task-status': return 0;
  }
}

/** Applies a put when it is newer than what is held; answers the cluster it changed. */
function put(indexes: Indexes, kv: KeyValue, parse: (kv: KeyValue) => unknown = (x) => JSON.parse(x.value)): string | undefined {
  const p = parseKey(kv.key);
  if (!p) return undefined;
  const [k, ix] = indexFor(indexes, p);
  if (heldRevision(ix, p) >= kv.modRevision) return undefined;
  const value = parse(kv);
  switch (p.kind) {
    case 'clusters': ix.clusterRecord = { key: kv.key, modRevision: kv.modRevision, value: value as ClusterRecord }; break;
    case 'instances': ix.putInstance(p.name, kv.key, kv.modRevision, value as StoredInstance); break;
    case 'tasks':
      if (!isWholeRecord(value)) return joinHalf(indexes, ix, k, kv.key, 'spec', kv.modRevision, value);
      ix.putTask(summarize(kv.key, kv.modRevision, value as StoredTask));
      break;
    case 'task-status': return joinHalf(indexes, ix, k, keys.task(p.scope, p.cluster, p.name), 'status', kv.modRevision, value);
    case 'services': ix.putService(p.name, { key: kv.key, modRevision: kv.modRevision, value: value as ServiceRecord }); break;
  }
  return k;
}

/** Applies a delete at `revision` unless what is held was written after it. */
function remove(indexes: Indexes, key: string, revision: number): string | undefined {
  const p = parseKey(key);
  if (!p) return undefined;
  const k = refKey(p.scope.account, p.scope.region, p.cluster);
  const ix = indexes.get(k);
  if (!ix) return undefined;
  const held = heldRevision(ix, p);
  if (held === 0 || held >= revision) return undefined;
  switch (p.kind) {
    case 'clusters': ix.clusterRecord = undefined; break;
    case 'instances': ix.removeInstance(p.name); break;
    case 'tasks': ix.removeTask(p.name); indexes.split.remove(key); break;
    case 'services': ix.removeService(p.name); break;
    // (Never reached: a status half holds no revision of its own here; its spec's delete removes the task.)
    case 'task-status': return undefined;
  }
  return k;
}

/** A half of a split task put: the index holds the join once both halves are seen. */
function joinHalf(indexes: Indexes, ix: ClusterIndex, k: string, taskKey: string, half: 'spec' | 'status', modRevision: number, value: unknown): string | undefined {
  const joined = indexes.split.put(taskKey, half, modRevision, value);
  if (joined === undefined || joined === 'stale') return undefined;
  ix.putTask(summarize(taskKey, joined.modRevision, joined.record));
  return k;
}
