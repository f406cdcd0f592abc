/**
 * ListObjectsV2 and ListObjects (v1): keys in UTF-8 byte order under a prefix, keys that
 * share a prefix up to the delimiter rolled up into one CommonPrefixes entry, at most
 * max-keys entries (keys and prefixes together) a page, and a marker to continue from.
 *
 * `listPage` is the algorithm over any ordered source of records, so it is tested without
 * a store; the handlers add the request parameters and the XML.
 */

import type { Store } from '../../store/store.ts';
import { S3Error } from './errors.ts';
import { isoDate, S3_NAMESPACE, sendXml } from './http.ts';
import { s3Keys, type ObjectRecord } from './records.ts';
import { ownerOf, requireBucket, type S3Context } from './state.ts';
import { el, xmlDocument, type XmlNode } from '../aws/xml.ts';

/** Keys a page holds at most, and without max-keys (ListObjectsV2 reference). */
export const MAX_KEYS = 1000;
/** Records read from the store per round trip while a page is assembled. */
const FETCH_BATCH = 1000;
/** The greatest code point: `p + LAST` sorts after every key that starts with `p` (but `p` + LAST + more). */
const LAST = '\u{10FFFF}';

/** Reads records in key order, strictly after `after` (all when undefined). */
export type RecordSource = (after: string | undefined, limit: number) => Promise<{ items: ObjectRecord[]; more: boolean }>;

export interface ListParams {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly maxKeys: number;
  /** Start after this key (start-after, marker, or a continuation token's marker). */
  readonly marker: string | undefined;
}

export interface ListPage {
  readonly contents: ObjectRecord[];
  readonly commonPrefixes: string[];
  readonly truncated: boolean;
  /** The last key or common prefix of the page: where the next page starts. */
  readonly last: string | undefined;
}

export async function listPage(source: RecordSource, p: ListParams): Promise<ListPage> {
  const contents: ObjectRecord[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let after = p.marker;
  const full = () => contents.length + commonPrefixes.length >= p.maxKeys;
  if (p.maxKeys === 0) return { contents, commonPrefixes, truncated: false, last };
  for (;;) {
    const batch = await source(after, FETCH_BATCH);
    let skipped = false;
    for (const r of batch.items) {
      after = r.key;
      const cp = p.delimiter ? commonPrefixOf(r.key, p.prefix, p.delimiter) : undefined;
      if (cp !== undefined) {
        // A prefix at or before the marker was on an earlier page; one just taken is this page's.
        if (cp === commonPrefixes[commonPrefixes.length - 1] || (p.marker !== undefined && utf8Compare(cp, p.marker) <= 0)) {
          after = cp + LAST;
          skipped = true;
          break;
        }
        if (full()) return { contents, commonPrefixes, truncated: true, last };
        commonPrefixes.push(cp);
        last = cp;
        after = cp + LAST;
        skipped = true;
        break;
      }
      if (full()) return { contents, commonPrefixes, truncated: true, last };
      contents.push(r);
      last = r.key;
    }
    if (!skipped && !batch.more) return { contents, commonPrefixes, truncated: false, last };
  }
}

/** The common prefix a key rolls up into, or undefined when it has no delimiter after the prefix. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | undefined {
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function storeSource(store: Store, bucket: string, prefix: string): RecordSource {
  const base = s3Keys.objects(bucket);
  return async (after, limit) => {
    const r = await store.list(base + prefix, { limit, ...(after !== undefined && { after: base + after }) });
    return { items: r.items.map((kv) => JSON.parse(kv.value) as ObjectRecord), more: r.more };
  };
}

function params(q: URLSearchParams): { prefix: string; delimiter: string | undefined; maxKeys: number; url: boolean } {
  const max = q.get('max-keys');
  if (max !== null && !/^\d{1,10}$/.test(max)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: max });
  const encoding = q.get('encoding-type');
  if (encoding !== null && encoding !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encoding });
  const delimiter = q.get('delimiter');
  return { prefix: q.get('prefix') ?? '', delimiter: delimiter === null || delimiter === '' ? undefined : delimiter, maxKeys: max === null ? MAX_KEYS : Math.min(Number(max), MAX_KEYS), url: encoding === 'url' };
}

/** Keys as `encoding-type=url` returns them: percent-encoded, '/' left as it is. */
function urlEncode(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

const TOKEN_TAG = 'berth1:';

function encodeToken(marker: string): string {
  return Buffer.from(TOKEN_TAG + marker, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(TOKEN_TAG)) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
  return text.slice(TOKEN_TAG.length);
}

function contentsXml(page: ListPage, enc: (s: string) => string, owner: XmlNode | undefined): XmlNode[] {
  return [
    ...page.contents.map((r) => el('Contents', [
      el('Key', enc(r.key)),
      el('LastModified', isoDate(r.lastModified)),
      el('ETag', r.etag),
      ...(r.checksum ? [el('ChecksumAlgorithm', r.checksum.algorithm), el('ChecksumType', 'FULL_OBJECT')] : []),
      el('Size', r.size),
      ...(owner ? [owner] : []),
      el('StorageClass', 'STANDARD'),
    ])),
    ...page.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', enc(p))])),
  ];
}

/** What both ListObjects versions start with: the bucket checked, the page from `marker` on. */
async function listing(c: S3Context, marker: string | undefined) {
  await requireBucket(c.deps.store, c.bucket);
  const p = params(c.query);
  const page = await listPage(storeSource(c.deps.store, c.bucket, p.prefix), { ...p, marker });
  const enc = p.url ? urlEncode : (s: string) => s;
  const owner = ownerOf(c.deps.accountId);
  return { p, page, enc, ownerXml: el('Owner', [el('ID', owner.id), el('DisplayName', owner.displayName)]) };
}

export async function listObjectsV2(c: S3Context): Promise<void> {
  const token = c.query.get('continuation-token');
  const startAfter = c.query.get('start-after') ?? undefined;
  const { p, page, enc, ownerXml } = await listing(c, token !== null ? decodeToken(token) : startAfter);
  sendXml(c.res, c.ids, 200, xmlDocument('ListBucketResult', [
    el('Name', c.bucket),
    el('Prefix', enc(p.prefix)),
    el('Delimiter', p.delimiter === undefined ? undefined : enc(p.delimiter)),
    el('MaxKeys', p.maxKeys),
    el('EncodingType', p.url ? 'url' : undefined),
    el('KeyCount', page.contents.length + page.commonPrefixes.length),
    el('IsTruncated', page.truncated),
    el('ContinuationToken', token ?? undefined),
    el('NextContinuationToken', page.truncated && page.last !== undefined ? encodeToken(page.last) : undefined),
    el('StartAfter', startAfter === undefined ? undefined : enc(startAfter)),
    ...contentsXml(page, enc, c.query.get('fetch-owner') === 'true' ? ownerXml : undefined),
  ], S3_NAMESPACE));
}

export async function listObjects(c: S3Context): Promise<void> {
  const marker = c.query.get('marker') ?? undefined;
  const { p, page, enc, ownerXml } = await listing(c, marker);
  sendXml(c.res, c.ids, 200, xmlDocument('ListBucketResult', [
    el('Name', c.bucket),
    el('Prefix', enc(p.prefix)),
    el('Marker', enc(marker ?? '')),
    // S3 gives NextMarker only with a delimiter; without one, clients continue from the last key.
    el('NextMarker', page.truncated && p.delimiter !== undefined && page.last !== undefined ? enc(page.last) : undefined),
    el('MaxKeys', p.maxKeys),
    el('Delimiter', p.delimiter === undefined ? undefined : enc(p.delimiter)),
    el('IsTruncated', page.truncated),
    el('EncodingType', p.url ? 'url' : undefined),
    ...contentsXml(page, enc, ownerXml),
  ], S3_NAMESPACE));
}
