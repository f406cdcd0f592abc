import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUnsupportedDoor } from './unsupported-door.ts';

const door = createUnsupportedDoor({ newRequestId: () => 'REQ' });
const server = createServer((req, res) => void door.handle(req, res));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
after(() => server.close());

const SIGNED = (service: string) => `AWS4-HMAC-SHA256 Credential=AK/20261125/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

/** One request over node:http (fetch cannot send a body the server answers before reading). */
function send(method: string, path: string, headers: Record<string, string>, body: Buffer | string = '') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a Query request is answered from its form body, the connection kept when all of it was read', async () => {
  const form = `Action=ListRoles&Version=2010-05-08&Pad=${'x'.repeat(3 * 1024 * 1024)}`;
  const r = await send('POST', '/', { authorization: SIGNED('iam'), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, form);
  assert.equal(r.status, 400);
  assert.equal(r.headers['x-amzn-requestid'], 'REQ');
  assert.equal(r.headers.connection, 'keep-alive');
  assert.match(r.body, /<Code>InvalidAction<\/Code><Message>Berth does not implement iam ListRoles yet/);
});

test('a body past the discard bound is answered, then the connection closes', async () => {
  const form = Buffer.concat([Buffer.from('Action=ListRoles&Version=2010-05-08&Pad='), Buffer.alloc(17 * 1024 * 1024, 'x')]);
  const r = await send('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, form).catch((e: NodeJS.ErrnoException) => e);
  // The client may see the close while still writing; when it reads the answer, it is the error.
  if (r instanceof Error) assert.match(String(r.code), /EPIPE|ECONNRESET/);
  else {
    assert.equal(r.status, 400);
    assert.equal(r.headers.connection, 'close');
  }
});

test('REST: a HEAD gets the status and headers alone', async () => {
  const r = await send('HEAD', '/clusters/demo', { authorization: SIGNED('eks') });
  assert.equal(r.status, 404);
  assert.equal(r.headers['x-amzn-errortype'], 'UnknownOperationException');
  assert.equal(r.body, '');
});

test('a request with nothing of AWS in it gets a plain 404 that says what is served where', async () => {
  const r = await send('GET', '/index.html', {});
  assert.equal(r.status, 404);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(r.body, /SigV4.*\/v2\/.*\/_berth\//s);
});
