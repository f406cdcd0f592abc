import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { addressOf, operationOf, s3Scope } from './request.ts';
import { S3Error } from './errors.ts';

const req = (url: string, headers: Record<string, string> = {}, method = 'GET') => ({ url, method, headers: { host: '127.0.0.1:8700', ...headers } }) as unknown as IncomingMessage;
const SIG = '0'.repeat(64);
const v4 = (service: string, region = 'eu-west-1') => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261125/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}` });

test('a request is S3\'s when signed for s3: SigV4 header or query, or Signature Version 2', () => {
  assert.deepEqual(s3Scope(req('/b/k', v4('s3'))), { accessKeyId: 'AKID', region: 'eu-west-1' });
  assert.deepEqual(s3Scope(req(`/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261125%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Signature=${SIG}`)), { accessKeyId: 'AKID', region: 'us-west-2' });
  assert.deepEqual(s3Scope(req('/b/k?AWSAccessKeyId=AKID&Signature=abc%3D&Expires=1796433071')), { accessKeyId: 'AKID', region: undefined });
  assert.deepEqual(s3Scope(req('/b/k', { authorization: 'AWS AKID:c2lnbmF0dXJl' })), { accessKeyId: 'AKID', region: undefined });
});

test('the registry, the JSON APIs and unsigned requests are not S3\'s', () => {
  assert.equal(s3Scope(req('/v2/app/manifests/latest', { authorization: 'Bearer abc' })), undefined);
  assert.equal(s3Scope(req('/v2/', { authorization: 'Basic QVdTOnRva2Vu' })), undefined);
  assert.equal(s3Scope(req('/', { ...v4('ecs'), 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' }, 'POST')), undefined);
  assert.equal(s3Scope(req('/', { ...v4('s3'), 'x-amz-target': 'X.Y' }, 'POST')), undefined);
  assert.equal(s3Scope(req('/b/k', v4('ecr'))), undefined);
  assert.equal(s3Scope(req('/_berth/health')), undefined);
  assert.equal(s3Scope(req('/b/k?X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fsqs%2Faws4_request')), undefined);
});

test('path style: the first segment is the bucket, the rest (decoded, slashes kept) the key', () => {
  const a = addressOf(req('/my-bucket/dir/a%20b%2Bc/%F0%9F%98%80.txt?list-type=2'));
  assert.deepEqual([a.bucket, a.key, a.query.get('list-type')], ['my-bucket', 'dir/a b+c/😀.txt', '2']);
  assert.deepEqual([addressOf(req('/')).bucket, addressOf(req('/b')).key, addressOf(req('/b/')).key], [undefined, undefined, undefined]);
  assert.equal(addressOf(req('/b/a//b/')).key, 'a//b/');
  assert.throws(() => addressOf(req('/b/%E0%A4%A')), (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI');
});

test('virtual-hosted style: the bucket is in the Host header, the whole path is the key', () => {
  for (const host of ['my-bucket.s3.amazonaws.com', 'my-bucket.s3.eu-west-1.amazonaws.com', 'my-bucket.localhost:8700']) {
    const a = addressOf(req('/dir/k.txt', { host }));
    assert.deepEqual([a.bucket, a.key], ['my-bucket', 'dir/k.txt'], host);
  }
  assert.deepEqual(addressOf(req('/', { host: 'my-bucket.localhost' })).key, undefined);
});

test('the operation follows from method, bucket, key and query, as in the S3 API model', () => {
  const op = (method: string, url: string, headers: Record<string, string> = {}) => operationOf(method, addressOf(req(url)), headers);
  const cases: [string, string, string, Record<string, string>?][] = [
    ['GET', '/', 'ListBuckets'], ['PUT', '/b', 'CreateBucket'], ['HEAD', '/b', 'HeadBucket'], ['DELETE', '/b', 'DeleteBucket'],
    ['GET', '/b?location', 'GetBucketLocation'], ['GET', '/b?list-type=2&prefix=a', 'ListObjectsV2'], ['GET', '/b?prefix=a', 'ListObjects'],
    ['POST', '/b?delete', 'DeleteObjects'], ['PUT', '/b/k', 'PutObject'], ['PUT', '/b/k?x-id=PutObject', 'PutObject'],
    ['PUT', '/b/k', 'CopyObject', { 'x-amz-copy-source': '/a/b' }], ['GET', '/b/k', 'GetObject'], ['HEAD', '/b/k', 'HeadObject'],
    ['DELETE', '/b/k', 'DeleteObject'], ['POST', '/b/k?uploads', 'CreateMultipartUpload'], ['PUT', '/b/k?partNumber=1&uploadId=u', 'UploadPart'],
    ['POST', '/b/k?uploadId=u', 'CompleteMultipartUpload'], ['DELETE', '/b/k?uploadId=u', 'AbortMultipartUpload'],
  ];
  for (const [method, url, expected, headers] of cases) assert.equal(op(method, url, headers), expected, `${method} ${url}`);
  assert.throws(() => op('GET', '/b?acl'), (e: unknown) => e instanceof S3Error && e.code === 'NotImplemented' && e.status === 501);
  assert.throws(() => op('PUT', '/b/k?tagging'), (e: unknown) => e instanceof S3Error && e.code === 'NotImplemented');
  assert.throws(() => op('POST', '/b/k'), (e: unknown) => e instanceof S3Error && e.code === 'MethodNotAllowed' && e.status === 405);
  assert.throws(() => op('DELETE', '/'), (e: unknown) => e instanceof S3Error && e.code === 'MethodNotAllowed');
});
