/**
 * What Berth's S3 keeps in the store, and where. One module owns the layout:
 *
 *   /s3/buckets/<bucket>                  BucketRecord
 *   /s3/objects/<bucket>/<key>            ObjectRecord (the bytes are a blob on disk, blobs.ts)
 *   /s3/uploads/<bucket>/<uploadId>       UploadRecord (a multipart upload in progress)
 *   /s3/parts/<uploadId>/<part, 5 digits> PartRecord
 *
 * Bucket names cannot contain '/', so `/s3/objects/<bucket>/` holds exactly that bucket's
 * objects, in key order: the store orders keys by their UTF-8 bytes, as S3 lists them.
 * Times are epoch milliseconds.
 */

import type { ChecksumAlgorithm } from './checksums.ts';

export interface BucketRecord {
  readonly name: string;
  readonly region: string;
  readonly createdAt: number;
  /**
   * Set while DeleteBucket checks that the bucket is empty. A write that would add an
   * object waits for it to clear (the bucket stays) or the bucket to go (NoSuchBucket).
   */
  readonly deletingSince?: number;
}

/** The headers an object keeps as sent and answers with on GET and HEAD. */
export const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'] as const;
export type StoredHeader = (typeof STORED_HEADERS)[number];

export interface ObjectChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Base64, as in the x-amz-checksum-* headers. */
  readonly value: string;
}

export interface ObjectRecord {
  readonly key: string;
  /** Id of the file holding the bytes (blobs.ts). */
  readonly blob: string;
  readonly size: number;
  /** With its quotes: `"<md5 hex>"`, or `"<md5 of the parts' md5s>-<parts>"` after a multipart upload. */
  readonly etag: string;
  readonly lastModified: number;
  readonly headers: Readonly<Partial<Record<StoredHeader, string>>>;
  /** `x-amz-meta-*` headers, names lower-case and without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The checksum the client sent and Berth verified (whole object), if any. */
  readonly checksum?: ObjectChecksum;
  /** The size of each part, for an object made by a multipart upload (GetObject ?partNumber=). */
  readonly partSizes?: readonly number[];
}

export interface UploadRecord {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: number;
  readonly headers: Readonly<Partial<Record<StoredHeader, string>>>;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly blob: string;
  readonly size: number;
  /** MD5 of the part, hex (its ETag without quotes). */
  readonly md5: string;
  readonly lastModified: number;
}

const BUCKETS = '/s3/buckets/';
const OBJECTS = '/s3/objects/';
const UPLOADS = '/s3/uploads/';
const PARTS = '/s3/parts/';

export const s3Keys = {
  buckets: () => BUCKETS,
  bucket: (name: string) => BUCKETS + name,
  allObjects: () => OBJECTS,
  objects: (bucket: string) => `${OBJECTS}${bucket}/`,
  object: (bucket: string, key: string) => `${OBJECTS}${bucket}/${key}`,
  uploads: (bucket: string) => `${UPLOADS}${bucket}/`,
  upload: (bucket: string, uploadId: string) => `${UPLOADS}${bucket}/${uploadId}`,
  allParts: () => PARTS,
  parts: (uploadId: string) => `${PARTS}${uploadId}/`,
  part: (uploadId: string, partNumber: number) => `${PARTS}${uploadId}/${String(partNumber).padStart(5, '0')}`,
};
