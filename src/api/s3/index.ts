/**
 * Amazon S3 on Berth's endpoint: REST-XML, path-style (and virtual-hosted) addressing,
 * buckets, objects, listing and multipart upload, with bytes on disk and records in the
 * store. See README.md.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../store/store.ts';
import { BlobFiles } from './blobs.ts';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets.ts';
import { S3Error } from './errors.ts';
import { sendError } from './http.ts';
import { listObjects, listObjectsV2 } from './listing.ts';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, uploadPart } from './multipart.ts';
import { couldBeBucketName } from './names.ts';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './objects.ts';
import { s3Keys, type ObjectRecord, type PartRecord } from './records.ts';
import { addressOf, operationOf, s3Scope, type Operation } from './request.ts';
import { newRequestIds, type S3Context, type S3Deps } from './state.ts';

/** The first sweep runs this long after start, off the start-up path (it finds what a crash left). */
const FIRST_SWEEP_DELAY_MS = 60_000;
/** How often files no record names are looked for; an hour keeps disk use honest without churn. */
export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** A file younger than this may belong to a write about to commit (writes take seconds, not an hour). */
export const SWEEP_GRACE_MS = 60 * 60 * 1000;
/** A presigned URL may be valid for at most 7 days (SigV4 query authentication). */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface S3ServiceOptions {
  readonly store: Store;
  readonly dataDir: string;
  readonly accountId: string;
  /** Region of requests whose scope names none (never, for SigV4; kept for symmetry). */
  readonly defaultRegion: string;
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /** Run the orphan sweep on a timer (default true). */
  readonly sweep?: boolean;
}

export interface S3Service {
  /** True for requests signed for the s3 service (header or presigned URL). */
  accepts(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Removes blob and temp files that no record names and that are past the grace period. */
  sweep(graceMs?: number): Promise<{ blobs: number; temps: number }>;
  close(): Promise<void>;
}

type Handler = (c: S3Context) => Promise<void>;

const HANDLERS: Readonly<Record<Exclude<Operation, 'ListBuckets'>, Handler>> = {
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: (c) => getObject(c, false),
  HeadObject: (c) => getObject(c, true),
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
};

export function createS3Service(o: S3ServiceOptions): S3Service {
  const deps: S3Deps = { store: o.store, blobs: new BlobFiles(o.dataDir), accountId: o.accountId, now: o.now ?? Date.now, log: o.log };
  let sweeping: Promise<{ blobs: number; temps: number }> | undefined;
  const sweep = (graceMs = SWEEP_GRACE_MS) => {
    sweeping ??= sweepOrphans(deps, graceMs).finally(() => (sweeping = undefined));
    return sweeping;
  };
  const runSweep = () => void sweep().catch((e: unknown) => o.log(`s3 sweep failed: ${String(e)}`));
  const timer = o.sweep === false ? undefined : setInterval(runSweep, SWEEP_INTERVAL_MS);
  const first = o.sweep === false ? undefined : setTimeout(runSweep, FIRST_SWEEP_DELAY_MS);
  timer?.unref();
  first?.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ids = newRequestIds();
    const head = req.method === 'HEAD';
    let operation = '-';
    try {
      const scope = s3Scope(req);
      checkPresignExpiry(req, deps.now());
      const a = addressOf(req);
      const op = operationOf(req.method ?? 'GET', a, req.headers);
      operation = op;
      if (op === 'ListBuckets') return await listBuckets(deps, res, ids, a.query);
      const bucket = a.bucket!;
      if (op !== 'CreateBucket' && !couldBeBucketName(bucket)) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
      await HANDLERS[op]({ deps, req, res, ids, region: scope?.region ?? o.defaultRegion, bucket, key: a.key ?? '', query: a.query });
    } catch (err) {
      const e = err instanceof S3Error ? err : internal(err, operation, o.log);
      sendError(res, ids, e, head);
    }
  }

  return {
    accepts: (req) => s3Scope(req) !== undefined,
    handle,
    sweep,
    async close() {
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      await sweeping?.catch(() => undefined);
    },
  };
}

function internal(err: unknown, operation: string, log: (line: string) => void): S3Error {
  const code = (err as NodeJS.ErrnoException).code;
  // A client that goes away mid-upload is not a server fault; it gets no answer anyway.
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return new S3Error('IncompleteBody');
  log(`s3: internal error in ${operation}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return new S3Error('InternalError', `Berth failed to process ${operation}; the server log has the details.`);
}

/** A presigned URL past its expiry is refused as S3 refuses it (AccessDenied). */
function checkPresignExpiry(req: IncomingMessage, now: number): void {
  const q = req.url?.indexOf('?') ?? -1;
  if (q < 0 || !/[?&](X-Amz-Expires|Expires)=/i.test(req.url!)) return;
  const params = new URLSearchParams(req.url!.slice(q + 1));
  let expiresAt: number;
  let detail: Record<string, string | number>;
  if (params.has('X-Amz-Credential')) {
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('X-Amz-Date') ?? '');
    const expires = Number(params.get('X-Amz-Expires'));
    if (!date || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      throw new S3Error('AccessDenied', `X-Amz-Date must be yyyymmddThhmmssZ and X-Amz-Expires 1 to ${MAX_PRESIGN_SECONDS} seconds.`);
    }
    expiresAt = Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!) + expires * 1000;
    detail = { 'X-Amz-Expires': expires };
  } else if (params.has('AWSAccessKeyId')) {
    const expires = Number(params.get('Expires'));
    if (!Number.isInteger(expires)) throw new S3Error('AccessDenied', 'Expires must be a time in epoch seconds.');
    expiresAt = expires * 1000;
    detail = {};
  } else return;
  if (now > expiresAt) {
    throw new S3Error('AccessDenied', 'Request has expired', { ...detail, Expires: new Date(expiresAt).toISOString(), ServerTime: new Date(now).toISOString() });
  }
}

/** Files no object or part record names. */
async function sweepOrphans(deps: S3Deps, graceMs: number): Promise<{ blobs: number; temps: number }> {
  const referenced = new Set<string>();
  for (const prefix of [s3Keys.allObjects(), s3Keys.allParts()]) {
    let after: string | undefined;
    for (;;) {
      const page = await deps.store.list(prefix, { limit: 1000, ...(after !== undefined && { after }) });
      for (const kv of page.items) referenced.add((JSON.parse(kv.value) as ObjectRecord | PartRecord).blob);
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
  }
  const r = await deps.blobs.sweep(referenced, graceMs, deps.now());
  if (r.blobs || r.temps) deps.log(`s3: swept ${r.blobs} unreferenced blob(s) and ${r.temps} stale temp file(s)`);
  return r;
}
