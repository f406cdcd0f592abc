/**
 * One batch of transactions applied to SQLite in one SQLite transaction, each in its own
 * savepoint (one failing transaction does not undo another), committed with
 * `synchronous = OFF`: the frames are in the WAL, not yet fsynced (the store does that,
 * sqlite-store.ts). Run by whichever thread owns the writing connection: the store's writer
 * worker (writer-worker.ts) for a data dir, the main thread for ':memory:' (writer.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Txn, TxnResult, WatchEvent } from '../store.ts';
import { prefixEnd } from '../keys.ts';
import type { KvHead, statements } from './schema.ts';

/** Compaction runs at most this often (in revisions) so it stays off the hot path. */
export const COMPACT_EVERY = 1_000;

/** The writer's counters, carried from batch to batch (and given back to the main thread). */
export interface WriterState {
  revision: number;
  compacted: number;
  /** History kept for watchers, in revisions. */
  readonly history: number;
}

export interface AppliedBatch {
  /** One per transaction, in order: its outcome, or the error that undid it alone. */
  readonly results: (TxnResult | Error)[];
  /** Every change, in order (a put's value is the very string of its op). */
  readonly events: WatchEvent[];
  /** How many of `events` each transaction made. */
  readonly eventCounts: number[];
}

/**
 * Applies and commits `txns`; `state` moves to the batch's last revision. A failure of
 * the batch as a whole (the disk full, the commit refused) rolls it all back, puts
 * `state` back and throws.
 */
export function applyBatch(db: DatabaseSync, s: ReturnType<typeof statements>, txns: readonly Txn[], state: WriterState): AppliedBatch {
  const startRevision = state.revision;
  const startCompacted = state.compacted;
  const results: (TxnResult | Error)[] = [];
  const events: WatchEvent[] = [];
  const eventCounts: number[] = [];
  try {
    s.begin.run();
    for (const txn of txns) {
      const mark = events.length;
      const failed = (txn.if ?? []).filter((c) => ((s.modRev.get(c.key) as { mod_rev: number } | undefined)?.mod_rev ?? 0) !== c.modRevision).map((c) => c.key);
      if (failed.length) results.push({ ok: false, revision: state.revision, failed });
      else if (txn.ops.length === 0) results.push({ ok: true, revision: state.revision });
      else {
        const revision = state.revision + 1;
        s.savepoint.run();
        try {
          applyOps(s, txn, revision, state.compacted, events);
          s.release.run();
          state.revision = revision;
          results.push({ ok: true, revision });
        } catch (err) {
          s.rollbackTo.run();
          s.release.run();
          events.length = mark;
          results.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      eventCounts.push(events.length - mark);
    }
    if (state.revision !== startRevision) {
      s.setMeta.run('revision', state.revision);
      if (state.revision - state.compacted >= state.history + COMPACT_EVERY) {
        const from = state.compacted;
        state.compacted = state.revision - state.history;
        s.compact.run(from, state.compacted);
        s.setMeta.run('compacted', state.compacted);
      }
    }
    s.commit.run();
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    state.revision = startRevision;
    state.compacted = startCompacted;
    throw err;
  }
  return { results, events, eventCounts };
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
