// The agent's S3 reader against Berth's S3 service, in process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Service, type S3Service } from '../api/s3/index.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { s3ObjectReader, MAX_ENV_FILE_BYTES } from './s3-object-reader.ts';

let dir: string;
let store: Store;
let s3: S3Service;
let server: Server;
let endpoint: string;
const creds = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-s3-reader-'));
  store = await openSqliteStore(join(dir, 'state.db'));
  s3 = createS3Service({ store, dataDir: dir, accountId: '000000000000', defaultRegion: 'us-east-1', log: () => {}, sweep: false });
  server = createServer((req, res) => void (s3.accepts(req) ? s3.handle(req, res) : res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = `AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
  const put = (path: string, body: string | Buffer) => fetch(endpoint + path, { method: 'PUT', headers: { authorization: auth }, body });
  await put('/config', '');
  await put(`/config/${encodeURIComponent('dir/with space+plus(1).env')}`, 'A=1\n');
  await put('/config/big.env', Buffer.alloc(MAX_ENV_FILE_BYTES + 1, 'a'));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await s3.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

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
