/**
 * Writeback of a blob file while it is still streaming in. A blob is acknowledged only
 * after an fsync (blob-store.ts `adopt`), and left alone the kernel writes nothing of a
 * 50 MB layer before that fsync asks for all of it at once, after the last byte arrived.
 * Syncing behind the incoming data instead leaves the closing fsync only the tail.
 * Durability does not change: this only moves disk work earlier; the fsync before the
 * acknowledgement still happens, and still covers everything.
 */

import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes appended between two background syncs: about what the closing fsync is left
 * with (plus what arrived while the last sync ran). Measured appending 52 MB on this
 * VM's virtio disk: the closing fsync took 23–25 ms with no sync ahead, 6–12 ms with
 * one every 4 MiB, 7–12 ms every 8 MiB, 3–6 ms every 16 MiB. Over skopeo pushes (data
 * arriving at ~200 MB/s), 8 MiB cut the PUT that completes a 50 MB layer from 30–47 ms
 * to 5–11 ms (bench/README.md, registry-bench). Each sync is also a device cache flush,
 * so much smaller would only add flushes.
 */
export const SYNC_AHEAD_BYTES = 8 * 1024 * 1024;

export class SyncAhead {
  readonly #handle: FileHandle;
  #pending = 0;
  #running: Promise<void> | undefined;
  #failure: unknown;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Counts `bytes` more handed to the file, and starts an fdatasync in the background
   * once {@link SYNC_AHEAD_BYTES} have gathered and none is running (so at most one is
   * ever in flight per file: the disk, not a queue of syncs, sets the pace).
   */
  appended(bytes: number): void {
    this.#pending += bytes;
    // After a failure the write is lost anyway: no point asking the disk again.
    if (this.#pending < SYNC_AHEAD_BYTES || this.#running || this.#failure !== undefined) return;
    this.#pending = 0;
    this.#running = this.#handle.datasync()
      .catch((err: unknown) => void (this.#failure ??= err))
      .finally(() => (this.#running = undefined));
  }

  /**
   * The first error a background sync met, if any. It must fail the write: Linux reports
   * a writeback error to each open file once, and not to a file opened after it was
   * reported, so the fsync before the acknowledgement (on a file opened later) could
   * succeed on data that never reached the disk.
   */
  get failure(): unknown {
    return this.#failure;
  }

  /** Waits for the sync in flight, then throws {@link failure} if there was one. */
  async settle(): Promise<void> {
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure;
  }
}
