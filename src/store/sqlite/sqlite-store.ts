import { DatabaseSync } from 'node:sqlite';
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompactedError,
  type KeyValue, type ListOptions, type ListResult, type Store, type Txn, type TxnOptions, type TxnResult, type Watch, type WatchEvent,
} from '../store.ts';
import { Lru } from '../../lib/lru.ts';
import { syncDir } from '../../lib/sync-dir.ts';
import { prefixEnd } from '../keys.ts';
import { Checkpointer, CHECKPOINT_PRAGMAS } from './checkpoint.ts';
import { KV_MIGRATION, KV_NEEDS_MIGRATION, LOG_MIGRATION, LOG_NEEDS_MIGRATION, SCHEMA, statements, type KvRow, type LogRow } from './schema.ts';
import { localWriter, workerWriter, type Writer } from './writer.ts';
import { WritePipeline, type DurableFiles } from './write-pipeline.ts';

/** Watch history kept for resuming watchers: enough for any agent or controller that was away minutes. */
const HISTORY_REVISIONS = 100_000;
/**
 * Values kept in memory for `get`, most recently read first, at most this many bytes of
 * keys and values. Enough for the hot set of a large control plane (10,000 task
 * definitions of 3 KB, or every task, service and instance record of a busy cluster);
 * beyond it a `get` is one indexed SQLite read (~3-10 µs). Bounded by bytes, not entries:
 * a count of 50,000, filled by writes too, held 150 MB of 3 KB task definitions.
 */
const CACHED_VALUE_BYTES = 32 * 1024 * 1024;
/** Most entries in that cache: small records (a 100-byte family) are bounded by count. */
const CACHED_VALUES = 100_000;
/** What an entry costs besides its characters: the KeyValue object, two string headers, the map slot. */
const CACHED_ENTRY_OVERHEAD_BYTES = 120;

/**
 * SQLite's page cache, KiB, of each connection (the writer's and the readers'): 16 MiB
 * instead of its 2 MiB, so the kv key index of a large cluster (100,000 task keys: ~10 MB)
 * stays in memory and a put's random index leaf is not read again from the WAL (pread;
 * mmap serves only the db file). Measured with the store's write path, batches of 320 puts
 * of 1.3 KB into 100,000 keys: 42.9 -> 38.5 µs of CPU per put (64 MiB: no better).
 * Bounded: SQLite allocates pages as used, up to this.
 */
const PAGE_CACHE_KIB = 16 * 1024;
/** mmap of the db file for reads: hot pages skip a copy (measured: a 3 KB get went from 3.3 to 2.4 µs). */
const MMAP_BYTES = 256 * 1024 * 1024;
/**
 * How long one connection waits for the other's lock (the writer thread's and the main
 * thread's): only a checkpoint's WAL cut and a reader's snapshot ever meet, for µs.
 */
const BUSY_TIMEOUT_MS = 5_000;

export { MAX_UNSYNCED_BATCHES, MAX_UNSYNCED_CHARS } from './write-pipeline.ts';

export interface SqliteStoreOptions {
  /** History kept for watchers, in revisions. */
  readonly historyRevisions?: number;
  /** Bytes of keys and values kept in memory for `get` (default 32 MiB); tests make it small. */
  readonly cacheBytes?: number;
  /** WAL size that starts a checkpoint (default CHECKPOINT_WAL_BYTES); tests make it small. */
  readonly checkpointBytes?: number;
  /**
   * Apply batches on a worker thread (writer.ts) instead of the main thread. Off by default:
   * measured 2026-12-08 (bench/README.md, store-writes and scheduler --direct-only), it takes
   * the statements off the main thread (26.7 -> 11.4 µs of main-thread CPU per new-key put)
   * but halved the placer's committed rate (8,893 -> 4,330/s binpack): the placer chains
   * each batch on the last one's commit, and the thread round trip lengthens that chain.
   */
  readonly writerThread?: boolean;
}

/** The SQLite store, with a look at its memory. */
export interface SqliteStore extends Store {
  /** What the `get` cache holds now: never more than its bounds. */
  cacheUsage(): { entries: number; bytes: number };
}

/**
 * The embedded store: SQLite (node:sqlite) in WAL mode. A write is on disk before its
 * promise resolves, and survives kill -9 and power loss.
 *
 * Writes are group-committed: every `txn` issued while the previous batch is being made
 * durable is applied in one SQLite transaction (each in its own savepoint, so one failing
 * transaction does not undo another) and made durable by one fsync. That is what lets
 * a single process acknowledge thousands of durable writes per second.
 *
 * The writes run off the event loop: a writer thread with its own connection applies and
 * commits each batch (writer.ts; the main thread for ':memory:'), with `synchronous=OFF`
 * (the commit's frames are written to the WAL, not synced); the main thread then fsyncs
 * the WAL file on libuv's thread pool and only then acknowledges the batch, updates its
 * cache and tells watchers. A commit's frames are in the WAL before the fsync starts, so
 * when it returns they are on disk, and so are every earlier batch's. While a batch's
 * fsync runs the next batch is applied and committed (at most MAX_UNSYNCED_BATCHES handed
 * to the writer and not durable), and batches are acknowledged in commit order: a later
 * batch's transactions may depend on an earlier one's (their conditions saw it), and none
 * is acknowledged before all before it are durable. `txn`'s `onApplied` tells the caller
 * its outcome as soon as it is committed, before it is durable (the placer chains its next
 * batch on it). Checkpoints (WAL pages copied into the database file) are the store's too,
 * between batches, each with its two fsyncs on the thread pool (checkpoint.ts).
 * With `synchronous=FULL` SQLite would fsync inside COMMIT, and with NORMAL inside every
 * checkpoint: 0.3 ms on an idle disk, tens of ms on a busy one, during which nothing else
 * would be written.
 *
 * Reads stay on the main thread, on a connection of its own (query only): `get` from the
 * cache, `list`, `modRevision` and watch history from SQLite. They may see a batch up to
 * one fsync before it is acknowledged; nothing is acknowledged before it is durable.
 *
 * One Berth process owns a data dir: it holds an exclusive lock on `<path>-lock` for as
 * long as the store is open (the two connections cannot lock the database itself
 * exclusively, as one did before the writer thread).
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const history = options.historyRevisions ?? HISTORY_REVISIONS;
  const cacheBytes = options.cacheBytes ?? CACHED_VALUE_BYTES;
  if (path === ':memory:') {
    const db = new DatabaseSync(path);
    db.exec(SCHEMA);
    const s = statements(db);
    const state = metaState(s, history);
    return new SqliteStoreImpl(db, s, localWriter(db, s, state), state, cacheBytes, undefined);
  }
  mkdirSync(dirname(path), { recursive: true });
  let lock: DatabaseSync | undefined;
  let db: DatabaseSync | undefined;
  let wal: number | undefined;
  let file: number | undefined;
  try {
    lock = new DatabaseSync(`${path}-lock`);
    lock.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;');
    db = new DatabaseSync(path);
    // Checkpoints and their fsyncs are the store's (checkpoint.ts), off the event loop.
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; ${CHECKPOINT_PRAGMAS} PRAGMA mmap_size = ${MMAP_BYTES}; PRAGMA cache_size = -${PAGE_CACHE_KIB};`);
    if (db.prepare(LOG_NEEDS_MIGRATION).get()) db.exec(LOG_MIGRATION);
    if (db.prepare(KV_NEEDS_MIGRATION).get()) db.exec(KV_MIGRATION);
    db.exec(SCHEMA);
    // With a writer thread this connection only reads from now on.
    if (options.writerThread) db.exec('PRAGMA query_only = ON;');
    // The schema write made the WAL file; its directory entry must be durable too.
    wal = openSync(`${path}-wal`, 'r');
    file = openSync(path, 'r');
    // A migration or the schema, written with synchronous OFF: on disk before anything else.
    fsyncSync(wal);
    await syncDir(dirname(path));
  } catch (err) {
    if (wal !== undefined) closeSync(wal);
    if (file !== undefined) closeSync(file);
    db?.close();
    lock?.close();
    if (/locked|busy/i.test(String(err))) throw new StoreLockedError(path);
    throw err;
  }
  const s = statements(db);
  const state = metaState(s, history);
  // The store, once made, hears of the writer thread's death (it may die before).
  const opened: { store?: SqliteStoreImpl } = {};
  let writer: Writer;
  try {
    writer = !options.writerThread ? localWriter(db, s, state) : await workerWriter({ path, history, pageCacheKib: PAGE_CACHE_KIB, mmapBytes: MMAP_BYTES, busyTimeoutMs: BUSY_TIMEOUT_MS }, (err) => opened.store?.writerDied(err));
  } catch (err) {
    closeSync(wal);
    closeSync(file);
    db.close();
    lock.close();
    throw err;
  }
  const files = { wal, db: file, lock, checkpointer: new Checkpointer(writer, file, wal, options.checkpointBytes) };
  opened.store = new SqliteStoreImpl(db, s, writer, state, cacheBytes, files);
  return opened.store;
}

function metaState(s: ReturnType<typeof statements>, history: number) {
  return {
    revision: Number(s.getMeta.get('revision')?.value ?? 0),
    compacted: Number(s.getMeta.get('compacted')?.value ?? 0),
    history,
  };
}

/** Another process holds the database. */
export class StoreLockedError extends Error {
  constructor(path: string) {
    super(`the state database ${path} is in use by another process (is another 'berth up' running on this data dir?)`);
    this.name = 'StoreLockedError';
  }
}

interface Watcher {
  readonly prefix: string;
  readonly end: string;
  /** Live events at or below this revision were in the watcher's history, or before what it asked for. */
  readonly after: number;
  readonly listener: (e: WatchEvent) => void;
  closed: boolean;
  /** Live events that came before the history went out: they follow it. Undefined once it has. */
  early: WatchEvent[] | undefined;
}

interface Files extends DurableFiles {
  /** The database file (checkpoints fsync it). */
  readonly db: number;
  /** Held open, its exclusive lock with it: this process owns the data dir. */
  readonly lock: DatabaseSync;
}

class SqliteStoreImpl implements SqliteStore {
  /** The main thread's connection: every read (and, for ':memory:', the writes too). */
  readonly #db: DatabaseSync;
  readonly #s: ReturnType<typeof statements>;
  readonly #writer: Writer;
  readonly #writes: WritePipeline;
  /** The revision of the latest acknowledged (durable) batch. */
  #acked: number;
  /** Undefined for an in-memory database (nothing to fsync or checkpoint). */
  readonly #files: Files | undefined;
  #watchers = new Set<Watcher>();
  #closed = false;
  /**
   * Filled by `get` misses only; a commit refreshes (or drops) the keys already here but
   * adds none, so a burst of writes never pushes out what readers use, nor grows memory.
   * This process is the only writer (the data dir is locked to it), so it is never stale.
   */
  readonly #cache: Lru<string, KeyValue>;

  constructor(db: DatabaseSync, s: ReturnType<typeof statements>, writer: Writer, state: { revision: number; compacted: number }, cacheBytes: number, files: Files | undefined) {
    this.#db = db;
    this.#s = s;
    this.#writer = writer;
    this.#cache = new Lru<string, KeyValue>({
      maxEntries: CACHED_VALUES,
      maxWeight: cacheBytes,
      // One byte per character: V8 keeps ASCII and Latin-1 strings that way, and the stored
      // JSON is ASCII but for user text.
      weigh: (kv) => kv.key.length + kv.value.length + CACHED_ENTRY_OVERHEAD_BYTES,
    });
    this.#files = files;
    this.#acked = state.revision;
    this.#writes = new WritePipeline(writer, files, state, (events, revision) => this.#durable(events, revision));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#open();
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const row = this.#s.get.get(key) as KvRow | undefined;
    if (!row) return undefined;
    const kv = toKv(row);
    this.#cache.set(key, kv);
    return kv;
  }

  async modRevision(key: string): Promise<number | undefined> {
    this.#open();
    // The index and the row header only: the value is not copied out of SQLite.
    return this.#cache.peek(key)?.modRevision ?? (this.#s.modRev.get(key) as { mod_rev: number } | undefined)?.mod_rev;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#open();
    // The page and its revision from one snapshot, which beside a writer thread may be
    // ahead of the commits this thread has heard of.
    this.#s.beginRead.run();
    try {
      return this.#page(prefix, options, Number(this.#s.getMeta.get('revision')?.value ?? 0));
    } finally {
      this.#db.exec('COMMIT');
    }
  }

  #page(prefix: string, options: ListOptions, revision: number): ListResult {
    // One row past the page says whether there is more.
    const limit = options.limit === undefined || options.limit < 0 ? -1 : options.limit + 1;
    const end = prefixEnd(prefix);
    const after = options.after;
    // Each page states its own range as one lower and one upper bound, the cursor folded
    // in: given `key >= prefix AND key > after`, SQLite seeks to the prefix and filters
    // every key up to the cursor (measured: a page 150,000 keys into a range took 13.5 ms,
    // against 0.04 ms seeking to the cursor), which made a full walk quadratic.
    const s = this.#s;
    const k = options.keysOnly === true;
    let rows: KvRow[];
    if (options.reverse) {
      // Keys before a cursor at or below the prefix: none under it.
      if (after !== undefined && after <= prefix) return { items: [], more: false, revision };
      const upper = after !== undefined && (end === '' || after < end) ? after : end;
      rows = (upper === '' ? (k ? s.keysFromDesc : s.fromDesc).all(prefix, limit) : (k ? s.keysBetweenDesc : s.betweenDesc).all(prefix, upper, limit)) as unknown as KvRow[];
    } else if (after !== undefined && after >= prefix) {
      rows = (end === '' ? (k ? s.keysAfterAsc : s.afterAsc).all(after, limit) : (k ? s.keysAfterBelowAsc : s.afterBelowAsc).all(after, end, limit)) as unknown as KvRow[];
    } else {
      rows = (end === '' ? (k ? s.keysFromAsc : s.fromAsc).all(prefix, limit) : (k ? s.keysBetweenAsc : s.betweenAsc).all(prefix, end, limit)) as unknown as KvRow[];
    }
    const more = limit >= 0 && rows.length === limit;
    if (more) rows.pop();
    return { items: rows.map(toKv), more, revision };
  }

  txn(txn: Txn, options?: TxnOptions): Promise<TxnResult> {
    this.#open();
    return this.#writes.txn(txn, options);
  }

  watch(prefix: string, afterRevision: number, listener: (event: WatchEvent) => void): Watch {
    this.#open();
    const compacted = this.#writes.compacted;
    if (afterRevision < compacted) throw new CompactedError(afterRevision, compacted);
    const end = prefixEnd(prefix);
    // History up to what is acknowledged; what comes after it arrives live, once durable.
    const history = (this.#s.history.all(afterRevision, prefix, end, this.#acked) as unknown as LogRow[]).map(toEvent);
    const watcher: Watcher = { prefix, end, after: Math.max(afterRevision, this.#acked), listener, closed: false, early: [] };
    // Live from now on, held back until the history has gone out (in a microtask, so that
    // the caller has the Watch first): an acknowledgement may come in between.
    this.#watchers.add(watcher);
    queueMicrotask(() => {
      for (const e of history) if (!watcher.closed) listener(e);
      const early = watcher.early!;
      watcher.early = undefined;
      for (const e of early) if (!watcher.closed) listener(e);
    });
    return { close: () => { watcher.closed = true; this.#watchers.delete(watcher); } };
  }

  cacheUsage(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.weight };
  }

  async revision(): Promise<number> {
    return this.#acked;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes.drain();
    this.#closed = true;
    this.#watchers.clear();
    // SQLite's close copies the WAL into the db file without an fsync (synchronous OFF)
    // and deletes it: copied and synced here first, it finds nothing to copy.
    try {
      if (!this.#writes.broken) await this.#files?.checkpointer.runAtClose();
    } finally {
      await this.#writer.close();
      this.#db.close();
      if (this.#files) {
        closeSync(this.#files.wal);
        closeSync(this.#files.db);
        this.#files.lock.close();
      }
    }
  }

  /**
   * The writer thread is gone: what it committed and nobody acknowledged may be lost with
   * it, so the store refuses everything from now on, and the process goes down loudly
   * (an uncaught error) rather than run on with a store that cannot write.
   */
  writerDied(err: Error): void {
    if (this.#closed) return;
    const fatal = new Error(`the state database's writer thread died (${err.message}); restart Berth`, { cause: err });
    this.#writes.break(fatal);
    setImmediate(() => { throw fatal; });
  }

  #open(): void {
    if (this.#closed) throw new Error('store is closed');
  }

  /** A batch is durable: its writes become what `get` sees, and watchers hear of them. */
  #durable(events: readonly WatchEvent[], revision: number | undefined): void {
    // A newer value read meanwhile (from a later commit) stays.
    for (const e of events) {
      const cached = this.#cache.peek(e.kv.key);
      if (cached === undefined || cached.modRevision >= e.revision) continue;
      if (e.type === 'put') this.#cache.set(e.kv.key, e.kv); else this.#cache.delete(e.kv.key);
    }
    if (revision !== undefined) this.#acked = revision;
    if (events.length && this.#watchers.size) this.#emit(events);
  }

  #emit(events: readonly WatchEvent[]): void {
    const watchers = [...this.#watchers];
    for (const e of events) {
      for (const w of watchers) {
        if (w.closed || e.revision <= w.after || e.kv.key < w.prefix || (w.end !== '' && e.kv.key >= w.end)) continue;
        if (w.early) w.early.push(e); else w.listener(e);
      }
    }
  }
}

function toKv(r: KvRow): KeyValue {
  return { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.mod_rev, version: r.version };
}

function toEvent(r: LogRow): WatchEvent {
  return r.type === 0
    ? { type: 'put', revision: r.rev, kv: { key: r.key, value: r.value ?? '', createRevision: r.create_rev, modRevision: r.rev, version: r.version } }
    : { type: 'delete', revision: r.rev, kv: { key: r.key, value: '', createRevision: 0, modRevision: r.rev, version: 0 } };
}
