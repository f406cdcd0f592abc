/**
 * Reconcilers and their actions (contract of issue 14, part 2). A reconciler is pure:
 * `reconcile(snapshot, now) → { actions, wakeAt }`. One runner (runner.ts) feeds every
 * reconciler a snapshot of each cluster whenever the cluster state changes (and at the
 * `wakeAt` a reconciler asked for), and applies the actions it gets back:
 *
 *   ClusterState ──onChange──▶ runner ──snapshot──▶ reconcile() ──actions──▶ runner
 *                                 ▲                                         │ txn (CAS) /
 *                                 └───────────── store watch ◀──────────────┘ placer.launch
 *
 * Every write is a compare-and-set on the revisions the snapshot held: an action decided on
 * a stale snapshot fails and the next pass decides again. The runner runs only while it
 * holds the controllers' lease, and every write it makes is fenced by it, so a second
 * control plane can run beside the first.
 */
import type { ClusterSnapshot } from '../cluster/types.ts';
import type { Launch, LaunchResult } from '../scheduler/launch.ts';
import type { TaskPart } from '../core/workload/task-store.ts';
import type { Condition, Txn } from '../store/store.ts';

export type Action =
  /** Apply a transaction whose conditions pin what the decision read. */
  | { readonly type: 'txn'; readonly txn: Txn; readonly why: string }
  /**
   * Read-modify-write one JSON record, retried on conflict: for appends that must land
   * whatever else changed (a service event). `change` is pure; undefined leaves it.
   */
  | {
    readonly type: 'update'; readonly key: string; readonly change: (current: unknown, now: number) => unknown; readonly why: string;
    /**
     * Conditions on other records the decision read (an instance's revision): the write
     * lands only while they hold, and is not retried when one fails (the decision is stale;
     * the next pass decides again). Conflicts on `key` itself are retried.
     */
    readonly if?: readonly Condition[];
    /**
     * Set when `key` is a task's (its TaskSummary's): the write goes through the task store
     * (core/workload/task-store.ts changeTask), `change` gets the task as ECS shows it and
     * only this half of its answer is written (the spec for a stop, both for a task whose
     * agent cannot report).
     */
    readonly task?: TaskPart;
  }
  /** Place and start tasks; `then` (pure) turns the outcome into further actions (events). */
  | { readonly type: 'launch'; readonly launch: Launch; readonly then?: (result: LaunchResult | { error: string }, now: number) => readonly Action[]; readonly why: string };

export interface ReconcileResult {
  readonly actions: readonly Action[];
  /** Epoch ms at which to reconcile this cluster again even if nothing changes (timers: grace periods, throttles). */
  readonly wakeAt?: number;
}

/** One concern of the orchestration (service, deployment, draining, instance health, ...). */
export interface Reconciler {
  readonly name: string;
  /** Pure. `now` is epoch ms. */
  reconcile(snapshot: ClusterSnapshot, now: number): ReconcileResult;
}

/**
 * A reconciler of state outside clusters (task definition retention, ECR lifecycle): it
 * loads its own snapshot, then decides purely. The runner calls it every `everyMs`.
 */
export interface PeriodicJob<S = unknown> {
  readonly name: string;
  readonly everyMs: number;
  load(): Promise<S>;
  reconcile(snapshot: S, now: number): ReconcileResult;
}
