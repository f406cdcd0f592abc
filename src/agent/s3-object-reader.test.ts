// The agent's S3 reader against Berth's S3 service, in process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startS3TestServer, type S3TestServer } from '../api/s3/testing.ts';
import { s3ObjectReader, MAX_ENV_FILE_BYTES } from './s3-object-reader.ts';

let server: S3TestServer;
let endpoint: string;
const creds = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

before(async () => {
  server = await startS3TestServer({ accountId: '000000000000', onlyWhatItAccepts: true });
  endpoint = server.url;
  const auth = `AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
  const put = (path: string, body: string | Buffer) => fetch(endpoint + path, { method: 'PUT', headers: { authorization: auth }, body });
  await put('/config', '');
  await put(`/config/${encodeURIComponent('dir/with space+plus(1).env')}`, 'A=1\n');
  await put('/config/big.env', Buffer.alloc(MAX_ENV_FILE_BYTES + 1, 'a'));
});

after(() => server.close());

test('reads an object, whatever characters its key has, signed for s3 as an SDK signs', async () => {
  const read = s3ObjectReader(endpoint, 'us-east-1', creds);
  assert.equal((await read({ bucket: 'config', key: 'dir/with space+plus(1).env' })).toString(), 'A=1\n');
});

test('an S3 error reads as its code and message', async () => {
  const read = s3ObjectReader(endpoint, 'us-east-1', creds);
  await assert.rejects(read({ bucket: 'config', key: 'missing.env' }), /^Error: NoSuchKey: The specified key does not exist. status code: 404$/);
  await assert.rejects(read({ bucket: 'nobucket', key: 'a.env' }), /^Error: NoSuchBucket: The specified bucket does not exist status code: 404$/);
  await assert.rejects(read({ bucket: 'config', key: 'big.env' }), /at most 2097152/);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(s3ObjectReader(`http://127.0.0.1:${port}`, 'us-east-1', creds)({ bucket: 'config', key: 'a' }), /cannot reach S3 at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\)/);
});
