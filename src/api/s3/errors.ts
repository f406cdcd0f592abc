/**
 * The errors Berth's S3 answers with: S3's own codes, HTTP statuses and default messages
 * (Amazon S3 API reference, "Error responses"), and their XML body
 *
 *   <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
 *          <Key>a.txt</Key><RequestId>…</RequestId><HostId>…</HostId></Error>
 *
 * S3 errors are XML and carry extra elements per code (BucketName, Key, UploadId, …), so
 * they have their own catalog rather than src/core/errors.ts, whose errors are JSON.
 */

import { el, xmlDocument } from '../aws/xml.ts';

interface Entry {
  readonly status: number;
  readonly message: string;
}

const entry = (status: number, message: string): Entry => ({ status, message });

export const s3Catalog = {
  AccessDenied: entry(403, 'Access Denied'),
  BadDigest: entry(400, 'The Content-MD5 you specified did not match what we received.'),
  BucketAlreadyOwnedByYou: entry(409, 'Your previous request to create the named bucket succeeded and you already own it.'),
  BucketNotEmpty: entry(409, 'The bucket you tried to delete is not empty'),
  EntityTooLarge: entry(400, 'Your proposed upload exceeds the maximum allowed size'),
  EntityTooSmall: entry(400, 'Your proposed upload is smaller than the minimum allowed object size.'),
  IllegalLocationConstraintException: entry(400, 'The location constraint is incompatible for the region specific endpoint this request was sent to.'),
  IncompleteBody: entry(400, 'You did not provide the number of bytes specified by the Content-Length HTTP header'),
  InternalError: entry(500, 'We encountered an internal error. Please try again.'),
  InvalidArgument: entry(400, 'Invalid Argument'),
  InvalidBucketName: entry(400, 'The specified bucket is not valid.'),
  InvalidDigest: entry(400, 'The Content-MD5 you specified was invalid.'),
  InvalidLocationConstraint: entry(400, 'The specified location-constraint is not valid'),
  InvalidPart: entry(400, 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.'),
  InvalidPartOrder: entry(400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'),
  InvalidPartNumber: entry(416, 'The requested partnumber is not satisfiable'),
  InvalidRange: entry(416, 'The requested range is not satisfiable'),
  InvalidRequest: entry(400, 'Invalid Request'),
  InvalidURI: entry(400, "Couldn't parse the specified URI."),
  KeyTooLongError: entry(400, 'Your key is too long'),
  MalformedXML: entry(400, 'The XML you provided was not well-formed or did not validate against our published schema'),
  MaxMessageLengthExceeded: entry(400, 'Your request was too big.'),
  MetadataTooLarge: entry(400, 'Your metadata headers exceed the maximum allowed metadata size'),
  MethodNotAllowed: entry(405, 'The specified method is not allowed against this resource.'),
  MissingContentLength: entry(411, 'You must provide the Content-Length HTTP header.'),
  NoSuchBucket: entry(404, 'The specified bucket does not exist'),
  NoSuchKey: entry(404, 'The specified key does not exist.'),
  NoSuchUpload: entry(404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.'),
  NotImplemented: entry(501, 'A header you provided implies functionality that is not implemented'),
  PreconditionFailed: entry(412, 'At least one of the pre-conditions you specified did not hold'),
  XAmzContentSHA256Mismatch: entry(400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
} as const satisfies Record<string, Entry>;

export type S3ErrorCode = keyof typeof s3Catalog;

/**
 * An S3 error answer. `details` become extra elements of the body, in order
 * (`{ BucketName: 'x' }` → `<BucketName>x</BucketName>`), as S3 adds them per code.
 */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly details: Readonly<Record<string, string | number>>;
  constructor(code: S3ErrorCode, message?: string, details: Readonly<Record<string, string | number>> = {}) {
    super(message ?? s3Catalog[code].message);
    this.name = code;
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return s3Catalog[this.code].status;
  }
}

export const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
export const noSuchKey = (key: string) => new S3Error('NoSuchKey', undefined, { Key: key });
export const noSuchUpload = (uploadId: string) => new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });

/** The XML body of an error answer. */
export function errorXml(err: S3Error, requestId: string, hostId: string): string {
  // Error documents carry no namespace (S3 writes a bare <Error>).
  return xmlDocument('Error', [
    el('Code', err.code),
    el('Message', err.message),
    ...Object.entries(err.details).map(([k, v]) => el(k, v)),
    el('RequestId', requestId),
    el('HostId', hostId),
  ]);
}
