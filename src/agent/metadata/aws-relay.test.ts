import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awsEnvironment, isAwsRequest } from './aws-relay.ts';
import { metadataHandler, startMetadataServer } from './server.ts';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
const SIGNED = 'AWS4-HMAC-SHA256 Credential=ASIAX/20261207/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64);

test('SigV4-signed requests and presigned URLs are relayed; Berth\'s own paths and anything unsigned are not', () => {
  assert.equal(isAwsRequest('POST', '/', SIGNED), true);
  assert.equal(isAwsRequest('GET', '/bucket/key?X-Amz-Credential=a%2Fb&X-Amz-Signature=c', undefined), true);
  assert.equal(isAwsRequest('POST', '/_berth/agents/register', SIGNED), false);
  assert.equal(isAwsRequest('GET', '/_berth/events', SIGNED), false);
  assert.equal(isAwsRequest('GET', '/v4/some-id', undefined), false);
  assert.equal(isAwsRequest('GET', '/', 'Bearer x'), false);
  assert.deepEqual(awsEnvironment('eu-west-1').map((e) => `${e.name}=${e.value}`), ['AWS_ENDPOINT_URL=http://169.254.170.2', 'AWS_REGION=eu-west-1', 'AWS_DEFAULT_REGION=eu-west-1']);
});

test('a relayed request reaches the control plane byte for byte (Host, path, body), and its answer comes back', async (t) => {
  const seen: { method?: string; url?: string; host?: string; auth?: string; body: string }[] = [];
  const upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, host: req.headers.host, auth: req.headers.authorization, body });
      res.writeHead(400, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': 'r-1' });
      res.end('<ErrorResponse/>');
    });
  });
  await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => upstream.close(() => done())));
  const endpoint = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  const server = await startMetadataServer(['127.0.0.1'], 0, metadataHandler({ now: Date.now, resolve: () => undefined, awsEndpoint: endpoint, callerTask: () => TASK }));
  t.after(() => server.close());
  const port = (server.addresses[0] as AddressInfo).port;
  const answer = await new Promise<{ status: number; body: string; id: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/?x=1', headers: { host: '169.254.170.2', authorization: SIGNED, 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, id: res.headers['x-amzn-requestid'] as string | undefined }));
    });
    req.on('error', reject);
    req.end('Action=GetCallerIdentity&Version=2011-06-15');
  });
  assert.deepEqual(answer, { status: 400, body: '<ErrorResponse/>', id: 'r-1' });
  assert.deepEqual(seen, [{ method: 'POST', url: '/?x=1', host: '169.254.170.2', auth: SIGNED, body: 'Action=GetCallerIdentity&Version=2011-06-15' }]);
  // Berth's own paths are never relayed, signed or not.
  const own = await fetch(`http://127.0.0.1:${port}/_berth/agents/register`, { method: 'POST', headers: { authorization: SIGNED } });
  assert.equal(own.status, 404);
  assert.equal(seen.length, 1);
});

test('a signed request from a connection no task of this agent holds is refused, and nothing is relayed; the caller is asked once per connection', async (t) => {
  let relayed = 0;
  const upstream = createServer((_req, res) => { relayed++; res.end('{}'); });
  await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => upstream.close(() => done())));
  const endpoint = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  let asked = 0;
  let known = false;
  const server = await startMetadataServer(['127.0.0.1'], 0, metadataHandler({ now: Date.now, resolve: () => undefined, awsEndpoint: endpoint, callerTask: () => { asked++; return known ? TASK : undefined; } }));
  t.after(() => server.close());
  const port = (server.addresses[0] as AddressInfo).port;
  const refused = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { authorization: SIGNED } });
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { __type: string }).__type, 'AccessDeniedException');
  assert.equal(relayed, 0);
  known = true;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const call = () => new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { authorization: SIGNED } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); });
    req.on('error', reject);
    req.end();
  });
  const before = asked;
  assert.deepEqual([await call(), await call(), await call()], [200, 200, 200]);
  assert.equal(relayed, 3);
  assert.equal(asked - before, 1, 'one caller check for the one kept-alive connection');
});
