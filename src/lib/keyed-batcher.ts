/**
 * Runs work in batches per key, one batch in flight per key: items submitted for a key
 * while its batch runs wait and go together in the next batch. This turns N concurrent
 * read-modify-write operations on one record (e.g. registering N revisions of one task
 * definition family) into a few compare-and-set transactions instead of N conflicting ones.
 *
 * A batch may be capped by weight (`maxWeight`, each item weighing `weigh(item)`): it then
 * takes queued items in order while they fit, always at least one, and the rest wait for
 * the next batch.
 *
 * Pipelining (`maxInFlight` > 1): a batch may call `release()` once the next batch can
 * start (the placer: once its transaction is committed, before it is durable); the next
 * one then runs while this one finishes, up to `maxInFlight` batches of a key at once.
 * Each batch's items are answered when its own run ends.
 */
export interface BatchLimit<I> {
  readonly maxWeight: number;
  readonly weigh: (item: I) => number;
  /** Batches of one key running at once at most, counting released ones (default 1: no pipelining). */
  readonly maxInFlight?: number;
}

/** What a run is told besides its items. */
export interface BatchControl {
  /** The next batch of this key may start now (idempotent; implied when the run ends). */
  release(): void;
}

interface Queued<I, O> { readonly item: I; readonly resolve: (o: O) => void; readonly reject: (e: unknown) => void }

export class KeyedBatcher<I, O> {
  readonly #run: (key: string, items: readonly I[], control: BatchControl) => Promise<(O | Error)[]>;
  readonly #limit: BatchLimit<I> | undefined;
  readonly #queues = new Map<string, Queued<I, O>[]>();
  readonly #busy = new Set<string>();
  /** Per key with runs going: how many, how many not released, and the drain waiting on them (one per key). */
  readonly #flights = new Map<string, { running: number; unreleased: number; wake: (() => void) | undefined }>();

  /** `run` gets a batch and answers one result (or Error) per item, in order. */
  constructor(run: (key: string, items: readonly I[], control: BatchControl) => Promise<(O | Error)[]>, limit?: BatchLimit<I>) {
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
    const maxInFlight = Math.max(1, this.#limit?.maxInFlight ?? 1);
    // The key's runs not yet ended, kept past this drain: a drain started by a later submit
    // counts the runs this one left going.
    let flight = this.#flights.get(key);
    if (!flight) this.#flights.set(key, (flight = { running: 0, unreleased: 0, wake: undefined }));
    const f = flight;
    const woken = () => new Promise<void>((r) => { f.wake = r; });
    try {
      for (;;) {
        // Wait until the last batch released (or ended) and there is room in the pipeline.
        while (f.unreleased > 0 || f.running >= maxInFlight) await woken();
        const batch = this.#take(key);
        if (!batch) break;
        let released = false;
        f.unreleased++;
        f.running++;
        const release = () => {
          if (released) return;
          released = true;
          f.unreleased--;
          f.wake?.();
        };
        void (async () => {
          try {
            const results = await this.#run(key, batch.map((b) => b.item), { release });
            batch.forEach((b, i) => {
              const r = results[i];
              if (r instanceof Error) b.reject(r); else b.resolve(r as O);
            });
          } catch (err) {
            for (const b of batch) b.reject(err);
          } finally {
            f.running--;
            if (f.running === 0 && this.#flights.get(key) === f && !this.#busy.has(key)) this.#flights.delete(key);
            release();
            f.wake?.();
          }
        })();
      }
      // Nothing queued: the runs still going end on their own.
    } finally {
      this.#busy.delete(key);
      this.#queues.delete(key);
      if (f.running === 0) this.#flights.delete(key);
    }
  }
}
