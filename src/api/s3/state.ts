/**
 * Reading and changing buckets and objects in the store with the guarantees S3 gives:
 * a write names a bucket that exists at the moment it commits, an overwrite replaces
 * exactly the object it read (so the replaced bytes can be removed), and DeleteBucket
 * never removes a bucket that an object was just written to.
 *
 * DeleteBucket first marks the bucket (`deletingSince`), then checks it is empty, then
 * removes it only if the mark is still its own. Every write that adds an object commits
 * on the bucket's revision, so a write racing the mark fails its commit, waits for the
 * mark to go, and finds the bucket either gone (NoSuchBucket) or back (and commits).
 */

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Condition, Op, Store } from '../../store/store.ts';
import type { BlobFiles } from './blobs.ts';
import { noSuchBucket, S3Error } from './errors.ts';
import type { RequestIds } from './http.ts';
import { s3Keys, type BucketRecord, type ObjectRecord } from './records.ts';

/** A DeleteBucket mark older than this was left by a process that died: writers clear it. */
const STALE_DELETE_MARK_MS = 10_000;
/** How often a write waiting on a DeleteBucket mark looks again. */
const MARK_POLL_MS = 20;
/** Compare-and-set attempts before a write gives up under contention. */
const COMMIT_ATTEMPTS = 50;

export interface S3Deps {
  readonly store: Store;
  readonly blobs: BlobFiles;
  readonly accountId: string;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

/** One S3 request being served. */
export interface S3Context {
  readonly deps: S3Deps;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ids: RequestIds;
  /** The region of the request (its SigV4 scope). */
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly query: URLSearchParams;
}

export function newRequestIds(): RequestIds {
  return { requestId: randomBytes(8).toString('hex').toUpperCase(), hostId: randomBytes(48).toString('base64') };
}

export async function getBucket(store: Store, bucket: string): Promise<Versioned<BucketRecord> | undefined> {
  return getJson<BucketRecord>(store, s3Keys.bucket(bucket));
}

export async function requireBucket(store: Store, bucket: string): Promise<Versioned<BucketRecord>> {
  const b = await getBucket(store, bucket);
  if (!b) throw noSuchBucket(bucket);
  return b;
}

/** The bucket, once no DeleteBucket is deciding its fate; NoSuchBucket if it is gone. */
export async function liveBucket(deps: S3Deps, bucket: string): Promise<Versioned<BucketRecord>> {
  for (;;) {
    const b = await requireBucket(deps.store, bucket);
    const since = b.value.deletingSince;
    if (since === undefined) return b;
    if (deps.now() - since > STALE_DELETE_MARK_MS) {
      const { deletingSince: _, ...rest } = b.value;
      await deps.store.txn({ if: [{ key: s3Keys.bucket(bucket), modRevision: b.modRevision }], ops: [{ type: 'put', key: s3Keys.bucket(bucket), value: JSON.stringify(rest) }] });
      continue;
    }
    await sleep(MARK_POLL_MS);
  }
}

/**
 * Writes an object record on a live bucket, replacing whatever object the key held, and
 * returns the record it replaced (whose blob the caller removes). `extra` conditions and
 * operations commit in the same transaction (a multipart upload's records, say); when
 * one of its conditions fails, `onExtraFailed` says what to throw.
 */
export async function commitObject(deps: S3Deps, bucket: string, record: ObjectRecord, extra: { if: Condition[]; ops: Op[]; onExtraFailed: () => S3Error } = { if: [], ops: [], onExtraFailed: () => new S3Error('InternalError') }): Promise<ObjectRecord | undefined> {
  const key = s3Keys.object(bucket, record.key);
  for (let i = 0; i < COMMIT_ATTEMPTS; i++) {
    const b = await liveBucket(deps, bucket);
    const cur = await getJson<ObjectRecord>(deps.store, key);
    const r = await deps.store.txn({
      if: [{ key: s3Keys.bucket(bucket), modRevision: b.modRevision }, { key, modRevision: cur?.modRevision ?? 0 }, ...extra.if],
      ops: [{ type: 'put', key, value: JSON.stringify(record) }, ...extra.ops],
    });
    if (r.ok) return cur?.value;
    if (r.failed.some((k) => extra.if.some((c) => c.key === k))) throw extra.onExtraFailed();
  }
  throw new S3Error('InternalError', 'Too many concurrent writes to this key; try again.');
}

/** Removes an object record (if there is one) and returns what it removed. */
export async function removeObject(deps: S3Deps, bucket: string, objectKey: string): Promise<ObjectRecord | undefined> {
  const key = s3Keys.object(bucket, objectKey);
  for (let i = 0; i < COMMIT_ATTEMPTS; i++) {
    const cur = await getJson<ObjectRecord>(deps.store, key);
    if (!cur) return undefined;
    const r = await deps.store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'delete', key }] });
    if (r.ok) return cur.value;
  }
  throw new S3Error('InternalError', 'Too many concurrent writes to this key; try again.');
}

/** Removes the bytes of a replaced or deleted object; a failure only leaves work for the sweep. */
export async function dropBlob(deps: S3Deps, id: string | undefined): Promise<void> {
  if (id === undefined) return;
  await deps.blobs.remove(id).catch((e: Error) => deps.log(`s3: could not remove blob ${id}: ${e.message}`));
}

/** The canonical user id S3 shows as an owner: Berth derives one per account. */
export function ownerOf(accountId: string): { id: string; displayName: string } {
  return { id: Buffer.from(accountId.padEnd(32, '0')).toString('hex'), displayName: 'berth' };
}
