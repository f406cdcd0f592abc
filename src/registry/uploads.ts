/**
 * Upload sessions (spec "Pushing blobs"): a session is a store record naming its
 * repository, plus a file under uploads/ holding the bytes received so far. The file's
 * size is the session's offset, and its mtime its last activity (for GC of idle ones).
 *
 * The running sha256 of each session is kept in memory, so finishing a chunked upload
 * does not read the data again; after a restart it is recomputed from the file. A chunk
 * that fails mid-stream is cut off again (file truncated, hash restored), so the session
 * stays exactly at its last acknowledged offset and the client can resume from there.
 */

import { createHash, randomUUID, type Hash } from 'node:crypto';
import { stat, truncate, rm, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseDigest, type Digest } from '../oci/digest.ts';
import type { Store } from '../store/store.ts';
import { getJson } from '../store/json.ts';
import { appendToFile, digestMismatch, hashFile, hashFileInto, type BlobStore } from './blob-store.ts';
import { oci } from './errors.ts';
import type { GcLock } from '../lib/gc-lock.ts';
import { keys } from './keys.ts';
import type { ByteRange } from './ranges.ts';
import type { UploadRecord } from './records.ts';
import { linkBlob } from './repositories.ts';

/**
 * Upload bodies streaming at once. Each holds about two 1 MiB blocks (staging blocks or
 * writev batches, blob-file-writer.ts), so this bounds what pushes can take at ~256 MiB;
 * beyond it clients get 429 and retry.
 */
export const MAX_CONCURRENT_UPLOAD_STREAMS = 128;

/**
 * The part size InitiateLayerUpload tells clients to send: ECR's 5 MiB minimum part,
 * whose base64 (6.7 MiB) fits under the AWS front door's 8 MiB request body limit.
 */
export const UPLOAD_PART_SIZE = 5 * 1024 * 1024;

export class Uploads {
  readonly #store: Store;
  readonly #blobs: BlobStore;
  readonly #lock: GcLock;
  readonly #running = new Map<string, { hash: Hash; offset: number }>();
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Sessions with a request in progress: GC leaves them alone whatever their mtime. */
  readonly active = new Set<string>();
  #streams = 0;

  constructor(store: Store, blobs: BlobStore, lock: GcLock) {
    this.#store = store;
    this.#blobs = blobs;
    this.#lock = lock;
  }

  async start(repo: string, now: number): Promise<UploadRecord> {
    const record: UploadRecord = { id: randomUUID(), repo, startedAt: now };
    await writeFile(this.#blobs.uploadPath(record.id), '', { flag: 'wx' });
    await this.#store.txn({ if: [{ key: keys.upload(record.id), modRevision: 0 }], ops: [{ type: 'put', key: keys.upload(record.id), value: JSON.stringify(record) }] });
    this.#running.set(record.id, { hash: createHash('sha256'), offset: 0 });
    return record;
  }

  /** The session `id` of repository `repo`; a session of another repository is unknown here. */
  async find(repo: string, id: string): Promise<UploadRecord> {
    const unknown = () => oci('BLOB_UPLOAD_UNKNOWN', `upload ${JSON.stringify(id.slice(0, 100))} is not in progress in repository ${repo}: start a new upload with POST /v2/${repo}/blobs/uploads/`, { uuid: id.slice(0, 100) });
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw unknown();
    const rec = await getJson<UploadRecord>(this.#store, keys.upload(id));
    if (!rec || rec.value.repo !== repo) throw unknown();
    return rec.value;
  }

  /** Bytes received so far. */
  async offset(session: UploadRecord): Promise<number> {
    try {
      return (await stat(this.#blobs.uploadPath(session.id))).size;
    } catch {
      throw oci('BLOB_UPLOAD_UNKNOWN', `upload ${session.id} has no data any more (cancelled or collected); start a new upload`, { uuid: session.id });
    }
  }

  /**
   * Appends one chunk. With `range`, it must start exactly at the current offset (else
   * RANGE_INVALID, 416, and nothing is written) and the body must have exactly its length.
   */
  append(session: UploadRecord, body: Readable | AsyncIterable<Uint8Array>, range?: ByteRange): Promise<number> {
    return this.#serial(session.id, () => this.#append(session, body, range));
  }

  /**
   * Completes the session: appends the last chunk, if any, checks the content against
   * `digest`, moves it into the blob store and links it into the repository. On a digest
   * mismatch the session is discarded: nothing of it is kept.
   */
  finish(session: UploadRecord, digest: Digest, body: Readable | AsyncIterable<Uint8Array> | undefined, now: number): Promise<number> {
    return this.#serial(session.id, async () => {
      if (body) await this.#append(session, body, undefined);
      const path = this.#blobs.uploadPath(session.id);
      const size = await this.offset(session);
      const algorithm = parseDigest(digest).algorithm;
      const running = this.#running.get(session.id);
      const actual = running && running.offset === size && algorithm === 'sha256'
        ? `sha256:${running.hash.copy().digest('hex')}`
        : (await hashFile(path, algorithm)).digest;
      if (actual !== digest) {
        await this.#discard(session);
        throw digestMismatch(digest, actual);
      }
      this.active.add(session.id);
      try {
        await this.#lock.shared(async () => {
          await this.#blobs.adopt(path, digest);
          await linkBlob(this.#store, session.repo, digest, size, now);
        });
      } finally {
        this.active.delete(session.id);
      }
      await this.#discard(session);
      return size;
    });
  }

  cancel(session: UploadRecord): Promise<void> {
    return this.#serial(session.id, () => this.#discard(session));
  }

  /** Removes a session's record, file and running hash. */
  async #discard(session: UploadRecord): Promise<void> {
    this.#running.delete(session.id);
    await rm(this.#blobs.uploadPath(session.id), { force: true });
    await this.#store.txn({ ops: [{ type: 'delete', key: keys.upload(session.id) }] });
  }

  /** Forgets a session GC removed. */
  forget(id: string): void {
    this.#running.delete(id);
  }

  /** Runs `fn` while counting it against {@link MAX_CONCURRENT_UPLOAD_STREAMS}. */
  async stream<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#streams >= MAX_CONCURRENT_UPLOAD_STREAMS) {
      throw oci('TOOMANYREQUESTS', `more than ${MAX_CONCURRENT_UPLOAD_STREAMS} uploads are streaming at once; retry shortly`);
    }
    this.#streams++;
    try {
      return await fn();
    } finally {
      this.#streams--;
    }
  }

  async #append(session: UploadRecord, body: Readable | AsyncIterable<Uint8Array>, range: ByteRange | undefined): Promise<number> {
    const path = this.#blobs.uploadPath(session.id);
    const start = await this.offset(session);
    if (range && range.start !== start) {
      throw oci('RANGE_INVALID', `this chunk starts at byte ${range.start} but the upload has ${start} bytes: send the chunk that starts at ${start} (GET the upload URL for its status)`, { offset: start, start: range.start }, 416);
    }
    let running = this.#running.get(session.id);
    if (!running || running.offset !== start) {
      // Lost to a restart: resume the hash from the bytes on disk.
      const hash = createHash('sha256');
      await hashFileInto(path, hash);
      running = { hash, offset: start };
    }
    const hash = running.hash.copy();
    this.active.add(session.id);
    try {
      const written = await this.stream(() => appendToFile(body, path, hash, start, 'a'));
      if (range && written !== range.end - range.start + 1) {
        throw oci('SIZE_INVALID', `Content-Range ${range.start}-${range.end} announces ${range.end - range.start + 1} bytes but the body had ${written}`, { expected: range.end - range.start + 1, actual: written });
      }
      this.#running.set(session.id, { hash, offset: start + written });
      return start + written;
    } catch (err) {
      await truncate(path, start).catch(() => undefined);
      throw err;
    } finally {
      this.active.delete(session.id);
    }
  }

  /** Requests on one session run one after another, so offsets are never raced. */
  async #serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(id) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.then(() => undefined, () => undefined);
    this.#queues.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    }
  }
}
