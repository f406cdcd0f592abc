/**
 * Multipart upload, what `aws s3 cp` uses for files over 8 MB: CreateMultipartUpload,
 * UploadPart, CompleteMultipartUpload, AbortMultipartUpload. Each part is a blob of its
 * own with a record under the upload; completing checks the list of parts, joins their
 * bytes into one new blob and commits the object while removing the upload, in one
 * transaction. The ETag is S3's: the MD5 of the parts' binary MD5s, then `-<parts>`.
 */

import { createHash, randomBytes } from 'node:crypto';
import { getJson } from '../../store/json.ts';
import { noSuchUpload, S3Error } from './errors.ts';
import { readSmallBody, S3_NAMESPACE, sendEmpty, sendXml } from './http.ts';
import { checkKey } from './names.ts';
import { commitAndReplace } from './objects.ts';
import { s3Keys, type ObjectRecord, type PartRecord, type UploadRecord } from './records.ts';
import { dropBlob, liveBucket, requireBucket, type S3Context } from './state.ts';
import { readUploadHeaders, receiveBody, storedHeadersOf } from './upload-body.ts';
import { childrenNamed, childText, el, parseXml, xmlDocument, XmlSyntaxError } from '../aws/xml.ts';

/** Part numbers run 1 to 10,000 (S3 user guide, "Amazon S3 multipart upload limits"). */
export const MAX_PARTS = 10_000;
/** Every part but the last has at least 5 MiB (same limits). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** A CompleteMultipartUpload document of 10,000 parts is about 1 MB. */
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

export async function createMultipartUpload(c: S3Context): Promise<void> {
  checkKey(c.key);
  const kept = storedHeadersOf(c.req.headers);
  const uploadId = randomBytes(24).toString('base64url');
  const upload: UploadRecord = { uploadId, bucket: c.bucket, key: c.key, initiated: c.deps.now(), headers: kept.headers, metadata: kept.metadata };
  for (;;) {
    const b = await liveBucket(c.deps, c.bucket);
    const key = s3Keys.upload(c.bucket, uploadId);
    const r = await c.deps.store.txn({ if: [{ key: s3Keys.bucket(c.bucket), modRevision: b.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(upload) }] });
    if (r.ok) break;
  }
  sendXml(c.res, c.ids, 200, xmlDocument('InitiateMultipartUploadResult', [el('Bucket', c.bucket), el('Key', c.key), el('UploadId', uploadId)], S3_NAMESPACE));
}

async function requireUpload(c: S3Context, uploadId: string): Promise<{ upload: UploadRecord; modRevision: number }> {
  await requireBucket(c.deps.store, c.bucket);
  const u = /^[A-Za-z0-9_-]{1,64}$/.test(uploadId) ? await getJson<UploadRecord>(c.deps.store, s3Keys.upload(c.bucket, uploadId)) : undefined;
  if (!u || u.value.key !== c.key) throw noSuchUpload(uploadId);
  return { upload: u.value, modRevision: u.modRevision };
}

function partNumberOf(value: string | null): number {
  const n = value !== null && /^\d{1,5}$/.test(value) ? Number(value) : 0;
  if (n < 1 || n > MAX_PARTS) throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: value ?? '' });
  return n;
}

export async function uploadPart(c: S3Context): Promise<void> {
  const uploadId = c.query.get('uploadId') ?? '';
  const partNumber = partNumberOf(c.query.get('partNumber'));
  const headers = readUploadHeaders(c.req.headers);
  const { modRevision } = await requireUpload(c, uploadId);
  const body = await receiveBody(c.req, headers, c.deps.blobs);
  const blob = await c.deps.blobs.adopt(body.tempPath).catch(async (e: unknown) => { await c.deps.blobs.removeTemp(body.tempPath); throw e; });
  const part: PartRecord = { partNumber, blob, size: body.size, md5: body.md5, lastModified: c.deps.now() };
  const key = s3Keys.part(uploadId, partNumber);
  const uploadKey = s3Keys.upload(c.bucket, uploadId);
  let replaced: PartRecord | undefined;
  for (;;) {
    const cur = await getJson<PartRecord>(c.deps.store, key);
    const r = await c.deps.store.txn({ if: [{ key: uploadKey, modRevision }, { key, modRevision: cur?.modRevision ?? 0 }], ops: [{ type: 'put', key, value: JSON.stringify(part) }] });
    if (r.ok) { replaced = cur?.value; break; }
    if (r.failed.includes(uploadKey)) {
      await dropBlob(c.deps, blob);
      throw noSuchUpload(uploadId);
    }
  }
  await dropBlob(c.deps, replaced?.blob);
  sendEmpty(c.res, c.ids, 200, {
    ETag: `"${body.md5}"`,
    ...(body.checksum && { [`x-amz-checksum-${body.checksum.algorithm.toLowerCase()}`]: body.checksum.value }),
  });
}

/** The parts a CompleteMultipartUpload request lists, in its order. */
function listedParts(body: Buffer): { partNumber: number; etag: string }[] {
  try {
    const root = parseXml(body.toString('utf8'));
    if (root.name !== 'CompleteMultipartUpload') throw new XmlSyntaxError(`the root element is <${root.name}>, not <CompleteMultipartUpload>`);
    return childrenNamed(root, 'Part').map((p) => {
      const n = childText(p, 'PartNumber')?.trim();
      const etag = childText(p, 'ETag')?.trim();
      if (n === undefined || !/^\d{1,5}$/.test(n) || etag === undefined) throw new XmlSyntaxError('every <Part> needs a <PartNumber> and an <ETag>');
      return { partNumber: Number(n), etag: etag.replace(/^"|"$/g, '') };
    });
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${e.message}.`);
    throw e;
  }
}

export async function completeMultipartUpload(c: S3Context): Promise<void> {
  const uploadId = c.query.get('uploadId') ?? '';
  const { upload, modRevision } = await requireUpload(c, uploadId);
  const listed = listedParts(await readSmallBody(c.req, MAX_COMPLETE_BODY_BYTES));
  if (listed.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: it lists no parts.');
  const stored = new Map((await c.deps.store.list(s3Keys.parts(uploadId))).items.map((kv) => {
    const p = JSON.parse(kv.value) as PartRecord;
    return [p.partNumber, p] as const;
  }));
  const parts: PartRecord[] = [];
  for (const [i, l] of listed.entries()) {
    if (i > 0 && l.partNumber <= listed[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', undefined, { UploadId: uploadId });
    const p = stored.get(l.partNumber);
    if (!p || p.md5 !== l.etag.toLowerCase()) throw new S3Error('InvalidPart', undefined, { UploadId: uploadId, PartNumber: l.partNumber, ETag: l.etag });
    parts.push(p);
  }
  for (const [i, p] of parts.entries()) {
    if (i < parts.length - 1 && p.size < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size: part ${p.partNumber} has ${p.size} bytes, and every part but the last needs at least ${MIN_PART_BYTES}.`, { ProposedSize: p.size, MinSizeAllowed: MIN_PART_BYTES, PartNumber: p.partNumber, ETag: `"${p.md5}"` });
    }
  }
  const temp = c.deps.blobs.newTempPath();
  let blob: string;
  try {
    await c.deps.blobs.concatenate(parts.map((p) => p.blob), temp);
    blob = await c.deps.blobs.adopt(temp);
  } catch (e) {
    await c.deps.blobs.removeTemp(temp);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload(uploadId);
    throw e;
  }
  const md5s = createHash('md5');
  for (const p of parts) md5s.update(Buffer.from(p.md5, 'hex'));
  const record: ObjectRecord = {
    key: c.key, blob, size: parts.reduce((s, p) => s + p.size, 0), etag: `"${md5s.digest('hex')}-${parts.length}"`,
    lastModified: c.deps.now(), headers: upload.headers, metadata: upload.metadata, partSizes: parts.map((p) => p.size),
  };
  const uploadKey = s3Keys.upload(c.bucket, uploadId);
  await commitAndReplace(c, record, {
    if: [{ key: uploadKey, modRevision }],
    ops: [{ type: 'delete', key: uploadKey }, { type: 'deletePrefix', prefix: s3Keys.parts(uploadId) }],
    onExtraFailed: () => noSuchUpload(uploadId),
  });
  // Every stored part goes, listed or not: the upload is over.
  for (const p of stored.values()) await dropBlob(c.deps, p.blob);
  const location = `http://${c.req.headers.host ?? 'localhost'}/${c.bucket}/${encodeURIComponent(c.key).replace(/%2F/g, '/')}`;
  sendXml(c.res, c.ids, 200, xmlDocument('CompleteMultipartUploadResult', [el('Location', location), el('Bucket', c.bucket), el('Key', c.key), el('ETag', record.etag)], S3_NAMESPACE));
}

export async function abortMultipartUpload(c: S3Context): Promise<void> {
  const uploadId = c.query.get('uploadId') ?? '';
  const { modRevision } = await requireUpload(c, uploadId);
  const parts = (await c.deps.store.list(s3Keys.parts(uploadId))).items.map((kv) => JSON.parse(kv.value) as PartRecord);
  const uploadKey = s3Keys.upload(c.bucket, uploadId);
  const r = await c.deps.store.txn({ if: [{ key: uploadKey, modRevision }], ops: [{ type: 'delete', key: uploadKey }, { type: 'deletePrefix', prefix: s3Keys.parts(uploadId) }] });
  if (!r.ok) throw noSuchUpload(uploadId);
  for (const p of parts) await dropBlob(c.deps, p.blob);
  sendEmpty(c.res, c.ids, 204);
}
