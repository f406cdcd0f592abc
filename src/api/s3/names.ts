/**
 * Bucket and key names, as S3 rules them (Amazon S3 user guide, "General purpose bucket
 * naming rules" and "Naming Amazon S3 objects").
 */

import { S3Error } from './errors.ts';

/** Longest object key, in UTF-8 bytes (S3 user guide, "Naming Amazon S3 objects"). */
export const MAX_KEY_BYTES = 1024;

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** Prefixes and suffixes S3 reserves for its own kinds of names. */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why `name` cannot be a new bucket's name, or undefined when it can. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'a bucket name has 3 to 63 characters';
  if (!BUCKET_CHARS.test(name)) return 'a bucket name has only lower-case letters, digits, dots and hyphens, and begins and ends with a letter or digit';
  if (name.includes('..')) return 'a bucket name has no two adjacent dots';
  if (IPV4.test(name)) return 'a bucket name is not an IP address';
  for (const p of RESERVED_PREFIXES) if (name.startsWith(p)) return `a bucket name does not begin with ${p}`;
  for (const s of RESERVED_SUFFIXES) if (name.endsWith(s)) return `a bucket name does not end with ${s}`;
  return undefined;
}

/** Throws InvalidBucketName unless `name` can be a new bucket's name. */
export function checkNewBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) throw new S3Error('InvalidBucketName', `The specified bucket is not valid: ${problem}.`, { BucketName: name });
}

/**
 * True when `name` could name an existing bucket: S3 still serves legacy names (upper
 * case, underscores, up to 255 characters) it no longer lets anyone create. Berth never
 * created one, so such a name is simply a bucket that does not exist.
 */
export function couldBeBucketName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,255}$/.test(name);
}

/** Throws unless `key` can name an object: not empty, at most 1024 bytes, valid UTF-8 text. */
export function checkKey(key: string): void {
  if (key === '') throw new S3Error('InvalidArgument', 'An object key must not be empty.');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', `Your key is too long: ${bytes} bytes; the limit is ${MAX_KEY_BYTES} bytes of UTF-8.`, { Size: bytes, MaxSizeAllowed: MAX_KEY_BYTES });
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(key)) {
    throw new S3Error('InvalidArgument', 'The object key is not valid UTF-8.');
  }
}
