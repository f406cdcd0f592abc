/**
 * A secondary index of a cluster's tasks (by instance, group, startedBy, family or desired
 * status): value → the tasks with it, in id order. A value most of the cluster's tasks share
 * (every task of a one-family cluster has the same group, family and desired status) is
 * kept by reference to the cluster's tasks instead of holding every id again: a **dense**
 * bucket is a count, and walking it walks the cluster's tasks (`all`) and keeps those with
 * the value. Placing a task then costs no Map set in such an index (issue 14: three indexes
 * that each held every task were 7-10% of a committed placement's main thread, with an entry
 * object per task apiece for the collector).
 *
 *   set(value, s) ─▶ sparse bucket: LazySorted by id (as before)       ─▶ walk: its entries
 *                 └▶ dense bucket:  count only (≥ DENSE_SHARE of all)   ─▶ walk: all's entries
 *                                                                           where keyOf(s) = value
 *   sparse ──count ≥ max(MIN_DENSE_TASKS, DENSE_SHARE × all)──▶ dense (the LazySorted dropped)
 *   dense ──read while count < SPARSE_SHARE × all──▶ sparse (built by one walk of all)
 *
 * So a walk reads at most 1 / SPARSE_SHARE entries per match. Between the two shares
 * nothing moves (a bucket near the line does not flip back and forth); the walk that builds
 * a sparse bucket again follows at least as many changes as it reads entries, up to a
 * constant. Contract with the caller: `all` holds each task's current summary before the
 * index hears of it (set) and no longer holds it when the index is told it left (delete).
 */
import { LazySorted } from './lazy-sorted.ts';
import type { TaskSummary } from './types.ts';

/** A bucket holding at least this share of the cluster's tasks is kept as a count (dense). */
export const DENSE_SHARE = 0.5;
/** A dense bucket read while it holds less than this share is built as a sparse one again. */
export const SPARSE_SHARE = 0.25;
/**
 * Buckets of fewer tasks stay sparse whatever their share: a small cluster's walks cost
 * nothing worth saving, and its tests see the plain index.
 */
export const MIN_DENSE_TASKS = 1_024;

interface Bucket {
  /** The bucket's tasks by id; undefined: dense (read through `all`). */
  sparse: LazySorted<TaskSummary> | undefined;
  count: number;
}

const NONE: readonly TaskSummary[] = [];

export class TaskIndex {
  readonly #buckets = new Map<string, Bucket>();
  readonly #all: LazySorted<TaskSummary>;
  readonly #keyOf: (s: TaskSummary) => string | undefined;

  /** `all`: every task of the cluster by id; `keyOf`: the value a task is indexed under (undefined: none). */
  constructor(all: LazySorted<TaskSummary>, keyOf: (s: TaskSummary) => string | undefined) {
    this.#all = all;
    this.#keyOf = keyOf;
  }

  has(value: string): boolean {
    return this.#buckets.has(value);
  }

  /** How many tasks have the value. */
  size(value: string): number {
    return this.#buckets.get(value)?.count ?? 0;
  }

  /** The task `s` has the value: added, or (already there) its summary replaced. */
  set(value: string, s: TaskSummary, present: boolean): void {
    let b = this.#buckets.get(value);
    if (!b) this.#buckets.set(value, (b = { sparse: new LazySorted<TaskSummary>(), count: 0 }));
    if (!present) b.count++;
    if (b.sparse === undefined) return;
    b.sparse.set(s.id, s);
    if (b.count >= MIN_DENSE_TASKS && b.count >= DENSE_SHARE * this.#all.size) b.sparse = undefined;
  }

  /** The task `id` no longer has the value. */
  delete(value: string, id: string): void {
    const b = this.#buckets.get(value);
    if (!b) return;
    b.count--;
    b.sparse?.delete(id);
    if (b.count <= 0) this.#buckets.delete(value);
  }

  /** [id, summary] of the tasks with the value, in id order, from the first id ≥ `from`. */
  *entries(value: string, from?: string): IterableIterator<[string, TaskSummary]> {
    const b = this.#bucket(value);
    if (!b) return;
    if (b.sparse) { yield* b.sparse.entries(from); return; }
    for (const e of this.#all.entries(from)) if (this.#keyOf(e[1]) === value) yield e;
  }

  /** The tasks with the value, in id order. */
  values(value: string): TaskSummary[] {
    const b = this.#bucket(value);
    if (!b) return [...NONE];
    if (b.sparse) return b.sparse.valuesArray();
    const out: TaskSummary[] = [];
    for (const s of this.#all.valuesArray()) if (this.#keyOf(s) === value) out.push(s);
    return out;
  }

  /** Whether the value's bucket is dense now (for tests of the transitions). */
  isDense(value: string): boolean {
    const b = this.#buckets.get(value);
    return b !== undefined && b.sparse === undefined;
  }

  /** The bucket, a dense one that fell below SPARSE_SHARE built sparse again first. */
  #bucket(value: string): Bucket | undefined {
    const b = this.#buckets.get(value);
    if (b && b.sparse === undefined && b.count < SPARSE_SHARE * this.#all.size) {
      const sparse = new LazySorted<TaskSummary>();
      for (const [id, s] of this.#all.entries()) if (this.#keyOf(s) === value) sparse.set(id, s);
      b.sparse = sparse;
    }
    return b;
  }
}
