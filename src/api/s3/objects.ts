/** Object operations: PutObject, CopyObject, GetObject, HeadObject, DeleteObject, DeleteObjects. */

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { getJson } from '../../store/json.ts';
import { BlobFiles } from './blobs.ts';
import { newChecksum, type ChecksumAlgorithm } from './checksums.ts';
import { noSuchBucket, noSuchKey, S3Error } from './errors.ts';
import { httpDate, isoDate, readSmallBody, S3_NAMESPACE, sendEmpty, sendXml } from './http.ts';
import { checkKey } from './names.ts';
import { parseRange } from './ranges.ts';
import { s3Keys, type ObjectRecord } from './records.ts';
import { commitObject, dropBlob, getBucket, removeObject, requireBucket, type S3Context } from './state.ts';
import { readUploadHeaders, receiveBody, storedHeadersOf } from './upload-body.ts';
import { childrenNamed, childText, el, parseXml, xmlDocument, XmlSyntaxError } from '../aws/xml.ts';

/** DeleteObjects takes at most this many keys (DeleteObjects reference). */
const MAX_DELETE_KEYS = 1000;
/** A Delete document of 1000 keys of 1024 bytes, escaped, fits well within this. */
const MAX_DELETE_BODY_BYTES = 8 * 1024 * 1024;
/** GetObject reads the record and opens its file; an overwrite in between makes it read again. */
const OPEN_ATTEMPTS = 5;
/** What S3 answers as the type of an object stored without one. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

export async function putObject(c: S3Context): Promise<void> {
  checkKey(c.key);
  const upload = readUploadHeaders(c.req.headers);
  const kept = storedHeadersOf(c.req.headers);
  // Refuse before the body is read when the bucket is not there.
  if (!await getBucket(c.deps.store, c.bucket)) throw noSuchBucket(c.bucket);
  const body = await receiveBody(c.req, upload, c.deps.blobs);
  const blob = await c.deps.blobs.adopt(body.tempPath).catch(async (e: unknown) => { await c.deps.blobs.removeTemp(body.tempPath); throw e; });
  const record: ObjectRecord = {
    key: c.key, blob, size: body.size, etag: `"${body.md5}"`, lastModified: c.deps.now(),
    headers: kept.headers, metadata: kept.metadata, ...(body.checksum && { checksum: body.checksum }),
  };
  await commitAndReplace(c, record);
  sendEmpty(c.res, c.ids, 200, {
    ETag: record.etag,
    ...(body.checksum && { [`x-amz-checksum-${body.checksum.algorithm.toLowerCase()}`]: body.checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' }),
  });
}

/** Commits a new object record over whatever the key held; on failure its blob goes. */
export async function commitAndReplace(c: S3Context, record: ObjectRecord, extra?: Parameters<typeof commitObject>[3]): Promise<void> {
  let replaced: ObjectRecord | undefined;
  try {
    replaced = await commitObject(c.deps, c.bucket, record, extra);
  } catch (e) {
    await dropBlob(c.deps, record.blob);
    throw e;
  }
  await dropBlob(c.deps, replaced?.blob);
}

export async function copyObject(c: S3Context): Promise<void> {
  checkKey(c.key);
  const source = parseCopySource(String(c.req.headers['x-amz-copy-source']));
  const directive = String(c.req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', `Unknown metadata directive '${directive}': use COPY or REPLACE.`, { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  if (source.bucket === c.bucket && source.key === c.key && directive === 'COPY') {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const replaced = directive === 'REPLACE' ? storedHeadersOf(c.req.headers) : undefined;
  await requireBucket(c.deps.store, c.bucket);
  const { record: src, handle } = await openObject(c, source.bucket, source.key);
  // Copied from the open handle: an overwrite of the source meanwhile cannot tear the copy.
  const temp = c.deps.blobs.newTempPath();
  let blob: string;
  try {
    await c.deps.blobs.copyTo(handle, src.size, temp);
    blob = await c.deps.blobs.adopt(temp);
  } catch (e) {
    await c.deps.blobs.removeTemp(temp);
    throw e;
  }
  const record: ObjectRecord = {
    key: c.key, blob, size: src.size, etag: src.etag, lastModified: c.deps.now(),
    headers: replaced ? replaced.headers : src.headers, metadata: replaced ? replaced.metadata : src.metadata,
    ...(src.checksum && { checksum: src.checksum }), ...(src.partSizes && { partSizes: src.partSizes }),
  };
  await commitAndReplace(c, record);
  sendXml(c.res, c.ids, 200, xmlDocument('CopyObjectResult', [el('ETag', record.etag), el('LastModified', isoDate(record.lastModified))], S3_NAMESPACE));
}

function parseCopySource(header: string): { bucket: string; key: string } {
  let raw = header.startsWith('/') ? header.slice(1) : header;
  const q = raw.indexOf('?');
  if (q >= 0) {
    const version = new URLSearchParams(raw.slice(q + 1)).get('versionId');
    if (version !== null && version !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified: this bucket has no versioning.', { ArgumentName: 'versionId', ArgumentValue: version });
    raw = raw.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding.', { ArgumentName: 'x-amz-copy-source' });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', `Copy Source must mention the source bucket and key: sourcebucket/sourcekey (it was '${header}').`, { ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** The record of an object and an open handle on its bytes (which pins them). */
async function openObject(c: S3Context, bucket: string, key: string): Promise<{ record: ObjectRecord; handle: FileHandle }> {
  await requireBucket(c.deps.store, bucket);
  for (let i = 0; i < OPEN_ATTEMPTS; i++) {
    const rec = await getJson<ObjectRecord>(c.deps.store, s3Keys.object(bucket, key));
    if (!rec) throw noSuchKey(key);
    const handle = await c.deps.blobs.open(rec.value.blob);
    if (handle) return { record: rec.value, handle };
  }
  throw new S3Error('InternalError', 'The object changed too often while it was being read; try again.');
}

export async function getObject(c: S3Context, head: boolean): Promise<void> {
  checkKey(c.key);
  checkVersionId(c.query);
  let record: ObjectRecord;
  let handle: FileHandle | undefined;
  if (head) {
    await requireBucket(c.deps.store, c.bucket);
    const rec = await getJson<ObjectRecord>(c.deps.store, s3Keys.object(c.bucket, c.key));
    if (!rec) throw noSuchKey(c.key);
    record = rec.value;
  } else {
    ({ record, handle } = await openObject(c, c.bucket, c.key));
  }
  try {
    const status = preconditions(c, record);
    if (status === 304) {
      sendEmpty(c.res, c.ids, 304, { ETag: record.etag, 'Last-Modified': httpDate(record.lastModified) });
      return;
    }
    const part = partRange(c.query, record);
    const range = part ?? parseRange(typeof c.req.headers.range === 'string' ? c.req.headers.range : undefined, record.size);
    if (range.kind === 'unsatisfiable') {
      throw new S3Error('InvalidRange', undefined, { RangeRequested: String(c.req.headers.range), ActualObjectSize: record.size });
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, record.size - 1];
    const headers: Record<string, string | number> = {
      ...objectHeaders(record, c.query),
      'Content-Length': end - start + 1,
      ...(range.kind === 'partial' && { 'Content-Range': `bytes ${start}-${end}/${record.size}` }),
      ...(part && { 'x-amz-mp-parts-count': record.partSizes?.length ?? 1 }),
      ...(range.kind === 'whole' && c.req.headers['x-amz-checksum-mode'] === 'ENABLED' && record.checksum && {
        [`x-amz-checksum-${record.checksum.algorithm.toLowerCase()}`]: record.checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT',
      }),
    };
    c.res.writeHead(range.kind === 'partial' ? 206 : 200, { 'x-amz-request-id': c.ids.requestId, 'x-amz-id-2': c.ids.hostId, ...headers });
    if (head || record.size === 0) {
      c.res.end();
      return;
    }
    const stream = BlobFiles.readStream(handle!, start, end);
    handle = undefined; // the stream owns and closes it
    await pipeline(stream, c.res);
  } finally {
    await handle?.close();
  }
}

/** The headers GET and HEAD answer with, `response-*` query overrides applied. */
function objectHeaders(r: ObjectRecord, query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {
    'Content-Type': r.headers['content-type'] ?? DEFAULT_CONTENT_TYPE,
    ETag: r.etag,
    'Last-Modified': httpDate(r.lastModified),
    'Accept-Ranges': 'bytes',
  };
  const names: Record<string, string> = { 'content-encoding': 'Content-Encoding', 'content-disposition': 'Content-Disposition', 'content-language': 'Content-Language', 'cache-control': 'Cache-Control', expires: 'Expires' };
  for (const [h, name] of Object.entries(names)) {
    const v = r.headers[h as keyof ObjectRecord['headers']];
    if (v !== undefined) out[name] = v;
  }
  for (const [k, v] of Object.entries(r.metadata)) out[`x-amz-meta-${k}`] = v;
  const overrides: Record<string, string> = {
    'response-content-type': 'Content-Type', 'response-content-language': 'Content-Language', 'response-expires': 'Expires',
    'response-cache-control': 'Cache-Control', 'response-content-disposition': 'Content-Disposition', 'response-content-encoding': 'Content-Encoding',
  };
  for (const [param, name] of Object.entries(overrides)) {
    const v = query.get(param);
    if (v !== null) out[name] = v;
  }
  return out;
}

/** Evaluates If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (RFC 9110 §13.2.2 order). */
function preconditions(c: S3Context, r: ObjectRecord): 200 | 304 {
  const h = c.req.headers;
  const matches = (list: string) => list.split(',').map((s) => s.trim()).some((t) => t === '*' || t === r.etag || `"${t}"` === r.etag);
  const seconds = Math.floor(r.lastModified / 1000);
  const date = (v: string | undefined) => {
    const t = v === undefined ? NaN : Date.parse(v);
    return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
  };
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!matches(ifMatch)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else {
    const since = date(h['if-unmodified-since']);
    if (since !== undefined && seconds > since) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? 304 : 200;
  const modifiedSince = date(h['if-modified-since']);
  if (modifiedSince !== undefined && seconds <= modifiedSince) return 304;
  return 200;
}

/** `?partNumber=N`: the bytes of part N of a multipart object (the whole of any other as part 1). */
function partRange(query: URLSearchParams, r: ObjectRecord): ReturnType<typeof parseRange> | undefined {
  const param = query.get('partNumber');
  if (param === null) return undefined;
  const n = /^\d{1,5}$/.test(param) ? Number(param) : 0;
  if (n < 1 || n > 10_000) throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber', ArgumentValue: param });
  const sizes = r.partSizes ?? [r.size];
  if (n > sizes.length) throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: n, ActualPartCount: sizes.length });
  const start = sizes.slice(0, n - 1).reduce((a, b) => a + b, 0);
  return sizes[n - 1] === 0 ? { kind: 'whole' } : { kind: 'partial', start, end: start + sizes[n - 1]! - 1 };
}

function checkVersionId(query: URLSearchParams): void {
  const v = query.get('versionId');
  if (v !== null && v !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified: Berth\'s buckets have no versioning.', { ArgumentName: 'versionId', ArgumentValue: v });
}

export async function deleteObject(c: S3Context): Promise<void> {
  checkKey(c.key);
  checkVersionId(c.query);
  await requireBucket(c.deps.store, c.bucket);
  const removed = await removeObject(c.deps, c.bucket, c.key);
  await dropBlob(c.deps, removed?.blob);
  sendEmpty(c.res, c.ids, 204);
}

export async function deleteObjects(c: S3Context): Promise<void> {
  await requireBucket(c.deps.store, c.bucket);
  const body = await readSmallBody(c.req, MAX_DELETE_BODY_BYTES);
  checkSmallBodyIntegrity(c, body);
  let keys: string[];
  let quiet: boolean;
  try {
    const root = parseXml(body.toString('utf8'));
    if (root.name !== 'Delete') throw new XmlSyntaxError(`the root element is <${root.name}>, not <Delete>`);
    keys = childrenNamed(root, 'Object').map((o) => {
      const k = childText(o, 'Key');
      if (k === undefined) throw new XmlSyntaxError('an <Object> has no <Key>');
      return k;
    });
    quiet = childText(root, 'Quiet')?.trim() === 'true';
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${e.message}.`);
    throw e;
  }
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML', `A Delete request names 1 to ${MAX_DELETE_KEYS} objects; this one names ${keys.length}.`);
  const deleted: string[] = [];
  const errors: { key: string; code: string; message: string }[] = [];
  for (const key of keys) {
    try {
      checkKey(key);
      const removed = await removeObject(c.deps, c.bucket, key);
      await dropBlob(c.deps, removed?.blob);
      deleted.push(key);
    } catch (e) {
      if (!(e instanceof S3Error)) throw e;
      errors.push({ key, code: e.code, message: e.message });
    }
  }
  sendXml(c.res, c.ids, 200, xmlDocument('DeleteResult', [
    ...(quiet ? [] : deleted.map((k) => el('Deleted', [el('Key', k)]))),
    ...errors.map((e) => el('Error', [el('Key', e.key), el('Code', e.code), el('Message', e.message)])),
  ], S3_NAMESPACE));
}

/** DeleteObjects requires Content-MD5 or a checksum header, and the body must match it. */
function checkSmallBodyIntegrity(c: S3Context, body: Buffer): void {
  const md5 = c.req.headers['content-md5'];
  const checksumHeader = Object.keys(c.req.headers).find((h) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(h));
  if (md5 === undefined && checksumHeader === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) throw new S3Error('BadDigest', undefined, { ExpectedDigest: String(md5) });
  if (checksumHeader !== undefined) {
    const algorithm = checksumHeader.slice('x-amz-checksum-'.length).toUpperCase() as ChecksumAlgorithm;
    const sum = newChecksum(algorithm);
    sum.update(body);
    if (sum.digestBase64() !== c.req.headers[checksumHeader]) throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
  }
}
