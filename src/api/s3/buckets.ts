/** Bucket operations: CreateBucket, HeadBucket, ListBuckets, DeleteBucket, GetBucketLocation. */

import { anyUnder, getJson } from '../../store/json.ts';
import { S3Error, noSuchBucket } from './errors.ts';
import { isoDate, readSmallBody, S3_NAMESPACE, sendEmpty, sendXml } from './http.ts';
import { checkNewBucketName } from './names.ts';
import { s3Keys, type BucketRecord, type PartRecord, type UploadRecord } from './records.ts';
import { dropBlob, getBucket, ownerOf, requireBucket, type S3Context, type S3Deps } from './state.ts';
import { childText, el, parseXml, xmlDocument, XmlSyntaxError } from '../aws/xml.ts';
import type { RequestIds } from './http.ts';
import type { ServerResponse } from 'node:http';

/** A CreateBucketConfiguration is a few hundred bytes. */
const MAX_CONFIGURATION_BYTES = 64 * 1024;
/** ListBuckets' page size when the request asks for none, and its largest (S3 API reference). */
const MAX_BUCKETS_PAGE = 10_000;
/** The region whose CreateBucket of an existing bucket of yours answers 200 (legacy behaviour, CreateBucket reference). */
const LEGACY_REGION = 'us-east-1';

export async function createBucket(c: S3Context): Promise<void> {
  checkNewBucketName(c.bucket);
  const body = await readSmallBody(c.req, MAX_CONFIGURATION_BYTES);
  const region = locationConstraint(body, c.region);
  const key = s3Keys.bucket(c.bucket);
  const record: BucketRecord = { name: c.bucket, region, createdAt: c.deps.now() };
  const r = await c.deps.store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
  if (!r.ok) {
    const existing = await getBucket(c.deps.store, c.bucket);
    // S3 documents that re-creating a bucket you own in us-east-1 succeeds; elsewhere it is an error.
    if (!(existing?.value.region === LEGACY_REGION && region === LEGACY_REGION)) {
      throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: c.bucket });
    }
  }
  sendEmpty(c.res, c.ids, 200, { Location: `/${c.bucket}` });
}

/**
 * The bucket's region: the configuration's LocationConstraint, which must agree with the
 * region the request was signed for (as a regional S3 endpoint requires); without one,
 * the request's region.
 */
function locationConstraint(body: Buffer, requestRegion: string): string {
  if (body.length === 0) return requestRegion;
  let constraint: string | undefined;
  try {
    const root = parseXml(body.toString('utf8'));
    if (root.name !== 'CreateBucketConfiguration') throw new XmlSyntaxError(`the root element is <${root.name}>, not <CreateBucketConfiguration>`);
    constraint = childText(root, 'LocationConstraint')?.trim();
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${e.message}.`);
    throw e;
  }
  if (constraint === undefined || constraint === '') return requestRegion;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(constraint) && constraint !== 'EU') {
    throw new S3Error('InvalidLocationConstraint', `The specified location-constraint '${constraint}' is not valid.`, { LocationConstraint: constraint });
  }
  const region = constraint === 'EU' ? 'eu-west-1' : constraint;
  if (region !== requestRegion) {
    throw new S3Error('IllegalLocationConstraintException', `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to (${requestRegion}): sign the request for ${region}, or leave LocationConstraint out.`);
  }
  return region;
}

export async function headBucket(c: S3Context): Promise<void> {
  const b = await requireBucket(c.deps.store, c.bucket);
  sendEmpty(c.res, c.ids, 200, { 'x-amz-bucket-region': b.value.region, 'x-amz-access-point-alias': 'false' });
}

export async function getBucketLocation(c: S3Context): Promise<void> {
  const b = await requireBucket(c.deps.store, c.bucket);
  // us-east-1 is the empty constraint (GetBucketLocation reference).
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${b.value.region === LEGACY_REGION ? '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>' : `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${b.value.region}</LocationConstraint>`}`;
  sendXml(c.res, c.ids, 200, body);
}

export async function listBuckets(deps: S3Deps, res: ServerResponse, ids: RequestIds, query: URLSearchParams): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const maxParam = query.get('max-buckets');
  if (maxParam !== null && !/^\d+$/.test(maxParam)) throw new S3Error('InvalidArgument', 'max-buckets must be an integer between 1 and 10000.', { ArgumentName: 'max-buckets', ArgumentValue: maxParam });
  const max = maxParam === null ? MAX_BUCKETS_PAGE : Math.max(1, Math.min(Number(maxParam), MAX_BUCKETS_PAGE));
  const token = query.get('continuation-token');
  const after = token ? decodeToken(token) : undefined;
  const page = await deps.store.list(s3Keys.bucket(prefix), { limit: max, ...(after !== undefined && { after: s3Keys.bucket(after) }) });
  const buckets = page.items.map((kv) => JSON.parse(kv.value) as BucketRecord);
  const owner = ownerOf(deps.accountId);
  const last = buckets[buckets.length - 1];
  sendXml(res, ids, 200, xmlDocument('ListAllMyBucketsResult', [
    el('Owner', [el('ID', owner.id), el('DisplayName', owner.displayName)]),
    el('Buckets', buckets.map((b) => el('Bucket', [el('Name', b.name), el('CreationDate', isoDate(b.createdAt)), el('BucketRegion', b.region)]))),
    el('ContinuationToken', page.more && last ? Buffer.from(last.name).toString('base64url') : undefined),
    el('Prefix', query.has('prefix') ? prefix : undefined),
  ], S3_NAMESPACE));
}

function decodeToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[a-z0-9.-]{1,255}$/.test(name)) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect.', { ArgumentName: 'continuation-token', ArgumentValue: token });
  return name;
}

/** Attempts at DeleteBucket's mark-check-remove before it reports contention. */
const DELETE_ATTEMPTS = 20;

export async function deleteBucket(c: S3Context): Promise<void> {
  const { store } = c.deps;
  const key = s3Keys.bucket(c.bucket);
  for (let i = 0; i < DELETE_ATTEMPTS; i++) {
    const b = await getJson<BucketRecord>(store, key);
    if (!b) throw noSuchBucket(c.bucket);
    const { deletingSince: _, ...plain } = b.value;
    const marked = await store.txn({ if: [{ key, modRevision: b.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify({ ...plain, deletingSince: c.deps.now() }) }] });
    if (!marked.ok) continue;
    if (await anyUnder(store, s3Keys.objects(c.bucket))) {
      await store.txn({ if: [{ key, modRevision: marked.revision }], ops: [{ type: 'put', key, value: JSON.stringify(plain) }] });
      throw new S3Error('BucketNotEmpty', undefined, { BucketName: c.bucket });
    }
    // Multipart uploads in progress go with the bucket; their part files after it.
    const uploads = (await store.list(s3Keys.uploads(c.bucket))).items.map((kv) => JSON.parse(kv.value) as UploadRecord);
    const partBlobs: string[] = [];
    for (const u of uploads) {
      for (const kv of (await store.list(s3Keys.parts(u.uploadId))).items) partBlobs.push((JSON.parse(kv.value) as PartRecord).blob);
    }
    const removed = await store.txn({
      if: [{ key, modRevision: marked.revision }],
      ops: [{ type: 'delete', key }, { type: 'deletePrefix', prefix: s3Keys.uploads(c.bucket) }, ...uploads.map((u) => ({ type: 'deletePrefix' as const, prefix: s3Keys.parts(u.uploadId) }))],
    });
    if (!removed.ok) continue;
    for (const id of partBlobs) await dropBlob(c.deps, id);
    sendEmpty(c.res, c.ids, 204);
    return;
  }
  throw new S3Error('InternalError', 'The bucket is too busy to delete; try again.');
}
