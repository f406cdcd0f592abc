/**
 * Which requests are S3's, which bucket and key they address, and which operation they
 * are. The service comes from the SigV4 credential scope (`…/<region>/s3/aws4_request`),
 * in the Authorization header or, for a presigned URL, the X-Amz-Credential query
 * parameter (or from a Signature Version 2 signature, S3's alone): that is what tells an S3 request from the registry's (/v2/, its own tokens),
 * the JSON APIs' (POST / with X-Amz-Target) and Berth's own (/_berth/).
 *
 * Addressing (S3 user guide, "Virtual hosting of buckets"):
 * - path style, what the CLIs and SDKs use with an IP endpoint: `/<bucket>/<key>`;
 * - virtual-hosted style: `<bucket>.s3[.<region>].amazonaws.com` or `<bucket>.localhost`
 *   in the Host header, the whole path being the key.
 */

import type { IncomingMessage } from 'node:http';
import { credentialScope } from '../aws/sigv4-scope.ts';
import { S3Error } from './errors.ts';

export interface SignedScope {
  readonly accessKeyId: string;
  /** The region signed for; undefined for Signature Version 2, which names none. */
  readonly region: string | undefined;
}

/**
 * The signing scope of a request for S3, or undefined when it is not one: SigV4 with the
 * service `s3` (header, or query for a presigned URL), or Signature Version 2, which only
 * S3 still speaks (`Authorization: AWS <key>:<sig>`, or `?AWSAccessKeyId=…&Signature=…`
 * as the aws CLI v1 and boto3 presign by default).
 */
export function s3Scope(req: IncomingMessage): SignedScope | undefined {
  if (req.headers['x-amz-target'] !== undefined) return undefined;
  const url = req.url ?? '/';
  const v4 = credentialScope(req.headers, url);
  if (v4) return v4.service === 's3' ? { accessKeyId: v4.accessKeyId, region: v4.region } : undefined;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const v2 = /^AWS ([^:\s]+):\S+$/.exec(auth);
    return v2 ? { accessKeyId: v2[1]!, region: undefined } : undefined;
  }
  const q = url.indexOf('?');
  if (q < 0 || !/[?&]AWSAccessKeyId=/i.test(url)) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  const key = params.get('AWSAccessKeyId');
  return key && params.has('Signature') && params.has('Expires') ? { accessKeyId: key, region: undefined } : undefined;
}

export interface Addressed {
  /** Undefined for the service itself (ListBuckets). */
  readonly bucket: string | undefined;
  /** Undefined for a bucket (an empty key after `<bucket>/` is the bucket too). */
  readonly key: string | undefined;
  readonly query: URLSearchParams;
}

const VIRTUAL_HOST = /^(.+?)\.(?:s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com|s3\.amazonaws\.com|localhost)$/;

/** The bucket, key and query a request addresses. */
export function addressOf(req: IncomingMessage): Addressed {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const virtual = VIRTUAL_HOST.exec(host);
  if (virtual) {
    const key = decode(rawPath.slice(1));
    return { bucket: virtual[1]!, key: key === '' ? undefined : key, query };
  }
  const path = rawPath.slice(1);
  if (path === '') return { bucket: undefined, key: undefined, query };
  const slash = path.indexOf('/');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decode(path.slice(slash + 1));
  return { bucket, key: key === '' ? undefined : key, query };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

export type Operation =
  | 'ListBuckets'
  | 'CreateBucket' | 'HeadBucket' | 'DeleteBucket' | 'GetBucketLocation' | 'ListObjects' | 'ListObjectsV2' | 'DeleteObjects'
  | 'PutObject' | 'CopyObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload';

/** Query parameters that select a sub-resource of a bucket or object (ACLs, tagging, …). */
const SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataTable', 'metrics', 'notification', 'object-lock', 'ownershipControls',
  'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention', 'select',
  'session', 'tagging', 'torrent', 'versioning', 'versions', 'website', 'renameObject', 'abac',
];

/**
 * The operation a request is, from its method, what it addresses and its query (the
 * `http` traits of the S3 API model). Throws NotImplemented for S3 operations Berth does
 * not have, MethodNotAllowed for methods no S3 operation uses there.
 */
export function operationOf(method: string, a: Addressed, headers: IncomingMessage['headers']): Operation {
  const has = (name: string) => a.query.has(name);
  const sub = SUBRESOURCES.find(has);
  if (sub) throw new S3Error('NotImplemented', `Berth's S3 does not implement the '${sub}' sub-resource (${method} ?${sub}).`);
  if (method === 'GET' && a.key === undefined && has('uploads')) throw new S3Error('NotImplemented', "Berth's S3 does not implement ListMultipartUploads.");
  if (method === 'GET' && a.key !== undefined && has('uploadId')) throw new S3Error('NotImplemented', "Berth's S3 does not implement ListParts.");
  if (a.bucket === undefined) {
    if (method === 'GET') return 'ListBuckets';
    throw new S3Error('MethodNotAllowed', `The specified method is not allowed against this resource: ${method} /.`, { Method: method, ResourceType: 'SERVICE' });
  }
  if (a.key === undefined) {
    switch (method) {
      case 'PUT': return 'CreateBucket';
      case 'HEAD': return 'HeadBucket';
      case 'DELETE': return 'DeleteBucket';
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        return a.query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'POST':
        if (has('delete')) return 'DeleteObjects';
    }
    throw new S3Error('MethodNotAllowed', `The specified method is not allowed against this resource: ${method} on a bucket.`, { Method: method, ResourceType: 'BUCKET' });
  }
  switch (method) {
    case 'PUT':
      if (has('uploadId') || has('partNumber')) {
        if (headers['x-amz-copy-source'] !== undefined) throw new S3Error('NotImplemented', "Berth's S3 does not implement UploadPartCopy.");
        return 'UploadPart';
      }
      return headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'GET': return 'GetObject';
    case 'HEAD': return 'HeadObject';
    case 'DELETE': return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
  }
  throw new S3Error('MethodNotAllowed', `The specified method is not allowed against this resource: ${method} on an object.`, { Method: method, ResourceType: 'OBJECT' });
}
