// The S3 service in process, over HTTP: the wire details the CLIs do not show (error
// bodies, digests, aws-chunked framing, preconditions) and the store and disk rules
// behind them (what a failed upload leaves, DeleteBucket against writers, the sweep).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../store/store.ts';
import type { S3Service } from './index.ts';
import { startS3TestServer, type S3TestServer } from './testing.ts';
import { s3Keys } from './records.ts';

let server: S3TestServer;
let dir: string;
let store: Store;
let s3: S3Service;
let url: string;

before(async () => {
  server = await startS3TestServer();
  ({ dir, store, s3, url } = server);
});

after(() => server.close());

const AUTH = (region = 'us-east-1') => `AWS4-HMAC-SHA256 Credential=AKID/20261125/${region}/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const md5b64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');

async function call(method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string>; region?: string } = {}) {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const res = await fetch(url + path, {
    method,
    headers: { authorization: AUTH(options.region), 'x-amz-content-sha256': sha256(body ?? ''), ...options.headers },
    ...(body !== undefined && { body }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString('utf8'), bytes };
}

const errorCode = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

test('errors are S3 XML with the code\'s details and the request id of the x-amz-request-id header; HEAD gets no body', async () => {
  const r = await call('GET', '/no-such-bucket/k');
  assert.equal(r.status, 404);
  assert.equal(r.headers.get('content-type'), 'application/xml');
  assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message><BucketName>no-such-bucket<\/BucketName><RequestId>([0-9A-F]{16})<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
  assert.equal(/<RequestId>([^<]+)</.exec(r.text)?.[1], r.headers.get('x-amz-request-id'));
  const head = await call('HEAD', '/no-such-bucket');
  assert.deepEqual([head.status, head.text], [404, '']);
});

test('buckets: create, conflict outside us-east-1, bad names, BucketNotEmpty, delete', async () => {
  assert.equal((await call('PUT', '/alpha')).status, 200);
  assert.equal((await call('PUT', '/alpha')).status, 200, 'us-east-1 answers 200 for a bucket you own (legacy behaviour)');
  const eu = '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
  assert.equal((await call('PUT', '/beta', { body: eu, region: 'eu-west-1' })).status, 200);
  const again = await call('PUT', '/beta', { body: eu, region: 'eu-west-1' });
  assert.deepEqual([again.status, errorCode(again.text)], [409, 'BucketAlreadyOwnedByYou']);
  assert.equal((await call('HEAD', '/beta')).headers.get('x-amz-bucket-region'), 'eu-west-1');
  assert.match((await call('GET', '/beta?location')).text, /<LocationConstraint xmlns="[^"]+">eu-west-1<\/LocationConstraint>/);
  const wrongRegion = await call('PUT', '/gamma', { body: eu, region: 'us-west-2' });
  assert.equal(errorCode(wrongRegion.text), 'IllegalLocationConstraintException');
  const bad = await call('PUT', '/Bad_Name');
  assert.deepEqual([bad.status, errorCode(bad.text)], [400, 'InvalidBucketName']);
  assert.equal(errorCode((await call('PUT', '/gamma', { body: '<CreateBucketConfiguration>' })).text), 'MalformedXML');
  assert.equal((await call('PUT', '/beta/k', { body: 'x' })).status, 200);
  const notEmpty = await call('DELETE', '/beta');
  assert.deepEqual([notEmpty.status, errorCode(notEmpty.text)], [409, 'BucketNotEmpty']);
  assert.equal((await call('DELETE', '/beta/k')).status, 204);
  assert.equal((await call('DELETE', '/beta')).status, 204);
  assert.equal((await call('DELETE', '/beta')).status, 404);
  const list = (await call('GET', '/')).text;
  assert.match(list, /<ListAllMyBucketsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Owner><ID>[0-9a-f]{64}<\/ID>/);
  assert.match(list, /<Bucket><Name>alpha<\/Name><CreationDate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/CreationDate><BucketRegion>us-east-1<\/BucketRegion><\/Bucket>/);
  assert.doesNotMatch(list, /beta/);
});

test('PutObject keeps the bytes, Content-Type, Content-Encoding (without aws-chunked) and x-amz-meta-*; the ETag is the quoted MD5', async () => {
  await call('PUT', '/meta');
  const body = 'A=1\nB=2\n';
  const put = await call('PUT', '/meta/dir/app.env', { body, headers: { 'content-type': 'text/plain', 'content-md5': md5b64(body), 'x-amz-meta-team': 'core', 'cache-control': 'no-cache' } });
  assert.equal(put.status, 200);
  assert.equal(put.headers.get('etag'), `"${createHash('md5').update(body).digest('hex')}"`);
  const get = await call('GET', '/meta/dir/app.env');
  assert.deepEqual([get.status, get.text, get.headers.get('content-type'), get.headers.get('x-amz-meta-team'), get.headers.get('cache-control'), get.headers.get('etag')],
    [200, body, 'text/plain', 'core', 'no-cache', put.headers.get('etag')]);
  assert.match(get.headers.get('last-modified')!, /GMT$/);
  assert.equal((await call('GET', '/meta/dir/app.env?response-content-type=x%2Fy')).headers.get('content-type'), 'x/y');
  assert.equal((await call('GET', '/meta/none')).headers.get('content-type'), 'application/xml');
  const plain = await call('PUT', '/meta/plain', { body: 'p' });
  assert.equal(plain.status, 200);
  assert.equal((await call('HEAD', '/meta/plain')).headers.get('content-type'), 'binary/octet-stream');
});

test('a body that does not match Content-MD5, x-amz-content-sha256 or a checksum is refused and stores nothing', async () => {
  await call('PUT', '/digests');
  const cases: [Record<string, string>, number, string][] = [
    [{ 'content-md5': md5b64('other') }, 400, 'BadDigest'],
    [{ 'content-md5': 'not-md5' }, 400, 'InvalidDigest'],
    [{ 'x-amz-content-sha256': sha256('other') }, 400, 'XAmzContentSHA256Mismatch'],
    [{ 'x-amz-content-sha256': 'whatever' }, 400, 'InvalidArgument'],
    [{ 'x-amz-checksum-crc32': 'AAAAAA==' }, 400, 'BadDigest'],
    [{ 'x-amz-checksum-crc32': 'short' }, 400, 'InvalidRequest'],
    [{ 'x-amz-checksum-xxhash64': 'AAAAAAAAAAA=' }, 501, 'NotImplemented'],
  ];
  for (const [headers, status, code] of cases) {
    const r = await call('PUT', '/digests/k', { body: 'the body', headers });
    assert.deepEqual([r.status, errorCode(r.text)], [status, code], JSON.stringify(headers));
  }
  assert.equal(errorCode((await call('GET', '/digests/k')).text), 'NoSuchKey');
  assert.deepEqual(readdirSync(join(dir, 's3', 'tmp')), [], 'no temp file is left behind');
  const ok = await call('PUT', '/digests/k', { body: 'abc', headers: { 'x-amz-checksum-crc32': 'NSRBwg==' } });
  assert.deepEqual([ok.status, ok.headers.get('x-amz-checksum-crc32')], [200, 'NSRBwg==']);
  const withMode = await call('GET', '/digests/k', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  assert.deepEqual([withMode.headers.get('x-amz-checksum-crc32'), withMode.headers.get('x-amz-checksum-type')], ['NSRBwg==', 'FULL_OBJECT']);
});

test('an aws-chunked upload stores the decoded bytes; a wrong decoded length or trailer checksum is refused', async () => {
  await call('PUT', '/chunks');
  const sig = 'a'.repeat(64);
  const signedBody = `5;chunk-signature=${sig}\r\nhello\r\n6;chunk-signature=${sig}\r\n world\r\n0;chunk-signature=${sig}\r\n\r\n`;
  const signed = await call('PUT', '/chunks/signed', { body: signedBody, headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '11' } });
  assert.equal(signed.status, 200, signed.text);
  assert.equal((await call('GET', '/chunks/signed')).text, 'hello world');
  const trailer = { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'custom-enc,aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': '3' };
  const good = await call('PUT', '/chunks/trailer', { body: '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n', headers: trailer });
  assert.equal(good.status, 200, good.text);
  const got = await call('GET', '/chunks/trailer', { headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  assert.deepEqual([got.text, got.headers.get('content-encoding'), got.headers.get('x-amz-checksum-crc32')], ['abc', 'custom-enc', 'NSRBwg==']);
  const badSum = await call('PUT', '/chunks/bad', { body: '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', headers: trailer });
  assert.deepEqual([badSum.status, errorCode(badSum.text)], [400, 'BadDigest']);
  const badLength = await call('PUT', '/chunks/bad', { body: '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n', headers: { ...trailer, 'x-amz-decoded-content-length': '4' } });
  assert.deepEqual([badLength.status, errorCode(badLength.text)], [400, 'IncompleteBody']);
  const noLength = await call('PUT', '/chunks/bad', { body: signedBody, headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } });
  assert.deepEqual([noLength.status, errorCode(noLength.text)], [411, 'MissingContentLength']);
  assert.equal((await call('HEAD', '/chunks/bad')).status, 404);
});

test('GetObject: ranges, InvalidRange with the object size, and the conditional headers', async () => {
  await call('PUT', '/ranges');
  const put = await call('PUT', '/ranges/k', { body: '0123456789' });
  const etag = put.headers.get('etag')!;
  const part = await call('GET', '/ranges/k', { headers: { range: 'bytes=2-4' } });
  assert.deepEqual([part.status, part.text, part.headers.get('content-range'), part.headers.get('content-length')], [206, '234', 'bytes 2-4/10', '3']);
  assert.equal((await call('GET', '/ranges/k', { headers: { range: 'bytes=-3' } })).text, '789');
  const bad = await call('GET', '/ranges/k', { headers: { range: 'bytes=10-' } });
  assert.deepEqual([bad.status, errorCode(bad.text)], [416, 'InvalidRange']);
  assert.match(bad.text, /<RangeRequested>bytes=10-<\/RangeRequested><ActualObjectSize>10<\/ActualObjectSize>/);
  assert.equal((await call('GET', '/ranges/k', { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await call('GET', '/ranges/k', { headers: { 'if-match': etag } })).status, 200);
  const failed = await call('GET', '/ranges/k', { headers: { 'if-match': '"nope"' } });
  assert.deepEqual([failed.status, errorCode(failed.text)], [412, 'PreconditionFailed']);
  assert.equal((await call('GET', '/ranges/k', { headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() } })).status, 304);
  assert.equal((await call('GET', '/ranges/k', { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' } })).status, 412);
  const empty = await call('PUT', '/ranges/empty', { body: '' });
  assert.equal(empty.status, 200);
  assert.deepEqual([(await call('GET', '/ranges/empty')).status, (await call('GET', '/ranges/empty')).text], [200, '']);
});

test('ListObjectsV2 XML: url encoding, common prefixes, continuation, bad token', async () => {
  await call('PUT', '/listing');
  for (const k of ['a b+c.txt', 'd/1', 'd/2', 'e']) await call('PUT', `/listing/${encodeURIComponent(k)}`, { body: k });
  const page1 = await call('GET', '/listing?list-type=2&delimiter=%2F&max-keys=2&encoding-type=url');
  assert.match(page1.text, /<Name>listing<\/Name><Prefix\/><Delimiter>\/<\/Delimiter><MaxKeys>2<\/MaxKeys><EncodingType>url<\/EncodingType><KeyCount>2<\/KeyCount><IsTruncated>true<\/IsTruncated>/);
  assert.match(page1.text, /<Key>a%20b%2Bc.txt<\/Key>/);
  assert.match(page1.text, /<CommonPrefixes><Prefix>d\/<\/Prefix><\/CommonPrefixes>/);
  const token = /<NextContinuationToken>([^<]+)</.exec(page1.text)![1]!;
  const page2 = await call('GET', `/listing?list-type=2&delimiter=%2F&max-keys=2&continuation-token=${token}`);
  assert.match(page2.text, /<KeyCount>1<\/KeyCount><IsTruncated>false<\/IsTruncated><ContinuationToken>[^<]+<\/ContinuationToken><Contents><Key>e<\/Key>/);
  assert.equal(errorCode((await call('GET', '/listing?list-type=2&continuation-token=bogus')).text), 'InvalidArgument');
  assert.equal(errorCode((await call('GET', '/listing?list-type=2&max-keys=x')).text), 'InvalidArgument');
  const v1 = await call('GET', '/listing?delimiter=%2F&max-keys=1&marker=a');
  assert.match(v1.text, /<Marker>a<\/Marker><NextMarker>[^<]+<\/NextMarker>/);
});

test('multipart: parts are checked in order and size, the ETag is the MD5 of the part MD5s, abort forgets the upload', async () => {
  await call('PUT', '/mpu');
  const create = await call('POST', '/mpu/big?uploads');
  const uploadId = /<UploadId>([^<]+)</.exec(create.text)![1]!;
  const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');
  const e1 = (await call('PUT', `/mpu/big?partNumber=1&uploadId=${uploadId}`, { body: part1 })).headers.get('etag')!;
  const e2 = (await call('PUT', `/mpu/big?partNumber=2&uploadId=${uploadId}`, { body: 'tail' })).headers.get('etag')!;
  const complete = (parts: [number, string][]) => call('POST', `/mpu/big?uploadId=${uploadId}`, { body: `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>` });
  assert.equal(errorCode((await complete([[2, e2], [1, e1]])).text), 'InvalidPartOrder');
  assert.equal(errorCode((await complete([[1, e1], [2, '"0000"']])).text), 'InvalidPart');
  assert.equal(errorCode((await complete([[1, e2], [2, e2]])).text), 'InvalidPart', 'part 1 listed with the ETag of part 2');
  assert.equal(errorCode((await complete([[1, e1], [3, e2]])).text), 'InvalidPart', 'a part never uploaded');
  const done = await complete([[1, e1], [2, e2]]);
  assert.equal(done.status, 200, done.text);
  const md5s = createHash('md5').update(Buffer.concat([Buffer.from(e1.slice(1, -1), 'hex'), Buffer.from(e2.slice(1, -1), 'hex')])).digest('hex');
  assert.match(done.text, new RegExp(`<ETag>&quot;${md5s}-2&quot;</ETag>`));
  const got = await call('GET', '/mpu/big');
  assert.equal(got.bytes.length, part1.length + 4);
  assert.equal(got.bytes.subarray(-4).toString(), 'tail');
  const p2 = await call('GET', '/mpu/big?partNumber=2');
  assert.deepEqual([p2.status, p2.text, p2.headers.get('x-amz-mp-parts-count')], [206, 'tail', '2']);
  assert.equal(errorCode((await complete([[1, e1], [2, e2]])).text), 'NoSuchUpload', 'a completed upload is gone');

  const small = /<UploadId>([^<]+)</.exec((await call('POST', '/mpu/small?uploads')).text)![1]!;
  const s1 = (await call('PUT', `/mpu/small?partNumber=1&uploadId=${small}`, { body: 'tiny' })).headers.get('etag')!;
  const s2 = (await call('PUT', `/mpu/small?partNumber=2&uploadId=${small}`, { body: 'tiny' })).headers.get('etag')!;
  const tooSmall = await call('POST', `/mpu/small?uploadId=${small}`, { body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${s1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>${s2}</ETag></Part></CompleteMultipartUpload>` });
  assert.deepEqual([tooSmall.status, errorCode(tooSmall.text)], [400, 'EntityTooSmall']);
  assert.equal((await call('DELETE', `/mpu/small?uploadId=${small}`)).status, 204);
  assert.equal(errorCode((await call('PUT', `/mpu/small?partNumber=3&uploadId=${small}`, { body: 'x' })).text), 'NoSuchUpload');
  assert.equal(errorCode((await call('PUT', `/mpu/small?partNumber=0&uploadId=${small}`, { body: 'x' })).text), 'InvalidArgument');
  assert.equal((await store.list(s3Keys.parts(small))).items.length, 0);

  // DeleteBucket takes the uploads still in progress with it, not the objects.
  const open = /<UploadId>([^<]+)</.exec((await call('POST', '/mpu/open?uploads')).text)![1]!;
  await call('PUT', `/mpu/open?partNumber=1&uploadId=${open}`, { body: 'x' });
  assert.equal(errorCode((await call('DELETE', '/mpu')).text), 'BucketNotEmpty');
  assert.equal((await call('DELETE', '/mpu/big')).status, 204);
  assert.equal((await call('DELETE', '/mpu')).status, 204);
  assert.deepEqual([(await store.list(s3Keys.parts(open))).items.length, (await store.list(s3Keys.uploads('mpu'))).items.length], [0, 0]);
});

test('DeleteObjects and CopyObject', async () => {
  await call('PUT', '/many');
  for (const k of ['a', 'b']) await call('PUT', `/many/${k}`, { body: k, headers: { 'x-amz-meta-k': k } });
  const copy = await call('PUT', '/many/c', { headers: { 'x-amz-copy-source': '/many/a' } });
  assert.match(copy.text, /<CopyObjectResult xmlns="[^"]+"><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><LastModified>/);
  const c = await call('GET', '/many/c');
  assert.deepEqual([c.text, c.headers.get('x-amz-meta-k')], ['a', 'a']);
  assert.equal(errorCode((await call('PUT', '/many/a', { headers: { 'x-amz-copy-source': 'many/a' } })).text), 'InvalidRequest');
  assert.equal(errorCode((await call('PUT', '/many/x', { headers: { 'x-amz-copy-source': 'many/none' } })).text), 'NoSuchKey');
  const xml = '<Delete><Object><Key>a</Key></Object><Object><Key>c</Key></Object><Object><Key>missing</Key></Object></Delete>';
  assert.equal(errorCode((await call('POST', '/many?delete', { body: xml })).text), 'InvalidRequest', 'Content-MD5 or a checksum is required');
  const del = await call('POST', '/many?delete', { body: xml, headers: { 'content-md5': md5b64(xml) } });
  assert.equal((del.text.match(/<Deleted>/g) ?? []).length, 3);
  assert.match((await call('GET', '/many?list-type=2')).text, /<KeyCount>1<\/KeyCount>/);
});

test('a write racing DeleteBucket waits for its mark; a mark left by a dead process is cleared', async () => {
  await call('PUT', '/race');
  const key = s3Keys.bucket('race');
  const rec = JSON.parse((await store.get(key))!.value);
  // A DeleteBucket in progress (fresh mark): the write waits, then the bucket is gone.
  await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify({ ...rec, deletingSince: Date.now() }) }] });
  const pending = call('PUT', '/race/k', { body: 'x' });
  await new Promise((r) => setTimeout(r, 100));
  await store.txn({ ops: [{ type: 'delete', key }] });
  const r = await pending;
  assert.deepEqual([r.status, errorCode(r.text)], [404, 'NoSuchBucket']);
  assert.equal((await store.list(s3Keys.objects('race'))).items.length, 0, 'no object outlives its bucket');
  // A mark from long ago (the process died mid-DeleteBucket): the write clears it and commits.
  await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify({ ...rec, deletingSince: Date.now() - 3_600_000 }) }] });
  assert.equal((await call('PUT', '/race/k', { body: 'x' })).status, 200);
  assert.equal(JSON.parse((await store.get(key))!.value).deletingSince, undefined);
});

test('the sweep removes files no record names once past the grace period, and keeps every object', async () => {
  await call('PUT', '/sweep');
  await call('PUT', '/sweep/kept', { body: 'kept' });
  const orphan = join(dir, 's3', 'blobs', 'ff', 'ffffffff-ffff-ffff-ffff-ffffffffffff');
  mkdirSync(join(dir, 's3', 'blobs', 'ff'), { recursive: true });
  writeFileSync(orphan, 'orphan');
  const temp = join(dir, 's3', 'tmp', 'leftover');
  writeFileSync(temp, 'partial');
  assert.deepEqual(await s3.sweep(60_000), { blobs: 0, temps: 0 }, 'young files are left alone');
  const old = new Date(Date.now() - 120_000);
  utimesSync(orphan, old, old);
  utimesSync(temp, old, old);
  assert.deepEqual(await s3.sweep(60_000), { blobs: 1, temps: 1 });
  assert.equal((await call('GET', '/sweep/kept')).text, 'kept');
});
