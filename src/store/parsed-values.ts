/**
 * Values this process has just written, each with the object it was serialized from, so a
 * watcher in the same process (the cluster state) takes the object instead of parsing the
 * value back: a placed task is serialized once for the store, and parsing its 1-3 KB again
 * from the watch event cost more than placing it (measured: 12-30 µs per task record here).
 *
 *   writer: value = JSON.stringify(obj); memo.remember(value, obj); store.txn(put value)
 *   watcher: memo.take(event.kv.value) ?? JSON.parse(event.kv.value)
 *
 * Lookups are by the string itself: the event carries the very string the writer put, so
 * its hash is computed once and equality is identity. A string equal to a remembered one
 * parses to an equal object, so a match is always right. The writer must not change the
 * object after remembering it (a store event reaches watchers before the txn's caller resumes).
 */

/**
 * Values remembered at most, oldest forgotten first: more than one placer batch
 * (MAX_BATCH_TASKS, 5,000) between the commit and its watch event, which arrive in the
 * same turn; the rest are values whose event no watcher took (e.g. no state follows them).
 */
export const MAX_REMEMBERED_VALUES = 8_192;

export class ParsedValues {
  readonly #values = new Map<string, unknown>();

  remember(value: string, parsed: unknown): void {
    this.#values.delete(value);
    this.#values.set(value, parsed);
    if (this.#values.size > MAX_REMEMBERED_VALUES) this.#values.delete(this.#values.keys().next().value!);
  }

  /** The object `value` was serialized from, forgotten as it is taken; undefined if not remembered. */
  take(value: string): unknown {
    const parsed = this.#values.get(value);
    if (parsed !== undefined) this.#values.delete(value);
    return parsed;
  }

  get size(): number {
    return this.#values.size;
  }
}
