import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { header, httpRequest, HttpRequestError, isOk, readBody } from './http-request.ts';

/** A server on a free loopback port for one test; its base URL. */
async function serve(t: { after(fn: () => unknown): void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<URL> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

test('a request sends its method, headers and body, whole or streamed, and the answer reads back', async (t) => {
  const base = await serve(t, (req, res) => {
    void bodyOf(req).then((body) => {
      res.setHeader('x-echo', `${req.method} ${req.headers['content-type']} ${req.headers['content-length']}`);
      res.end(body);
    });
  });
  const whole = await httpRequest(new URL('/x', base), { method: 'POST', headers: { 'content-type': 'a/b' }, body: '{"a":1}' });
  assert.equal(isOk(whole), true);
  assert.equal(header(whole, 'X-Echo'), 'POST a/b 7');
  assert.equal((await readBody(whole, 100))?.toString(), '{"a":1}');
  const streamed = await httpRequest(new URL('/x', base), { method: 'PUT', headers: { 'content-length': '6' }, body: Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
  assert.equal((await readBody(streamed, 100))?.toString(), 'abcdef');
  const big = await httpRequest(new URL('/x', base), { method: 'POST', body: 'x'.repeat(1000) });
  assert.equal(await readBody(big, 999), undefined);
});

test('GET follows redirects and drops Authorization when the origin changes; other methods do not follow', async (t) => {
  const storage = await serve(t, (req, res) => res.end(`storage saw ${req.headers.authorization ?? 'no authorization'}`));
  const registry = await serve(t, (req, res) => {
    if (req.url === '/same') res.writeHead(307, { location: '/final' }).end();
    else if (req.url === '/final') res.end(`registry saw ${req.headers.authorization}`);
    else res.writeHead(307, { location: new URL('/blob', storage).href }).end();
  });
  const same = await httpRequest(new URL('/same', registry), { headers: { authorization: 'Bearer t' } });
  assert.equal((await readBody(same, 100))?.toString(), 'registry saw Bearer t');
  const away = await httpRequest(new URL('/away', registry), { headers: { authorization: 'Bearer t' } });
  assert.equal((await readBody(away, 100))?.toString(), 'storage saw no authorization');
  const post = await httpRequest(new URL('/away', registry), { method: 'POST', body: '' });
  assert.equal(post.statusCode, 307);
});

test('an unreachable server or an abort fails with the error code', async (t) => {
  const base = await serve(t, () => { /* never answers */ });
  const refused = new URL(base);
  refused.port = '1';
  await assert.rejects(httpRequest(refused), (e: unknown) => e instanceof HttpRequestError && e.code === 'ECONNREFUSED');
  const abort = new AbortController();
  const pending = httpRequest(base, { signal: abort.signal });
  abort.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof HttpRequestError && e.code === 'ABORT_ERR');
});
