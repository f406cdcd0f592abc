/**
 * Values this process has just written, each with the object it was serialized from, so a
 * watcher in the same process (the cluster state) takes the object instead of parsing the
 * value back: a placed task is serialized once for the store, and parsing its 1-3 KB again
 * from the watch event cost more than placing it (measured: 12-30 µs per task record here).
 *
 *   writer: value = JSON.stringify(obj); memo.remember(key, value, obj); store.txn(put key value)
 *   watchers (the cluster state, the agent gateway), readers of a value just read:
 *           memo.get(event.kv.key, event.kv.value) ?? JSON.parse(event.kv.value)
 *
 * Lookups are by the store key, and a hit needs the value to be the one remembered: the
 * event carries the very string the writer put, so that check is identity. (Keyed by the
 * value itself, the Map hashed every 1-3 KB record: ~5 µs of a placed task's ~100.) A
 * string equal to a remembered one parses to an equal object, so a match is always right;
 * a key written again keeps only the newer value (an older event parses). An entry stays
 * until MAX_REMEMBERED_VALUES newer ones push it out, so every watcher of the event finds
 * it. Nobody may change a remembered object (the writer after remembering it, a reader
 * after getting it: readers share it).
 */

/**
 * Values remembered at most, oldest forgotten first: more than one placer batch
 * (MAX_BATCH_TASKS, 5,000) between the commit and its watch event, which arrive in the
 * same turn, and the agents' reports of the tasks placed just before (a report reads the
 * record the placer wrote). ~2-3 KB of objects each: ~20 MB at most.
 */
export const MAX_REMEMBERED_VALUES = 8_192;

export class ParsedValues {
  readonly #values = new Map<string, { readonly value: string; readonly parsed: unknown; readonly slot: number }>();
  /**
   * The keys in the order remembered, a ring of MAX_REMEMBERED_VALUES slots: a remember takes
   * the next slot and forgets the key in it, unless that key was remembered again since (its
   * entry names a newer slot). Not the Map's own order (delete the first key, as an LRU
   * does): V8 leaves a deleted entry as a hole until the table is rebuilt, and finding the
   * first key skips every hole before it: measured 4.4 µs per placed task in the placer's
   * profile (6% of its CPU), against a ring slot's write.
   */
  readonly #ring: (string | undefined)[] = new Array<string | undefined>(MAX_REMEMBERED_VALUES).fill(undefined);
  #next = 0;

  remember(key: string, value: string, parsed: unknown): void {
    const slot = this.#next;
    this.#next = slot + 1 === MAX_REMEMBERED_VALUES ? 0 : slot + 1;
    const old = this.#ring[slot];
    if (old !== undefined && this.#values.get(old)?.slot === slot) this.#values.delete(old);
    this.#ring[slot] = key;
    this.#values.set(key, { value, parsed, slot });
  }

  /** The object `value` (written to `key`) was serialized from; undefined if not remembered. Shared: read it, never change it. */
  get(key: string, value: string): unknown {
    const e = this.#values.get(key);
    return e !== undefined && e.value === value ? e.parsed : undefined;
  }

  get size(): number {
    return this.#values.size;
  }
}
