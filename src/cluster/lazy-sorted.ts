/**
 * A map of string keys whose key order is built when someone reads it, not on every write:
 * what the cluster index keeps its tasks in (all of them, and the sparse buckets of its
 * indexes by instance, group, startedBy, family, desired status: task-index.ts).
 *
 * Why not an ordered tree: placing a task inserts it into six of them, and with 100,000
 * tasks each insert descends a b-tree with string comparisons (measured: ~30 µs of the
 * ~130 µs a committed placement cost, the largest part after SQLite). Most of those orders
 * are read rarely (ListTasks pages, a service's reconcile), many writes in between: here a
 * write is a Map set and, while an order is held, an array push; a read after k new or deleted keys
 * sorts those k and patches the held order (k binary searches and one copy of n references), and a read with no
 * write since is a binary search, as a tree's.
 *
 *   set(k, v) ──▶ values (Map: point reads, membership)
 *        └ new key, an order held ─▶ added[]     delete(k) ─▶ values; an order held ─▶ removed[]
 *   read ─▶ order = patch(order, sort(added), sort(removed))  (or sort(values.keys()))
 *
 * Bounds: `added` and `removed` hold the keys written since the last read; past
 * MAX_ADDED_SLACK more than there are values, the held order is dropped (the next read
 * sorts from scratch), so an order nobody reads costs no memory beyond the Map's keys.
 */

/** Keys `added` may hold beyond the number of values before the order is dropped (churn no one reads). */
export const MAX_ADDED_SLACK = 1_024;

/**
 * One key and its value. The order holds these, not keys, so a walk in order reads each value
 * without a Map lookup (taskList() of 100,000 after writes: 34 -> 2-3 ms); a set of
 * a present key changes the entry in place, and the held order sees it.
 */
interface Entry<V> {
  readonly key: string;
  value: V;
}

export class LazySorted<V> {
  readonly #values = new Map<string, Entry<V>>();
  /** The entries in key order as of the last read (some since deleted), or none held. */
  #order: Entry<V>[] | undefined;
  /** Keys new since the order was built, unsorted (some since deleted, some repeated). */
  #added: string[] = [];
  /** Keys deleted since the order was built (some since set again, some repeated). */
  #removed: string[] = [];

  get size(): number {
    return this.#values.size;
  }

  get(key: string): V | undefined {
    return this.#values.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  set(key: string, value: V): void {
    const held = this.#values.get(key);
    if (held) { held.value = value; return; }
    this.#values.set(key, { key, value });
    if (this.#order === undefined) return;
    this.#added.push(key);
    this.#bound();
  }

  delete(key: string): boolean {
    if (!this.#values.delete(key)) return false;
    if (this.#order === undefined) return true;
    this.#removed.push(key);
    this.#bound();
    return true;
  }

  /** [key, value] in key order from the first key ≥ `from` (every key without it). */
  *entries(from?: string): IterableIterator<[string, V]> {
    const order = this.#sorted();
    // Reads the order as it is now; a write during the walk builds a new array, so a key
    // added meanwhile is not seen and a key deleted meanwhile is skipped.
    for (let i = from === undefined ? 0 : lowerBound(order, from); i < order.length; i++) {
      const e = order[i]!;
      // Deleted meanwhile (or deleted and set again: a new entry, not in this order).
      if (this.#values.get(e.key) === e) yield [e.key, e.value];
    }
  }

  /** Every value, in key order. */
  valuesArray(): V[] {
    const order = this.#sorted();
    const out = new Array<V>(order.length);
    for (let i = 0; i < order.length; i++) out[i] = order[i]!.value;
    return out;
  }

  /** What the held order and the changes since take (for tests of the bound). */
  held(): { order: number; added: number; removed: number } {
    return { order: this.#order?.length ?? 0, added: this.#added.length, removed: this.#removed.length };
  }

  /** Churn no one reads: past the slack, the held order is dropped and the next read sorts. */
  #bound(): void {
    if (this.#added.length + this.#removed.length > this.#values.size + MAX_ADDED_SLACK) {
      this.#order = undefined;
      this.#added = [];
      this.#removed = [];
    }
  }

  /** The current entries in key order, brought up to date. */
  #sorted(): Entry<V>[] {
    const changes = this.#added.length + this.#removed.length;
    if (this.#order !== undefined && changes === 0) return this.#order;
    // Nothing held, or so much changed that sorting everything costs about what patching would.
    this.#order = this.#order === undefined || changes > this.#values.size / 4
      ? [...this.#values.values()].sort(byKey)
      : patch(this.#order, this.#added.sort(), this.#removed.sort(), this.#values);
    this.#added = [];
    this.#removed = [];
    return this.#order;
  }
}

/**
 * `order` with the keys of `added` that are in `values` inserted and the keys of `removed`
 * that are not taken out (both sorted, repeats allowed). Each change is found by a binary
 * search; the rest is one pass copying references, which never reads the strings
 * themselves (a merge comparing every key missed the cache on each: ~150 ns a key).
 */
function patch<V>(order: readonly Entry<V>[], added: readonly string[], removed: readonly string[], values: ReadonlyMap<string, Entry<V>>): Entry<V>[] {
  const insertAt: number[] = [];
  const inserted: Entry<V>[] = [];
  /** Keys deleted and set again: in the order with their old entry, which the new one replaces. */
  const replaced = new Map<number, Entry<V>>();
  for (let i = 0; i < added.length; i++) {
    const k = added[i]!;
    const e = values.get(k);
    if (k === added[i - 1] || e === undefined) continue;
    const at = lowerBound(order, k);
    if (order[at]?.key === k) replaced.set(at, e);
    else { insertAt.push(at); inserted.push(e); }
  }
  const removeAt: number[] = [];
  for (let i = 0; i < removed.length; i++) {
    const k = removed[i]!;
    if (k === removed[i - 1] || values.has(k)) continue;
    const at = lowerBound(order, k);
    // Not in the order: it was added after it was built, and is gone again.
    if (order[at]?.key === k) removeAt.push(at);
  }
  // Preallocated and written by index: pushing 100,000 references cost several times more.
  const out = new Array<Entry<V>>(order.length + inserted.length - removeAt.length);
  let w = 0;
  let a = 0;
  let r = 0;
  for (let i = 0; i <= order.length; i++) {
    while (a < insertAt.length && insertAt[a] === i) out[w++] = inserted[a++]!;
    if (i === order.length) break;
    if (r < removeAt.length && removeAt[r] === i) { r++; continue; }
    out[w++] = (replaced.size > 0 ? replaced.get(i) : undefined) ?? order[i]!;
  }
  return out;
}

/** The first index whose key is ≥ `key`. */
function lowerBound(order: readonly Entry<unknown>[], key: string): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid]!.key < key) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function byKey(a: Entry<unknown>, b: Entry<unknown>): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
