/**
 * How the bytes of an incoming blob reach its file under uploads/.
 *
 * Past the page cache (direct-io.ts) when it can: chunks from the socket are copied into
 * two aligned 1 MiB staging blocks, and each full block is written straight to the disk
 * while the other fills. A pushed blob is written once and read again only by pulls, so
 * caching it as it arrives buys little and costs most of the server's work (direct-io.ts
 * has the figures): with it, server CPU per 200 MB skopeo push went from 850–960 ms to
 * 460–690 ms (bench/README.md, registry-bench).
 *
 * Through the page cache (batched writev, sync-ahead.ts) otherwise: for an upload that
 * resumes at an offset that is not aligned, on a filesystem that refuses O_DIRECT, or
 * when every staging block is taken. Either way the file ends up with the same bytes and
 * the caller fsyncs it before acknowledging anything.
 */

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_BYTES, DIRECT_ALIGNMENT, giveStagingPair, openDirect, type DirectFile, type StagingPair } from './direct-io.ts';
import { SyncAhead } from './sync-ahead.ts';

export interface BlobFileWriter {
  /** Whether this writer bypasses the page cache (for tests and diagnostics). */
  readonly direct: boolean;
  /** Takes a chunk (the writer copies or keeps it); resolves when the caller may push more. */
  push(chunk: Uint8Array): Promise<void>;
  /** Writes whatever is still held. Rejects with the first write error. */
  end(): Promise<void>;
  /** Waits for every write in flight (ignoring their errors) and closes the file. Always call it. */
  close(): Promise<void>;
}

/**
 * Opens `path` to append a blob's bytes; `startOffset` is the file's current size (0 for a
 * new file). `direct: false` forces the page-cache writer (tests compare the two).
 */
export async function openBlobFileWriter(path: string, flags: 'a' | 'wx', startOffset: number, { direct = true } = {}): Promise<BlobFileWriter> {
  // Created here, exclusively, so that either writer only appends.
  if (flags === 'wx') await (await open(path, 'wx')).close();
  const file = direct && startOffset % DIRECT_ALIGNMENT === 0 ? await openDirect(path, constants.O_WRONLY | constants.O_APPEND) : undefined;
  return file ? new DirectWriter(file, path) : new BufferedWriter(await open(path, 'a'));
}

class DirectWriter implements BlobFileWriter {
  readonly direct = true;
  readonly #handle: FileHandle;
  readonly #path: string;
  readonly #blocks: StagingPair;
  /** For the unaligned tail. */
  #buffered: FileHandle | undefined;
  #current = 0;
  #fill = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor({ handle, staging }: DirectFile, path: string) {
    this.#handle = handle;
    this.#path = path;
    this.#blocks = staging;
  }

  async push(chunk: Uint8Array): Promise<void> {
    let from = 0;
    while (from < chunk.length) {
      const block = this.#blocks[this.#current]!;
      const n = Math.min(BLOCK_BYTES - this.#fill, chunk.length - from);
      block.set(n === chunk.length ? chunk : chunk.subarray(from, from + n), this.#fill);
      this.#fill += n;
      from += n;
      if (this.#fill === BLOCK_BYTES) {
        // The other block is the one being written: it must be done before it fills again.
        await this.#writing;
        this.#writing = writeAll(this.#handle, block);
        // Awaited before the next block or in close(); meanwhile not an unhandled rejection.
        this.#writing.catch(() => undefined);
        this.#current ^= 1;
        this.#fill = 0;
      }
    }
  }

  async end(): Promise<void> {
    await this.#writing;
    const block = this.#blocks[this.#current]!;
    const aligned = this.#fill - (this.#fill % DIRECT_ALIGNMENT);
    if (aligned > 0) await writeAll(this.#handle, block.subarray(0, aligned));
    if (aligned < this.#fill) {
      this.#buffered = await open(this.#path, 'a');
      await writeAll(this.#buffered, block.subarray(aligned, this.#fill));
    }
    this.#fill = 0;
  }

  async close(): Promise<void> {
    await this.#writing.catch(() => undefined);
    giveStagingPair(this.#blocks);
    await this.#buffered?.close();
    await this.#handle.close();
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
  if (bytesWritten !== bytes.length) throw new Error(`wrote ${bytesWritten} of ${bytes.length} bytes to a blob file`);
}

/**
 * Chunks gather into a batch of {@link BLOCK_BYTES} that is written with one writev while
 * the next batch gathers. The disk gets the bytes as they come (sync-ahead.ts), not all
 * at the closing fsync.
 */
class BufferedWriter implements BlobFileWriter {
  readonly direct = false;
  readonly #handle: FileHandle;
  readonly #syncAhead: SyncAhead;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(handle: FileHandle) {
    this.#handle = handle;
    this.#syncAhead = new SyncAhead(handle);
  }

  async push(chunk: Uint8Array): Promise<void> {
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    if (this.#batchBytes < BLOCK_BYTES) return;
    await this.#writing;
    this.#writing = this.#flush();
    this.#writing.catch(() => undefined);
  }

  async end(): Promise<void> {
    await this.#writing;
    await this.#flush();
    await this.#syncAhead.settle();
  }

  async close(): Promise<void> {
    await this.#writing.catch(() => undefined);
    await this.#syncAhead.settle().catch(() => undefined);
    await this.#handle.close();
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    if (bytes === 0) return;
    // libuv's writev writes every buffer, however many, or fails; anything else is a disk that stopped taking data.
    const { bytesWritten } = await this.#handle.writev(batch);
    if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes to a blob file`);
    this.#syncAhead.appended(bytes);
  }
}
