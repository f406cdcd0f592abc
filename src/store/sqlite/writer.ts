/**
 * Who runs the store's SQLite writes: for a data dir, a worker thread with its own
 * connection (writer-worker.ts), so that a batch's statements (~26% of a committed
 * placement's main-thread CPU before) run beside the event loop, not on it; for ':memory:'
 * (one connection, which no second thread can open), the main thread itself.
 *
 *   sqlite-store.ts ── apply(txns) ──▶ Writer ── encodeBatch, postMessage(transfer) ──▶ worker
 *        ▲                                                              applyBatch, COMMIT
 *        └──── AppliedBatch (events rebuilt with the ops' values) ◀── encodeApplied ──┘
 *
 * A writer answers in the order it was asked. A worker that dies is fatal: every request
 * it had fails, and `onDeath` hears why (the store breaks and takes the process down).
 */
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Txn } from '../store.ts';
import { applyBatch, type AppliedBatch, type WriterState } from './apply-batch.ts';
import { decodeApplied, encodeBatch, type EncodedApplied, type EncodedBatch } from './batch-codec.ts';
import { checkpointCopy, checkpointTruncate } from './checkpoint.ts';
import type { statements } from './schema.ts';

/** A batch committed: its outcome, and the writer's counters after it. */
export interface Committed extends AppliedBatch {
  readonly revision: number;
  readonly compacted: number;
}

export interface Writer {
  /**
   * Applies and commits `txns` (apply-batch.ts), not yet durable. Rejects when the batch
   * as a whole failed: then nothing of it was applied.
   */
  apply(txns: readonly Txn[]): Promise<Committed>;
  /** Checkpoint steps (checkpoint.ts): the WAL's frames copied into the db file (true: all of them); the WAL cut. */
  copy(): Promise<boolean>;
  truncate(): Promise<void>;
  /** After every request has been answered. */
  close(): Promise<void>;
}

/** What the worker is started with (workerData). */
export interface WriterSetup {
  readonly path: string;
  readonly history: number;
  readonly pageCacheKib: number;
  readonly mmapBytes: number;
  readonly busyTimeoutMs: number;
}

export type WriterRequest =
  | { readonly type: 'batch'; readonly batch: EncodedBatch }
  | { readonly type: 'copy' | 'truncate' | 'close' };

export type WriterReply =
  | { readonly type: 'applied'; readonly applied: EncodedApplied; readonly revision: number; readonly compacted: number }
  | { readonly type: 'done'; readonly copied: boolean }
  | { readonly type: 'failed'; readonly message: string };

/** The main thread writing itself (':memory:'). */
export function localWriter(db: DatabaseSync, s: ReturnType<typeof statements>, state: WriterState): Writer {
  return {
    apply: async (txns) => ({ ...applyBatch(db, s, txns, state), revision: state.revision, compacted: state.compacted }),
    copy: async () => checkpointCopy(db),
    truncate: async () => checkpointTruncate(db),
    close: async () => {},
  };
}

interface Asked {
  readonly resolve: (r: WriterReply) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The worker's module: the JavaScript copy runs writer-worker.js beside this file
 * (src/cli/js-build.ts), the sources writer-worker.ts.
 */
const WORKER_URL = new URL(import.meta.url.endsWith('.js') ? './writer-worker.js' : './writer-worker.ts', import.meta.url);

/** Starts the writer thread; resolves once it has opened the database. */
export async function workerWriter(setup: WriterSetup, onDeath: (err: Error) => void): Promise<Writer> {
  const worker = new Worker(WORKER_URL, { workerData: setup });
  const asked: Asked[] = [];
  let dead: Error | undefined;
  let closing = false;
  const die = (err: Error) => {
    if (dead) return;
    dead = err;
    for (const a of asked.splice(0)) a.reject(err);
    onDeath(err);
  };
  worker.on('message', (r: WriterReply) => asked.shift()?.resolve(r));
  worker.on('error', (err) => die(new Error(`the store's writer thread failed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => { if (!closing) die(new Error(`the store's writer thread exited (code ${code}) with writes unanswered`)); });
  const ask = (m: WriterRequest, transfer: ArrayBuffer[] = []): Promise<WriterReply> => {
    if (dead) return Promise.reject(dead);
    // Kept alive while it owes an answer, and no longer: an idle store never holds the process open.
    if (asked.length === 0) worker.ref();
    return new Promise<WriterReply>((resolve, reject) => {
      asked.push({
        resolve: (r) => { if (asked.length === 0) worker.unref(); resolve(r); },
        reject,
      });
      worker.postMessage(m, transfer);
    });
  };
  const expect = async <T extends WriterReply['type']>(p: Promise<WriterReply>, type: T): Promise<Extract<WriterReply, { type: T }>> => {
    const r = await p;
    if (r.type === 'failed') throw new Error(r.message);
    if (r.type !== type) throw new Error(`the store's writer thread answered ${r.type} where ${type} was due`);
    return r as Extract<WriterReply, { type: T }>;
  };
  // The worker says 'done' once its connection is open.
  const opened = new Promise<WriterReply>((resolve, reject) => asked.push({ resolve, reject }));
  await expect(opened, 'done');
  worker.unref();
  return {
    apply: async (txns) => {
      const batch = encodeBatch(txns);
      const r = await expect(ask({ type: 'batch', batch }, [batch.nums.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer, batch.bytes.buffer as ArrayBuffer]), 'applied');
      return { ...decodeApplied(r.applied, txns), revision: r.revision, compacted: r.compacted };
    },
    copy: async () => (await expect(ask({ type: 'copy' }), 'done')).copied,
    truncate: async () => { await expect(ask({ type: 'truncate' }), 'done'); },
    close: async () => {
      if (dead) { await worker.terminate(); return; }
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      const done = ask({ type: 'close' });
      closing = true;
      await expect(done, 'done');
      // Held open until the thread is gone (an unreferenced one would let the process end first).
      worker.ref();
      await exited;
    },
  };
}
