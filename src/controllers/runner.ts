/**
 * The controller runner: the one place reconcilers' decisions meet the store. It feeds every
 * Reconciler a snapshot of each cluster that changed (and of each cluster at the `wakeAt` a
 * reconciler asked for), runs every PeriodicJob every `everyMs`, and applies the actions they
 * return. It does all this only while it holds the controllers' lease (lease.ts), and every
 * write it makes carries the lease as a condition (fencing).
 *
 * Fencing and renewal: a renewal changes the lease's modRevision, which would make any write
 * in flight with the old revision fail. Renewals therefore take the write gate exclusively:
 * a renewal waits for the writes in flight (each a single transaction, or one placer commit)
 * and new writes wait for the renewal, so a write always carries the current revision and a
 * refused fence means another control plane really took over. The cost is a pause of one
 * store round trip every LEASE_RENEW_MS.
 *
 * Bounds: passes are keyed by cluster (a change during a pass marks the cluster dirty once
 * more, whatever the number of changes), at most MAX_PASSES_IN_FLIGHT run at once, wake-ups
 * are keyed by cluster and reconciler (MAX_WAKEUPS), jobs by name (one run in flight each).
 */
import { randomUUID } from 'node:crypto';
import type { ClusterRef, ClusterState } from '../cluster/types.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { changeTask } from '../core/workload/task-store.ts';
import type { Placer } from '../scheduler/launch.ts';
import type { Condition, Store, Txn } from '../store/store.ts';
import { CONTROLLERS_LEASE_KEY, Lease, LEASE_RENEW_MS } from './lease.ts';
import type { Action, PeriodicJob, Reconciler } from './types.ts';

/** Cluster passes running at once: enough to overlap store round trips, few enough not to starve the API. */
export const MAX_PASSES_IN_FLIGHT = 4;
/** Wake-ups remembered (one per cluster and reconciler): far above any real cluster count × reconcilers. */
export const MAX_WAKEUPS = 100_000;
/** Attempts of one `update` action's read-modify-write before it is left for the next pass. */
export const MAX_UPDATE_ATTEMPTS = 10;
/** `then` actions may launch again; this deep at most, so a reconciler bug cannot loop. */
const MAX_THEN_DEPTH = 3;
/** A pass whose writes conflicted runs again this soon even if nothing else changes (the state normally catches up first). */
export const CONFLICT_RETRY_MS = 1_000;
/** A wakeAt already past is honoured this much later: a reconciler that keeps asking for "now" cannot spin. */
export const MIN_WAKE_DELAY_MS = 100;

/**
 * `update` actions of one wave applied at once: independent records whose writes share the
 * store's group commit (one fsync for many) instead of one fsync each in a row (1,000 stops
 * of a rollout took ~5 s one after another). Bounds the reads and writes in flight per pass.
 */
export const UPDATES_IN_FLIGHT = 64;

/**
 * Actions in the order they must land, as waves that may land together: a run of `update`
 * actions on distinct records, none of which names another's record in its pinned
 * conditions (`if`), is one wave; every other action, and an update that depends on one
 * before it, starts a new wave. So a reconciler's order is kept wherever it can matter
 * (instance-health pins task writes to the instance it writes after them).
 */
export function waves(actions: readonly Action[]): Action[][] {
  const out: Action[][] = [];
  let wave: Action[] = [];
  let keys = new Set<string>();
  let pinned = new Set<string>();
  const close = () => {
    if (wave.length) out.push(wave);
    wave = [];
    keys = new Set();
    pinned = new Set();
  };
  for (const a of actions) {
    if (a.type !== 'update') {
      close();
      out.push([a]);
      continue;
    }
    const conds = (a.if ?? []).map((c) => c.key);
    if (keys.has(a.key) || pinned.has(a.key) || conds.some((k) => keys.has(k))) close();
    wave.push(a);
    keys.add(a.key);
    for (const k of conds) pinned.add(k);
  }
  close();
  return out;
}

/** `fn` over `items`, at most `limit` at once; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (items.length === 1) return [await fn(items[0]!)];
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Timers, injectable so tests drive time. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    // The runner's timers never keep a stopping process alive.
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ControllerRunnerOptions {
  readonly store: Store;
  readonly state: ClusterState;
  readonly placer: Placer;
  readonly reconcilers: readonly Reconciler[];
  readonly jobs: readonly PeriodicJob[];
  readonly log: (line: string) => void;
  /** Epoch ms. */
  readonly now: () => number;
  readonly leaseKey?: string;
  /** This runner's identity in the lease (default: a random id). */
  readonly holder?: string;
  readonly timers?: Timers;
  readonly leaseTtlMs?: number;
  readonly renewMs?: number;
}

export interface ControllerRunner {
  /** Starts competing for the lease; reconciles while it holds it. */
  start(): void;
  /** True while this runner holds the lease. */
  readonly leader: boolean;
  /** Resolves when no pass or job run is in flight and none is due now (tests). */
  idle(): Promise<void>;
  /** Stops, waits for writes in flight, and releases the lease. */
  close(): Promise<void>;
}

/** Raised inside the runner when a write was refused for the lease: this runner is no longer the leader. */
class FenceLost extends Error {}

const refKey = (r: ClusterRef) => `${r.scope.account}/${r.scope.region}/${r.cluster}`;

export function createControllerRunner(o: ControllerRunnerOptions): ControllerRunner {
  const timers = o.timers ?? realTimers;
  const renewMs = o.renewMs ?? LEASE_RENEW_MS;
  const lease = new Lease({ store: o.store, key: o.leaseKey ?? CONTROLLERS_LEASE_KEY, holder: o.holder ?? randomUUID(), now: o.now, ...(o.leaseTtlMs !== undefined && { ttlMs: o.leaseTtlMs }) });

  let closed = false;
  let leaseTimer: unknown;
  let unsubscribe: (() => void) | undefined;
  /** Clusters to reconcile, in the order they changed (bounded by the number of clusters). */
  const dirty = new Map<string, ClusterRef>();
  const running = new Set<string>();
  /** The store revision a cluster's next pass must see (its own last writes). */
  const mustSee = new Map<string, number>();
  /** `cluster|reconciler` → when to reconcile again; one timer armed for the earliest. */
  const wakeups = new Map<string, { ref: ClusterRef; at: number }>();
  let wakeTimer: { handle: unknown; at: number } | undefined;
  const jobTimers = new Map<string, unknown>();
  const jobsRunning = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();

  // The write gate (see the header): writers share it, a renewal takes it alone.
  let writers = 0;
  let renewing: Promise<void> | undefined;
  let writersDone: (() => void) | undefined;

  async function gated<T>(write: (fence: Condition) => Promise<T>): Promise<T> {
    while (renewing) await renewing;
    const fence = lease.fence();
    if (!fence) throw new FenceLost('not the leader');
    writers++;
    try {
      return await write(fence);
    } finally {
      if (--writers === 0) writersDone?.();
    }
  }

  async function leaseTick(): Promise<void> {
    let release!: () => void;
    renewing = new Promise<void>((r) => { release = r; });
    try {
      if (writers > 0) await new Promise<void>((r) => { writersDone = r; });
      writersDone = undefined;
      const was = lease.held;
      const state = await lease.tick();
      if (state.held && !was) becameLeader();
      else if (!state.held && was) lostLeadership('the lease was taken over');
    } catch (err) {
      o.log(`controllers: lease: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      renewing = undefined;
      release();
    }
  }

  function scheduleLease(ms: number): void {
    if (closed) return;
    leaseTimer = timers.set(() => track(leaseTick().finally(() => scheduleLease(renewMs))), ms);
  }

  function becameLeader(): void {
    o.log(`controllers: this control plane leads (${lease.holder})`);
    unsubscribe = o.state.onChange((changed) => { for (const r of changed) markDirty(r); });
    for (const r of o.state.clusters()) markDirty(r);
    for (const job of o.jobs) scheduleJob(job);
  }

  function lostLeadership(why: string): void {
    if (!unsubscribe && jobTimers.size === 0) return;
    o.log(`controllers: no longer leading: ${why}`);
    lease.lost();
    unsubscribe?.();
    unsubscribe = undefined;
    dirty.clear();
    wakeups.clear();
    if (wakeTimer) timers.clear(wakeTimer.handle);
    wakeTimer = undefined;
    for (const t of jobTimers.values()) timers.clear(t);
    jobTimers.clear();
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  function markDirty(ref: ClusterRef): void {
    if (closed || !lease.held) return;
    dirty.set(refKey(ref), ref);
    pump();
  }

  function pump(): void {
    for (const [key, ref] of dirty) {
      if (running.size >= MAX_PASSES_IN_FLIGHT) return;
      if (running.has(key)) continue;
      dirty.delete(key);
      running.add(key);
      track(pass(key, ref).finally(() => {
        running.delete(key);
        pump();
      }));
    }
  }

  async function pass(key: string, ref: ClusterRef): Promise<void> {
    const need = mustSee.get(key);
    if (need !== undefined) {
      await o.state.caughtUp(need);
      mustSee.delete(key);
    }
    let conflicted = false;
    for (const r of o.reconcilers) {
      if (!lease.held) return;
      // Each reconciler reads the state as it is now (the snapshot is a view, valid in this
      // turn): the next one, after this one's writes were awaited, sees them or newer.
      const snapshot = o.state.snapshot(ref);
      if (!snapshot) {
        for (const each of o.reconcilers) setWake(`${key}|${each.name}`, ref, undefined);
        return;
      }
      let result;
      try {
        result = r.reconcile(snapshot, o.now());
      } catch (err) {
        // One reconciler's bug must not stop the others: log it and try again later.
        o.log(`controllers: ${r.name} failed on cluster ${ref.cluster}: ${err instanceof Error ? err.stack : String(err)}`);
        setWake(`${key}|${r.name}`, ref, o.now() + CONFLICT_RETRY_MS);
        continue;
      }
      setWake(`${key}|${r.name}`, ref, result.wakeAt === undefined ? undefined : Math.max(result.wakeAt, o.now() + MIN_WAKE_DELAY_MS));
      for (const wave of waves(result.actions)) {
        const outcomes = await inParallel(wave, UPDATES_IN_FLIGHT, (action) => applyLogged(r.name, action, 0));
        for (const outcome of outcomes) {
          if (outcome.revision !== undefined) mustSee.set(key, Math.max(mustSee.get(key) ?? 0, outcome.revision));
          if (outcome.conflict) conflicted = true;
        }
        if (!lease.held) return;
      }
    }
    if (conflicted) setWake(`${key}|conflict`, ref, o.now() + CONFLICT_RETRY_MS);
  }

  interface Outcome { revision?: number; conflict?: boolean }

  async function applyLogged(who: string, action: Action, depth: number): Promise<Outcome> {
    try {
      return await apply(action, depth);
    } catch (err) {
      if (err instanceof FenceLost) {
        lostLeadership(`a write was refused for the lease (${action.why})`);
        return {};
      }
      o.log(`controllers: ${who}: ${action.why}: ${err instanceof Error ? err.message : String(err)}`);
      return { conflict: true };
    }
  }

  function fenced(txn: Txn, fence: Condition): Txn {
    return { if: [...(txn.if ?? []), fence], ops: txn.ops };
  }

  async function apply(action: Action, depth: number): Promise<Outcome> {
    if (action.type === 'txn') {
      const r = await gated((fence) => o.store.txn(fenced(action.txn, fence)));
      if (!r.ok && r.failed.includes(lease.key)) throw new FenceLost();
      // A refused condition means the decision was made on a stale snapshot: the next pass decides again.
      return { revision: r.revision, conflict: !r.ok };
    }
    if (action.type === 'update' && action.task !== undefined) {
      const w = await changeTask(o.store, action.key, action.task, (cur) => action.change(cur, o.now()) as TaskRecord | undefined, {
        ...(action.if && { if: action.if }), attempts: MAX_UPDATE_ATTEMPTS, commit: (txn) => gated((fence) => o.store.txn(fenced(txn, fence))),
      });
      if (w.outcome === 'written') return { revision: w.revision };
      if (w.outcome !== 'conflict') return {};
      if (w.failed.includes(lease.key)) throw new FenceLost();
      return { revision: w.revision, conflict: true };
    }
    if (action.type === 'update') {
      for (let i = 0; i < MAX_UPDATE_ATTEMPTS; i++) {
        const cur = await o.store.get(action.key);
        const next = action.change(cur === undefined ? undefined : JSON.parse(cur.value), o.now());
        if (next === undefined) return {};
        const txn: Txn = { if: [{ key: action.key, modRevision: cur?.modRevision ?? 0 }, ...(action.if ?? [])], ops: [{ type: 'put', key: action.key, value: JSON.stringify(next) }] };
        const r = await gated((fence) => o.store.txn(fenced(txn, fence)));
        if (r.ok) return { revision: r.revision };
        if (r.failed.includes(lease.key)) throw new FenceLost();
        if (r.failed.some((k) => k !== action.key)) return { revision: r.revision, conflict: true };
      }
      return { conflict: true };
    }
    let result;
    try {
      result = await gated((fence) => o.placer.launch({ ...action.launch, fence: [...(action.launch.fence ?? []), fence] }));
    } catch (err) {
      if (err instanceof FenceLost) throw err;
      // The placer's own refusal (an ApiError, a commit it could not make): the reconciler decides what to say.
      result = { error: err instanceof Error ? err.message : String(err) };
    }
    if (!lease.held) throw new FenceLost();
    const outcome: Outcome = {};
    if (!action.then) return outcome;
    if (depth + 1 >= MAX_THEN_DEPTH) {
      o.log(`controllers: ${action.why}: follow-up actions nested deeper than ${MAX_THEN_DEPTH}; dropped`);
      return outcome;
    }
    for (const next of action.then(result, o.now())) {
      const r = await applyLogged(action.why, next, depth + 1);
      if (r.revision !== undefined) outcome.revision = Math.max(outcome.revision ?? 0, r.revision);
      if (r.conflict) outcome.conflict = true;
    }
    return outcome;
  }

  function setWake(key: string, ref: ClusterRef, at: number | undefined): void {
    if (at === undefined) wakeups.delete(key);
    else if (wakeups.size < MAX_WAKEUPS || wakeups.has(key)) wakeups.set(key, { ref, at });
    else o.log(`controllers: more than ${MAX_WAKEUPS} wake-ups pending; ${key} waits for its next change`);
    armWake();
  }

  /** Arms the one wake timer for the earliest wake-up (a scan: wake-ups are few, one per cluster and reconciler). */
  function armWake(): void {
    let earliest = Infinity;
    for (const w of wakeups.values()) earliest = Math.min(earliest, w.at);
    if (wakeTimer && wakeTimer.at === earliest) return;
    if (wakeTimer) timers.clear(wakeTimer.handle);
    wakeTimer = undefined;
    if (earliest === Infinity || closed) return;
    wakeTimer = { at: earliest, handle: timers.set(fire, Math.max(0, earliest - o.now())) };
  }

  function fire(): void {
    wakeTimer = undefined;
    const now = o.now();
    const due: ClusterRef[] = [];
    for (const [key, w] of wakeups) {
      if (w.at <= now) {
        wakeups.delete(key);
        due.push(w.ref);
      }
    }
    armWake();
    for (const ref of due) markDirty(ref);
  }

  function scheduleJob(job: PeriodicJob): void {
    if (closed || !lease.held) return;
    jobTimers.set(job.name, timers.set(() => {
      jobTimers.delete(job.name);
      track(runJob(job).finally(() => scheduleJob(job)));
    }, job.everyMs));
  }

  async function runJob(job: PeriodicJob): Promise<void> {
    if (jobsRunning.has(job.name) || !lease.held) return;
    jobsRunning.add(job.name);
    try {
      const snapshot = await job.load();
      const result = job.reconcile(snapshot, o.now());
      for (const action of result.actions) {
        await applyLogged(job.name, action, 0);
        if (!lease.held) return;
      }
    } catch (err) {
      o.log(`controllers: ${job.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    } finally {
      jobsRunning.delete(job.name);
    }
  }

  return {
    start() {
      scheduleLease(0);
    },
    get leader() {
      return lease.held;
    },
    async idle() {
      // Dirty clusters always have a pass in flight or about to start (pump), never none.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      closed = true;
      timers.clear(leaseTimer);
      if (wakeTimer) timers.clear(wakeTimer.handle);
      for (const t of jobTimers.values()) timers.clear(t);
      unsubscribe?.();
      dirty.clear();
      await Promise.allSettled([...inFlight]);
      await lease.release().catch((err: unknown) => o.log(`controllers: releasing the lease: ${String(err)}`));
    },
  };
}
