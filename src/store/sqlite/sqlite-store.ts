import { DatabaseSync } from 'node:sqlite';
import { closeSync, fsync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompactedError,
  type KeyValue, type ListOptions, type ListResult, type Store, type Txn, type TxnResult, type Watch, type WatchEvent,
} from '../store.ts';
import { Lru } from '../../lib/lru.ts';
import { syncDir } from '../../lib/sync-dir.ts';
import { prefixEnd } from '../keys.ts';
import { Checkpointer, CHECKPOINT_PRAGMAS } from './checkpoint.ts';
import { KV_MIGRATION, KV_NEEDS_MIGRATION, LOG_MIGRATION, LOG_NEEDS_MIGRATION, SCHEMA, statements, type KvHead, type KvRow, type LogRow } from './schema.ts';

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
 * SQLite's page cache, KiB: 16 MiB instead of its 2 MiB, so the kv key index of a large
 * cluster (100,000 task keys: ~10 MB) stays in memory and a put's random index leaf is not
 * read again from the WAL (pread; mmap serves only the db file). Measured with the store's
 * write path, batches of 320 puts of 1.3 KB into 100,000 keys: 42.9 -> 38.5 µs of CPU per
 * put (64 MiB: no better). Bounded: SQLite allocates pages as used, up to this.
 */
const PAGE_CACHE_KIB = 16 * 1024;

/** Compaction runs at most this often (in revisions) so it stays off the hot path. */
const COMPACT_EVERY = 1_000;

export interface SqliteStoreOptions {
  /** History kept for watchers, in revisions. */
  readonly historyRevisions?: number;
  /** Bytes of keys and values kept in memory for `get` (default 32 MiB); tests make it small. */
  readonly cacheBytes?: number;
  /** WAL size that starts a checkpoint (default CHECKPOINT_WAL_BYTES); tests make it small. */
  readonly checkpointBytes?: number;
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
 * The fsync runs off the event loop. SQLite commits with `synchronous=OFF` (the commit's
 * frames are written to the WAL, not synced), then the store fsyncs the WAL file on
 * libuv's thread pool and only then acknowledges the batch, updates its cache and tells
 * watchers. A commit's frames are in the WAL before the fsync starts, so when it returns
 * they are on disk. Checkpoints (WAL pages copied into the database file) are the store's
 * too, between batches, each with its two fsyncs on the thread pool (checkpoint.ts).
 * With `synchronous=FULL` SQLite would fsync inside COMMIT, and with NORMAL inside every
 * checkpoint, on the event loop: 0.3 ms on an idle disk, tens of ms on a busy one, during
 * which the whole control plane (and an agent in the same process) stands still.
 * Queries (`list`, and `get` of a key not cached) may see a batch up to one fsync before
 * it is acknowledged; nothing is acknowledged before it is durable.
 *
 * The database is opened in exclusive locking mode: one Berth process owns a data dir.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  let wal: number | undefined;
  let file: number | undefined;
  try {
    // mmap: reads of hot pages skip a copy (measured: a 3 KB get went from 3.3 to 2.4 µs).
    // Checkpoints and their fsyncs are the store's (checkpoint.ts), off the event loop.
    db.exec(`PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; ${CHECKPOINT_PRAGMAS} PRAGMA mmap_size = 268435456; PRAGMA cache_size = -${PAGE_CACHE_KIB};`);
    if (db.prepare(LOG_NEEDS_MIGRATION).get()) db.exec(LOG_MIGRATION);
    if (db.prepare(KV_NEEDS_MIGRATION).get()) db.exec(KV_MIGRATION);
    db.exec(SCHEMA);
    if (path !== ':memory:') {
      // The schema write made the WAL file; its directory entry must be durable too.
      wal = openSync(`${path}-wal`, 'r');
      file = openSync(path, 'r');
      // A migration or the schema, written with synchronous OFF: on disk before anything else.
      fsyncSync(wal);
      await syncDir(dirname(path));
    }
  } catch (err) {
    if (wal !== undefined) closeSync(wal);
    if (file !== undefined) closeSync(file);
    db.close();
    if (/locked|busy/i.test(String(err))) throw new StoreLockedError(path);
    throw err;
  }
  const files = wal !== undefined && file !== undefined ? { wal, db: file, checkpointer: new Checkpointer(db, file, wal, options.checkpointBytes) } : undefined;
  return new SqliteStoreImpl(db, options.historyRevisions ?? HISTORY_REVISIONS, options.cacheBytes ?? CACHED_VALUE_BYTES, files);
}


/** Another process holds the database. */
export class StoreLockedError extends Error {
  constructor(path: string) {
    super(`the state database ${path} is in use by another process (is another 'berth up' running on this data dir?)`);
    this.name = 'StoreLockedError';
  }
}

interface Pending {
  readonly txn: Txn;
  readonly resolve: (r: TxnResult) => void;
  readonly reject: (e: unknown) => void;
}

interface Watcher {
  readonly prefix: string;
  readonly end: string;
  readonly listener: (e: WatchEvent) => void;
  closed: boolean;
}

class SqliteStoreImpl implements SqliteStore {
  readonly #db: DatabaseSync;
  readonly #history: number;
  readonly #s: ReturnType<typeof statements>;
  #revision: number;
  #compacted: number;
  #pending: Pending[] = [];
  #flushScheduled = false;
  /** The WAL file, fsynced after each commit; undefined for an in-memory database. */
  readonly #wal: number | undefined;
  /** The database file and its checkpoints (checkpoint.ts); undefined in memory. */
  readonly #files: { readonly db: number; readonly checkpointer: Checkpointer } | undefined;
  /** The batch being made durable; the next one waits for it. */
  #syncing: Promise<void> | undefined;
  /** An fsync failed: what was committed may not be on disk, so nothing more is accepted. */
  #broken: Error | undefined;
  #watchers = new Set<Watcher>();
  #closed = false;
  /**
   * Filled by `get` misses only; a commit refreshes (or drops) the keys already here but
   * adds none, so a burst of writes never pushes out what readers use, nor grows memory.
   * This process is the only writer (the database is locked to it), so it is never stale.
   */
  readonly #cache: Lru<string, KeyValue>;

  constructor(db: DatabaseSync, history: number, cacheBytes: number, files: { wal: number; db: number; checkpointer: Checkpointer } | undefined) {
    this.#db = db;
    this.#cache = new Lru<string, KeyValue>({
      maxEntries: CACHED_VALUES,
      maxWeight: cacheBytes,
      // One byte per character: V8 keeps ASCII and Latin-1 strings that way, and the stored
      // JSON is ASCII but for user text.
      weigh: (kv) => kv.key.length + kv.value.length + CACHED_ENTRY_OVERHEAD_BYTES,
    });
    this.#wal = files?.wal;
    this.#files = files;
    this.#history = history;
    this.#s = statements(db);
    this.#revision = Number(this.#s.getMeta.get('revision')?.value ?? 0);
    this.#compacted = Number(this.#s.getMeta.get('compacted')?.value ?? 0);
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
      if (after !== undefined && after <= prefix) return { items: [], more: false, revision: this.#revision };
      const upper = after !== undefined && (end === '' || after < end) ? after : end;
      rows = (upper === '' ? (k ? s.keysFromDesc : s.fromDesc).all(prefix, limit) : (k ? s.keysBetweenDesc : s.betweenDesc).all(prefix, upper, limit)) as unknown as KvRow[];
    } else if (after !== undefined && after >= prefix) {
      rows = (end === '' ? (k ? s.keysAfterAsc : s.afterAsc).all(after, limit) : (k ? s.keysAfterBelowAsc : s.afterBelowAsc).all(after, end, limit)) as unknown as KvRow[];
    } else {
      rows = (end === '' ? (k ? s.keysFromAsc : s.fromAsc).all(prefix, limit) : (k ? s.keysBetweenAsc : s.betweenAsc).all(prefix, end, limit)) as unknown as KvRow[];
    }
    const more = limit >= 0 && rows.length === limit;
    if (more) rows.pop();
    return { items: rows.map(toKv), more, revision: this.#revision };
  }

  txn(txn: Txn): Promise<TxnResult> {
    this.#open();
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending.push({ txn, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** Flush in the next turn, unless a batch is being synced: its end flushes what queued meanwhile. */
  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#syncing) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  watch(prefix: string, afterRevision: number, listener: (event: WatchEvent) => void): Watch {
    this.#open();
    if (afterRevision < this.#compacted) throw new CompactedError(afterRevision, this.#compacted);
    const end = prefixEnd(prefix);
    const history = (this.#s.history.all(afterRevision, prefix, end) as unknown as LogRow[]).map(toEvent);
    const watcher: Watcher = { prefix, end, listener, closed: false };
    // History goes out before any live event: live events only come from #flush, which runs
    // in a later macrotask than this microtask.
    queueMicrotask(() => {
      for (const e of history) if (!watcher.closed) listener(e);
      if (!watcher.closed) this.#watchers.add(watcher);
    });
    return { close: () => { watcher.closed = true; this.#watchers.delete(watcher); } };
  }

  cacheUsage(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.weight };
  }

  async revision(): Promise<number> {
    return this.#revision;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#syncing || this.#pending.length) {
      if (this.#syncing) await this.#syncing;
      else this.#flush();
    }
    this.#closed = true;
    this.#watchers.clear();
    // SQLite's close copies the WAL into the db file without an fsync (synchronous OFF)
    // and deletes it: copied and synced here first, it finds nothing to copy.
    try {
      if (!this.#broken) this.#files?.checkpointer.runSync();
    } finally {
      this.#db.close();
      if (this.#wal !== undefined) closeSync(this.#wal);
      if (this.#files) closeSync(this.#files.db);
    }
  }

  #open(): void {
    if (this.#closed) throw new Error('store is closed');
  }

  /** Applies every pending transaction in one SQLite transaction and one fsync. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#syncing || this.#closed) return;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const s = this.#s;
    const startRevision = this.#revision;
    const startCompacted = this.#compacted;
    const results: (TxnResult | Error)[] = [];
    const events: WatchEvent[] = [];
    try {
      s.begin.run();
      for (const { txn } of batch) {
        const failed = (txn.if ?? []).filter((c) => ((s.modRev.get(c.key) as { mod_rev: number } | undefined)?.mod_rev ?? 0) !== c.modRevision).map((c) => c.key);
        if (failed.length) { results.push({ ok: false, revision: this.#revision, failed }); continue; }
        if (txn.ops.length === 0) { results.push({ ok: true, revision: this.#revision }); continue; }
        const revision = this.#revision + 1;
        const mark = events.length;
        s.savepoint.run();
        try {
          applyOps(s, txn, revision, this.#compacted, events);
          s.release.run();
          this.#revision = revision;
          results.push({ ok: true, revision });
        } catch (err) {
          s.rollbackTo.run();
          s.release.run();
          events.length = mark;
          results.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      if (this.#revision !== startRevision) {
        s.setMeta.run('revision', this.#revision);
        if (this.#revision - this.#compacted >= this.#history + COMPACT_EVERY) {
          const from = this.#compacted;
          this.#compacted = this.#revision - this.#history;
          s.compact.run(from, this.#compacted);
          s.setMeta.run('compacted', this.#compacted);
        }
      }
      s.commit.run();
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      this.#revision = startRevision;
      this.#compacted = startCompacted;
      for (const p of batch) p.reject(err);
      return;
    }
    const acknowledge = () => {
      // Only now, with the batch durable, do its writes become what `get` sees.
      for (const e of events) {
        if (e.type === 'put' && this.#cache.has(e.kv.key)) this.#cache.set(e.kv.key, e.kv);
        else this.#cache.delete(e.kv.key);
      }
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r instanceof Error) p.reject(r); else p.resolve(r);
      });
      if (events.length && this.#watchers.size) this.#emit(events);
    };
    if (this.#wal === undefined || this.#revision === startRevision) return acknowledge();
    this.#syncing = new Promise<void>((done) => {
      const fail = (err: Error) => {
        this.#syncing = undefined;
        this.#broken = new Error(`the state database could not be synced to disk (${err.message}); restart Berth once the disk is healthy`);
        for (const p of [...batch, ...this.#pending.splice(0)]) p.reject(this.#broken);
        done();
      };
      const next = () => {
        this.#syncing = undefined;
        if (this.#pending.length) this.#scheduleFlush();
        done();
      };
      fsync(this.#wal!, (err) => {
        if (err) return fail(err);
        acknowledge();
        // The next batch waits for a due checkpoint (checkpoint.ts): writes queue meanwhile.
        const checkpointer = this.#files?.checkpointer;
        if (!checkpointer?.due()) return next();
        checkpointer.run((cpErr) => {
          if (!cpErr) return next();
          // Acknowledged already, and durable in the WAL; nothing more is accepted.
          this.#syncing = undefined;
          this.#broken = new Error(`the state database could not be checkpointed to disk (${cpErr.message}); restart Berth once the disk is healthy`);
          for (const p of this.#pending.splice(0)) p.reject(this.#broken);
          done();
        });
      });
    });
  }

  #emit(events: readonly WatchEvent[]): void {
    const watchers = [...this.#watchers];
    for (const e of events) {
      for (const w of watchers) {
        if (!w.closed && e.kv.key >= w.prefix && (w.end === '' || e.kv.key < w.end)) w.listener(e);
      }
    }
  }
}

/**
 * One transaction's writes at `revision`: each put one log row (the value's only copy) and
 * its key's kv row pointing at it (schema.ts). A superseded value at or below `compacted`
 * is no watcher's history: its row goes now; one above stays until compaction passes it.
 */
function applyOps(s: ReturnType<typeof statements>, txn: Txn, revision: number, compacted: number, events: WatchEvent[]): void {
  let seq = 0;
  const put = (key: string, value: string) => {
    // The previous row's head only: no value is read.
    const prev = s.head.get(key) as KvHead | undefined;
    const createRevision = prev ? prev.create_rev : revision;
    const version = prev ? prev.version + 1 : 1;
    const at = seq++;
    s.log.run(revision, at, key, 0, value, createRevision, version);
    s.put.run(key, revision, at, createRevision, version);
    if (prev && prev.mod_rev <= compacted) s.dropLog.run(prev.mod_rev, prev.seq);
    events.push({ type: 'put', revision, kv: { key, value, createRevision, modRevision: revision, version } });
  };
  const del = (key: string) => {
    const prev = s.head.get(key) as KvHead | undefined;
    if (!prev) return;
    s.del.run(key);
    if (prev.mod_rev <= compacted) s.dropLog.run(prev.mod_rev, prev.seq);
    s.log.run(revision, seq++, key, 1, null, 0, 0);
    events.push({ type: 'delete', revision, kv: { key, value: '', createRevision: 0, modRevision: revision, version: 0 } });
  };
  for (const op of txn.ops) {
    if (op.type === 'put') put(op.key, op.value);
    else if (op.type === 'delete') del(op.key);
    else {
      // An empty end means no upper bound (the prefix was empty or all 0xFFFF).
      const end = prefixEnd(op.prefix);
      const keys = (end === '' ? s.keysFrom.all(op.prefix) : s.keysBetween.all(op.prefix, end)) as { key: string }[];
      for (const { key } of keys) del(key);
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
