/**
 * The store's write path on the main thread: transactions queued, handed to the writer
 * (writer.ts) a batch at a time, each committed batch fsynced and then acknowledged, in
 * commit order (sqlite-store.ts says why each step is where it is):
 *
 *   txn ─▶ pending ─(next turn)─▶ writer.apply (a worker thread) ─▶ committed: onApplied
 *                                     ≤ MAX_UNSYNCED_BATCHES in flight     │
 *          acknowledged, in order ◀── fsync(WAL) on libuv's pool ◀──────────┘
 *            (callers, then `durable`: the store's cache and watchers)
 *          WAL ≥ its bound? no new batch; once none is in flight, a checkpoint, then the next
 */
import { fsync } from 'node:fs';
import type { Txn, TxnOptions, TxnResult, WatchEvent } from '../store.ts';
import type { Checkpointer } from './checkpoint.ts';
import type { Committed, Writer } from './writer.ts';

/**
 * Batches handed to the writer and not yet durable, at most: one fsyncing (on libuv's
 * pool) while the next is applied and committed (on the writer thread), so neither the
 * disk nor the writer waits for the other. More would only queue fsyncs behind each other
 * (one disk) and hold more acknowledgements back.
 */
export const MAX_UNSYNCED_BATCHES = 2;
/**
 * Characters of keys and values in those batches, at most (~bytes: stored JSON is ASCII
 * but for user text): 64 Mi, four of the placer's largest batches (MAX_BATCH_TASKS of
 * 2-3 KB). A single batch larger than this still goes, alone.
 */
export const MAX_UNSYNCED_CHARS = 64 * 1024 * 1024;

interface Pending {
  readonly txn: Txn;
  readonly options: TxnOptions | undefined;
  readonly resolve: (r: TxnResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A batch handed to the writer: being applied, then committed and waiting for an fsync that started after its commit. */
interface InFlight {
  readonly batch: readonly Pending[];
  /** Characters of its keys and values (MAX_UNSYNCED_CHARS). */
  readonly chars: number;
  /** Set once committed: acknowledges it (the callers, the cache, the watchers). */
  acknowledge?: () => void;
  /** Once committed, false for a batch that changed nothing: durable once the batches before it are. */
  wrote: boolean;
}

/** The files a data dir's batches are made durable in; undefined in memory (nothing to fsync). */
export interface DurableFiles {
  /** The WAL file, fsynced after each commit. */
  readonly wal: number;
  readonly checkpointer: Checkpointer;
}

export class WritePipeline {
  readonly #writer: Writer;
  readonly #files: DurableFiles | undefined;
  /** A batch is durable: its changes, and its last revision when it wrote one. */
  readonly #durable: (events: readonly WatchEvent[], revision: number | undefined) => void;
  /** The revision of the latest committed batch (later transactions' conditions see it). */
  #revision: number;
  #compacted: number;
  #pending: Pending[] = [];
  #flushScheduled = false;
  /** Batches handed to the writer and not yet acknowledged, oldest first (at most MAX_UNSYNCED_BATCHES). */
  #inFlight: InFlight[] = [];
  #inFlightChars = 0;
  /** A checkpoint under way: no batch is committed until it is done. */
  #checkpointing = false;
  /** Called whenever a batch is acknowledged or fails, or a checkpoint ends (drain waits on them). */
  #settled: (() => void)[] = [];
  /** An fsync failed, or the writer died: what was committed may not be on disk, so nothing more is accepted. */
  #broken: Error | undefined;

  constructor(writer: Writer, files: DurableFiles | undefined, state: { revision: number; compacted: number }, durable: (events: readonly WatchEvent[], revision: number | undefined) => void) {
    this.#writer = writer;
    this.#files = files;
    this.#revision = state.revision;
    this.#compacted = state.compacted;
    this.#durable = durable;
  }

  get compacted(): number {
    return this.#compacted;
  }

  get broken(): Error | undefined {
    return this.#broken;
  }

  txn(txn: Txn, options?: TxnOptions): Promise<TxnResult> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending.push({ txn, options, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** Resolves once every queued write is answered and no checkpoint runs. */
  async drain(): Promise<void> {
    while (this.#inFlight.length || this.#checkpointing || (this.#pending.length && !this.#broken)) {
      if (this.#inFlight.length || this.#checkpointing) await new Promise<void>((resolve) => this.#settled.push(resolve));
      else this.#flush();
    }
  }

  /** Refuses every write not acknowledged, and every later one. */
  break(err: Error): void {
    if (this.#broken) return;
    this.#broken = err;
    for (const u of this.#inFlight.splice(0)) for (const p of u.batch) p.reject(err);
    this.#inFlightChars = 0;
    for (const p of this.#pending.splice(0)) p.reject(err);
    this.#notifySettled();
  }

  /** Nothing can be handed to the writer now: the batches in flight are at their bounds, or a checkpoint runs. */
  #blocked(): boolean {
    return this.#inFlight.length >= MAX_UNSYNCED_BATCHES || (this.#inFlight.length > 0 && this.#inFlightChars >= MAX_UNSYNCED_CHARS) || this.#checkpointing;
  }

  /** Flush in the next turn, unless blocked: an acknowledgement or a checkpoint's end flushes what queued meanwhile. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#blocked()) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #notifySettled(): void {
    for (const f of this.#settled.splice(0)) f();
  }

  /**
   * Hands every pending transaction to the writer as one batch (one SQLite transaction,
   * one fsync). Runs while earlier batches are applied or fsynced (up to
   * MAX_UNSYNCED_BATCHES), not during a checkpoint; a due checkpoint first lets the batches
   * in flight finish, then runs.
   */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#blocked() || this.#broken) return;
    const checkpointer = this.#files?.checkpointer;
    if (checkpointer?.due()) {
      // Every earlier batch durable first (checkpoint.ts); the last acknowledgement comes back here.
      if (this.#inFlight.length === 0) this.#checkpoint(checkpointer);
      return;
    }
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    let chars = 0;
    const txns = batch.map((p) => {
      for (const op of p.txn.ops) chars += op.type === 'put' ? op.key.length + op.value.length : op.type === 'delete' ? op.key.length : op.prefix.length;
      return p.txn;
    });
    const entry: InFlight = { batch, chars, wrote: false };
    this.#inFlight.push(entry);
    this.#inFlightChars += chars;
    this.#writer.apply(txns).then((c) => this.#committed(entry, c), (err: unknown) => this.#failed(entry, err));
  }

  /** The whole batch failed (nothing of it applied): refused now, it holds no later batch back. */
  #failed(entry: InFlight, err: unknown): void {
    const at = this.#inFlight.indexOf(entry);
    // Already refused: the pipeline broke meanwhile.
    if (at < 0) return;
    this.#inFlight.splice(at, 1);
    this.#inFlightChars -= entry.chars;
    for (const p of entry.batch) p.reject(err);
    this.#notifySettled();
    if (this.#pending.length) this.#scheduleFlush();
  }

  /** A batch committed: later transactions see it; it is acknowledged once an fsync after it returns. */
  #committed(entry: InFlight, c: Committed): void {
    if (!this.#inFlight.includes(entry)) return;
    const wrote = c.revision !== this.#revision;
    this.#revision = c.revision;
    this.#compacted = c.compacted;
    const { batch } = entry;
    const { results, events } = c;
    // Callers that chain on an outcome hear it now.
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (!(r instanceof Error)) p.options?.onApplied?.(r);
    });
    entry.wrote = wrote;
    entry.acknowledge = () => {
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r instanceof Error) p.reject(r); else p.resolve(r);
      });
      this.#durable(events, wrote ? c.revision : undefined);
    };
    if (this.#files === undefined || (!wrote && this.#inFlight[0] === entry)) {
      // Nothing to wait for: in memory, or a batch that wrote nothing behind none unsynced.
      this.#acknowledgeThrough(this.#inFlight.indexOf(entry) + 1);
      return;
    }
    // A batch that wrote nothing needs no fsync of its own, but waits its turn behind the
    // unsynced ones: its conditions were checked against them, and answers go in order.
    if (wrote) fsync(this.#files.wal, (err) => this.#synced(entry, err));
  }

  /**
   * An fsync returned. It started after `entry`'s commit, so `entry` and every batch before
   * it are durable: acknowledged now, in order. A failure breaks the pipeline: nothing
   * unacknowledged is acknowledged, ever.
   */
  #synced(entry: InFlight, err: Error | null): void {
    if (this.#broken) return;
    if (err) {
      this.break(new Error(`the state database could not be synced to disk (${err.message}); restart Berth once the disk is healthy`));
      return;
    }
    const at = this.#inFlight.indexOf(entry);
    // Already acknowledged by a later batch's fsync, which covered it.
    if (at < 0) return;
    this.#acknowledgeThrough(at + 1);
  }

  /** Acknowledges the first `n` batches in flight, and the committed ones after them that wrote nothing. */
  #acknowledgeThrough(n: number): void {
    while (n < this.#inFlight.length && this.#inFlight[n]!.acknowledge && !this.#inFlight[n]!.wrote) n++;
    for (const u of this.#inFlight.splice(0, n)) {
      this.#inFlightChars -= u.chars;
      u.acknowledge!();
    }
    this.#notifySettled();
    if (this.#pending.length || (this.#inFlight.length === 0 && this.#files?.checkpointer.due())) this.#scheduleFlush();
  }

  /** A checkpoint with no batch in flight (checkpoint.ts); the next batch waits for it. */
  #checkpoint(checkpointer: Checkpointer): void {
    this.#checkpointing = true;
    checkpointer.run((cpErr) => {
      this.#checkpointing = false;
      if (cpErr) {
        // Everything acknowledged is durable in the WAL; nothing more is accepted.
        this.break(new Error(`the state database could not be checkpointed to disk (${cpErr.message}); restart Berth once the disk is healthy`));
        return;
      }
      if (this.#pending.length) this.#scheduleFlush();
      this.#notifySettled();
    });
  }
}
