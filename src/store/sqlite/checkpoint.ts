/**
 * The store's WAL checkpoints, with their fsyncs off the event loop.
 *
 * SQLite's own checkpoints (wal_autocheckpoint, every 1,000 pages) fsync the WAL and then
 * the database file inside the COMMIT that triggers them, on the event loop: under
 * committed placements that was every ~600 tasks, and on this shared machine the main
 * thread spent 2.1 s of a 5 s run blocked in those fsyncs (strace -f -T). So the store
 * opens SQLite with `synchronous = OFF` and `wal_autocheckpoint = 0` and runs them itself,
 * between two batches (no write transaction open, every earlier batch's WAL already
 * fsynced), in the order SQLite's NORMAL mode would:
 *
 *   WAL ≥ CHECKPOINT_WAL_BYTES ─▶ wal_checkpoint(PASSIVE): frames copied into the db file
 *     ─▶ fsync(db) on the thread pool          (db pages durable before the WAL may go)
 *     ─▶ wal_checkpoint(TRUNCATE): the WAL, all copied, cut to 0 bytes
 *     ─▶ fsync(WAL) on the thread pool         (the cut durable before new frames reuse it)
 *     ─▶ the next batch may write
 *
 * A kill -9 at any step leaves the WAL or the db file holding every acknowledged write (the
 * kernel keeps what was written); a power loss too, since no WAL frame is dropped before
 * the db file holding its pages is on disk, and no new frame is written over an old one.
 * Copying the pages (one pwrite each) and cutting the WAL need the writing connection: they
 * run where it lives (writer.ts, CheckpointSteps), the fsyncs on the thread pool.
 */
import { fsync, fstatSync, fsyncSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';

/**
 * WAL size that triggers a checkpoint: 16 MiB, ~4,000 pages. Larger than SQLite's 1,000
 * pages so a page written again and again (an index leaf) is copied once per checkpoint,
 * small enough that copying it (~4,000 pwrites) holds the event loop for tens of ms at most,
 * and reads of pages still in the WAL (pread, not mmap) stay few.
 */
export const CHECKPOINT_WAL_BYTES = 16 * 1024 * 1024;

/** The pragmas that hand checkpoints and their fsyncs to the store (see above). */
export const CHECKPOINT_PRAGMAS = 'PRAGMA synchronous = OFF; PRAGMA wal_autocheckpoint = 0;';

/** The two checkpoint steps that need the writing connection (writer.ts runs them where it lives). */
export interface CheckpointSteps {
  /** The WAL's frames copied into the db file; true when every frame was. */
  copy(): Promise<boolean>;
  /** The WAL, all copied, cut to 0 bytes. */
  truncate(): Promise<void>;
}

/** Copies the WAL's frames into the db file; true when every frame was. */
export function checkpointCopy(db: DatabaseSync): boolean {
  const r = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { busy: number; log: number; checkpointed: number };
  return r.busy === 0 && r.log === r.checkpointed;
}

/** Cuts the WAL to 0 bytes (every frame copied before). */
export function checkpointTruncate(db: DatabaseSync): void {
  db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
}

export class Checkpointer {
  readonly #steps: CheckpointSteps;
  readonly #dbFd: number;
  readonly #walFd: number;
  readonly #walBytes: number;

  constructor(steps: CheckpointSteps, dbFd: number, walFd: number, walBytes = CHECKPOINT_WAL_BYTES) {
    this.#steps = steps;
    this.#dbFd = dbFd;
    this.#walFd = walFd;
    this.#walBytes = walBytes;
  }

  /** The WAL has grown past its bound. */
  due(): boolean {
    return fstatSync(this.#walFd).size >= this.#walBytes;
  }

  /** One checkpoint (see above); `done` once the WAL is empty and that is durable, or with the error. No write may start before. */
  run(done: (err?: Error) => void): void {
    const fail = (err: unknown) => done(err instanceof Error ? err : new Error(String(err)));
    this.#steps.copy().then((copied) => {
      fsync(this.#dbFd, (err) => {
        if (err) return done(err);
        // Not all copied (the main thread's reading connection held a snapshot): the WAL
        // stays as it is and the next checkpoint tries again.
        if (!copied) return done();
        this.#steps.truncate().then(() => fsync(this.#walFd, (err2) => done(err2 ?? undefined)), fail);
      });
    }, fail);
  }

  /** The same with blocking fsyncs: at close, so that SQLite's own close finds nothing to copy unsynced. */
  async runAtClose(): Promise<void> {
    const copied = await this.#steps.copy();
    fsyncSync(this.#dbFd);
    if (!copied) return;
    await this.#steps.truncate();
    fsyncSync(this.#walFd);
  }
}
