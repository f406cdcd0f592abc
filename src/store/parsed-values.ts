/**
 * Values this process has just written, each with the object it was serialized from, so a
 * watcher in the same process (the cluster state) takes the object instead of parsing the
 * value back: a placed task is serialized once for the store, and parsing its 1-3 KB again
 * from the watch event cost more than placing it (measured: 12-30 µs per task record here).
 *
 *   writer: value = JSON.stringify(obj); memo.remember(key, value, obj); store.txn(put key value)
 *   watcher: memo.take(event.kv.key, event.kv.value) ?? JSON.parse(event.kv.value)
 *
 * Lookups are by the store key, and a hit needs the value to be the one remembered: the
 * event carries the very string the writer put, so that check is identity. (Keyed by the
 * value itself, the Map hashed every 1-3 KB record: ~5 µs of a placed task's ~100.) A
 * string equal to a remembered one parses to an equal object, so a match is always right;
 * a key written again before its first event is taken keeps only the newer value (the
 * older event parses). The writer must not change the object after remembering it (a
 * store event reaches watchers before the txn's caller resumes).
 */

/**
 * Values remembered at most, oldest forgotten first: more than one placer batch
 * (MAX_BATCH_TASKS, 5,000) between the commit and its watch event, which arrive in the
 * same turn; the rest are values whose event no watcher took (e.g. no state follows them).
 */
export const MAX_REMEMBERED_VALUES = 8_192;

export class ParsedValues {
  readonly #values = new Map<string, { readonly value: string; readonly parsed: unknown }>();

  remember(key: string, value: string, parsed: unknown): void {
    this.#values.delete(key);
    this.#values.set(key, { value, parsed });
    if (this.#values.size > MAX_REMEMBERED_VALUES) this.#values.delete(this.#values.keys().next().value!);
  }

  /** The object `value` (written to `key`) was serialized from, forgotten as it is taken; undefined if not remembered. */
  take(key: string, value: string): unknown {
    const e = this.#values.get(key);
    if (e === undefined || e.value !== value) return undefined;
    this.#values.delete(key);
    return e.parsed;
  }

  get size(): number {
    return this.#values.size;
  }
}
