/**
 * The store's writer thread (writer.ts starts it): owns the one SQLite connection that
 * writes a data dir, applies each batch the main thread hands it (apply-batch.ts) and
 * commits it, and copies or cuts the WAL when the main thread's checkpointer says so
 * (checkpoint.ts). It never fsyncs: the main thread does, and acknowledges (sqlite-store.ts).
 * Requests are answered one at a time, in the order they came.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { applyBatch, type WriterState } from './apply-batch.ts';
import { decodeBatch, encodeApplied, type EncodedBatch } from './batch-codec.ts';
import { CHECKPOINT_PRAGMAS, checkpointCopy, checkpointTruncate } from './checkpoint.ts';
import { statements } from './schema.ts';
import type { WriterReply, WriterRequest, WriterSetup } from './writer.ts';

const setup = workerData as WriterSetup;
const port = parentPort!;
const db = new DatabaseSync(setup.path);
// The main thread created the schema and holds the data dir's lock (sqlite-store.ts);
// a second connection waits briefly for the other's rare lock (a checkpoint's cut).
db.exec(`PRAGMA busy_timeout = ${setup.busyTimeoutMs}; ${CHECKPOINT_PRAGMAS} PRAGMA mmap_size = ${setup.mmapBytes}; PRAGMA cache_size = -${setup.pageCacheKib};`);
const s = statements(db);
const state: WriterState = {
  revision: Number(s.getMeta.get('revision')?.value ?? 0),
  compacted: Number(s.getMeta.get('compacted')?.value ?? 0),
  history: setup.history,
};

const reply = (r: WriterReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);

port.on('message', (m: WriterRequest) => {
  switch (m.type) {
    case 'batch': {
      let applied;
      try {
        applied = applyBatch(db, s, decodeBatch(m.batch as EncodedBatch), state);
      } catch (err) {
        reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        return;
      }
      const enc = encodeApplied(applied);
      reply({ type: 'applied', applied: enc, revision: state.revision, compacted: state.compacted }, [enc.nums.buffer as ArrayBuffer]);
      return;
    }
    case 'copy':
    case 'truncate':
      try {
        reply({ type: 'done', copied: m.type === 'copy' ? checkpointCopy(db) : (checkpointTruncate(db), true) });
      } catch (err) {
        reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      }
      return;
    case 'close':
      db.close();
      reply({ type: 'done', copied: true });
      port.close();
  }
});
reply({ type: 'done', copied: true });
