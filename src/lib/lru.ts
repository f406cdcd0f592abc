/** How an {@link Lru} is bounded: by entries, and optionally by the sum of their weights. */
export interface LruLimits<K, V> {
  /** Most entries kept. */
  readonly maxEntries: number;
  /** Most total weight kept (bytes, usually), as `weigh` counts it. */
  readonly maxWeight?: number;
  /**
   * An entry's weight. Must give the same answer for the same entry every time: it is
   * asked again when the entry leaves, instead of being stored beside it.
   */
  readonly weigh?: (value: V, key: K) => number;
}

/**
 * A bounded map that forgets the least recently used entry first. Map keeps insertion
 * order, so a hit is re-inserted to become the newest.
 *
 * Bounded by entries, and by weight when `weigh` is given: a cache of values of very
 * different sizes (a 60-byte record, a 300 KB one) is bounded by what it holds, not by
 * how many. An entry heavier than the whole budget is not kept (it would evict everything).
 */
export class Lru<K, V> {
  readonly #maxEntries: number;
  readonly #maxWeight: number;
  readonly #weigh: ((value: V, key: K) => number) | undefined;
  readonly #map = new Map<K, V>();
  #weight = 0;

  constructor(limits: number | LruLimits<K, V>) {
    const l = typeof limits === 'number' ? { maxEntries: limits } : limits;
    this.#maxEntries = l.maxEntries;
    this.#maxWeight = l.maxWeight ?? Infinity;
    this.#weigh = l.weigh;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** The value without making it the most recently used. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    const w = this.#weigh?.(value, key) ?? 0;
    if (w > this.#maxWeight) return;
    this.#map.set(key, value);
    this.#weight += w;
    while (this.#map.size > this.#maxEntries || this.#weight > this.#maxWeight) {
      this.delete(this.#map.keys().next().value as K);
    }
  }

  delete(key: K): void {
    const old = this.#map.get(key);
    if (old === undefined) return;
    this.#map.delete(key);
    if (this.#weigh) this.#weight -= this.#weigh(old, key);
  }

  get size(): number {
    return this.#map.size;
  }

  /** The sum of the entries' weights (0 without `weigh`). */
  get weight(): number {
    return this.#weight;
  }
}
