/**
 * Runs work in batches per key, one batch in flight per key: items submitted for a key
 * while its batch runs wait and go together in the next batch. This turns N concurrent
 * read-modify-write operations on one record (e.g. registering N revisions of one task
 * definition family) into a few compare-and-set transactions instead of N conflicting ones.
 *
 * A batch may be capped by weight (`maxWeight`, each item weighing `weigh(item)`): it then
 * takes queued items in order while they fit, always at least one, and the rest wait for
 * the next batch.
 */
export interface BatchLimit<I> {
  readonly maxWeight: number;
  readonly weigh: (item: I) => number;
}

interface Queued<I, O> { readonly item: I; readonly resolve: (o: O) => void; readonly reject: (e: unknown) => void }

export class KeyedBatcher<I, O> {
  readonly #run: (key: string, items: readonly I[]) => Promise<(O | Error)[]>;
  readonly #limit: BatchLimit<I> | undefined;
  readonly #queues = new Map<string, Queued<I, O>[]>();
  readonly #busy = new Set<string>();

  /** `run` gets a batch and answers one result (or Error) per item, in order. */
  constructor(run: (key: string, items: readonly I[]) => Promise<(O | Error)[]>, limit?: BatchLimit<I>) {
    this.#run = run;
    this.#limit = limit;
  }

  submit(key: string, item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      let q = this.#queues.get(key);
      if (!q) this.#queues.set(key, (q = []));
      q.push({ item, resolve, reject });
      if (!this.#busy.has(key)) void this.#drain(key);
    });
  }

  /** The next batch of `key`'s queue, taken out of it. */
  #take(key: string): Queued<I, O>[] | undefined {
    const q = this.#queues.get(key);
    if (!q?.length) return undefined;
    let n = q.length;
    if (this.#limit) {
      let weight = this.#limit.weigh(q[0]!.item);
      for (n = 1; n < q.length; n++) {
        weight += this.#limit.weigh(q[n]!.item);
        if (weight > this.#limit.maxWeight) break;
      }
    }
    if (n === q.length) {
      this.#queues.delete(key);
      return q;
    }
    return q.splice(0, n);
  }

  async #drain(key: string): Promise<void> {
    this.#busy.add(key);
    try {
      for (;;) {
        const batch = this.#take(key);
        if (!batch) break;
        try {
          const results = await this.#run(key, batch.map((b) => b.item));
          batch.forEach((b, i) => {
            const r = results[i];
            if (r instanceof Error) b.reject(r); else b.resolve(r as O);
          });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.#busy.delete(key);
      this.#queues.delete(key);
    }
  }
}
