/**
 * The bytes of objects and parts, on disk:
 *
 *   <dataDir>/s3/blobs/<id[0:2]>/<id>   complete files, never changed once in place
 *   <dataDir>/s3/tmp/<uuid>             uploads being received
 *
 * A blob is written under tmp/, checked (sizes, digests), fsync'd, renamed into blobs/
 * (atomic on one filesystem) and its directory fsync'd; only then does a record in the
 * store name it. So a record never names a partial file, and an acknowledged object
 * survives kill -9. A crash between the rename and the record, or between removing a
 * record and its file, leaves a file no record names: `sweep` removes those once they
 * are older than a grace period that any write in progress is well within.
 */

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { syncDir } from '../../lib/sync-dir.ts';

/** Read and write buffer per transfer: large sequential I/O, as the registry's blob store measured. */
const STREAM_BUFFER_BYTES = 1024 * 1024;
const ID = /^[0-9a-f-]{36}$/;

export class BlobFiles {
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.blobsDir = join(dataDir, 's3', 'blobs');
    this.tmpDir = join(dataDir, 's3', 'tmp');
    mkdirSync(this.blobsDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  path(id: string): string {
    if (!ID.test(id)) throw new Error(`not a blob id: ${id}`);
    return join(this.blobsDir, id.slice(0, 2), id);
  }

  newTempPath(): string {
    return join(this.tmpDir, randomUUID());
  }

  /** A write stream to a new temp file. */
  tempWriter(path: string): Writable {
    return createWriteStream(path, { flags: 'wx', highWaterMark: STREAM_BUFFER_BYTES });
  }

  /** Makes a checked temp file a blob: fsync, rename, fsync the directory. Returns its id. */
  async adopt(tempPath: string): Promise<string> {
    const id = randomUUID();
    const fh = await open(tempPath, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const target = this.path(id);
    const created = await mkdir(dirname(target), { recursive: true });
    await rename(tempPath, target);
    await syncDir(dirname(target));
    // A shard directory made just now must itself be on disk for its file to be.
    if (created !== undefined) await syncDir(this.blobsDir);
    return id;
  }

  /** Concatenates blobs into a new temp file (a multipart upload's parts into its object). */
  async concatenate(ids: readonly string[], tempPath: string): Promise<void> {
    const out = createWriteStream(tempPath, { flags: 'wx', highWaterMark: STREAM_BUFFER_BYTES });
    try {
      for (const id of ids) {
        await pipeline(createReadStream(this.path(id), { highWaterMark: STREAM_BUFFER_BYTES }), out, { end: false });
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
  }

  /** Copies `size` bytes from an open blob into a new temp file; the handle is closed after. */
  async copyTo(handle: FileHandle, size: number, tempPath: string): Promise<void> {
    if (size === 0) {
      await handle.close();
      await pipeline(Readable.from([]), createWriteStream(tempPath, { flags: 'wx' }));
      return;
    }
    await pipeline(BlobFiles.readStream(handle, 0, size - 1), createWriteStream(tempPath, { flags: 'wx', highWaterMark: STREAM_BUFFER_BYTES }));
  }

  /**
   * Opens a blob for reading. The handle pins the bytes: an overwrite or delete that
   * removes the file meanwhile cannot cut the answer short. Undefined when it is gone.
   */
  async open(id: string): Promise<FileHandle | undefined> {
    try {
      return await open(this.path(id), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  static readStream(handle: FileHandle, start: number, end: number): ReadStream {
    return createReadStream('', { fd: handle, start, end, highWaterMark: STREAM_BUFFER_BYTES, autoClose: true });
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async removeTemp(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  /**
   * Removes blobs no record names and temp files, both only when older than `graceMs`:
   * a younger file may belong to a write whose record is about to be committed.
   */
  async sweep(referenced: ReadonlySet<string>, graceMs: number, now: number): Promise<{ blobs: number; temps: number }> {
    let blobs = 0;
    let temps = 0;
    const old = async (path: string) => ((await stat(path).catch(() => undefined))?.mtimeMs ?? now) < now - graceMs;
    for (const shard of await entries(this.blobsDir)) {
      for (const id of await entries(join(this.blobsDir, shard))) {
        const path = join(this.blobsDir, shard, id);
        if (!referenced.has(id) && await old(path)) { await rm(path, { force: true }); blobs++; }
      }
    }
    for (const name of await entries(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (await old(path)) { await rm(path, { force: true }); temps++; }
    }
    return { blobs, temps };
  }
}

/**
 * Writes a stream, through the given transforms, to a new temp file and returns its path
 * (the caller checks it, then adopts or removes it). On failure the file is removed.
 */
export async function writeTemp(blobs: BlobFiles, source: Readable, through: readonly NodeJS.ReadWriteStream[]): Promise<string> {
  const path = blobs.newTempPath();
  try {
    await (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...through, blobs.tempWriter(path));
  } catch (e) {
    await blobs.removeTemp(path);
    throw e;
  }
  return path;
}

async function entries(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
