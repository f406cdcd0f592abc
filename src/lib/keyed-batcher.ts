/**
 * Runs work in batches per key, one batch in flight per key: items submitted for a key
 * while its batch runs wait and go together in the next batch. This turns N concurrent
 * read-modify-write operations on one record (e.g. registering N revisions of one task
 * definition family) into a few compare-and-set transactions instead of N conflicting ones.
 */
export class KeyedBatcher<I, O> {
  readonly #run: (key: string, items: readonly I[]) => Promise<(O | Error)[]>;
  readonly #queues = new Map<string, { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[]>();
  readonly #busy = new Set<string>();

  /** `run` gets a batch and answers one result (or Error) per item, in order. */
  constructor(run: (key: string, items: readonly I[]) => Promise<(O | Error)[]>) {
    this.#run = run;
  }

  submit(key: string, item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      let q = this.#queues.get(key);
      if (!q) this.#queues.set(key, (q = []));
      q.push({ item, resolve, reject });
      if (!this.#busy.has(key)) void this.#drain(key);
    });
  }

  async #drain(key: string): Promise<void> {
    this.#busy.add(key);
    try {
      for (;;) {
        const batch = this.#queues.get(key);
        if (!batch?.length) break;
        this.#queues.delete(key);
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
