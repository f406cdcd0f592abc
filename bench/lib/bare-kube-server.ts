/**
 * The ceiling of the Kubernetes API benchmark: a bare HTTPS server of the same make as
 * Berth's API server (node:http2's secure server, HTTP/1.1 offered beside h2 over ALPN, the
 * same certificate) that does nothing but answer canned bytes and fan lines out to watchers.
 *
 *   node bench/lib/bare-kube-server.ts --port P --cert PEM --key PEM --responses FILE
 *
 * - `GET <path>` answers the bytes FILE holds for that path (JSON: { "<path>": "<base64>" }),
 *   as `application/json`, 404 for a path it has none for; `GET /healthz` answers "ok".
 * - `GET <path>?watch=1…` opens a watch: 200, `application/json`, chunked, kept open.
 * - `POST /fanout` writes its body and a newline to every open watch, then answers 204: what
 *   a watch costs a server that has no store, no filter and nothing to encode.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { parseArgs } from 'node:util';

/** Open watch streams at most: the benchmark opens a few hundred. */
const MAX_WATCHES = 10_000;

const { values } = parseArgs({ options: { port: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, responses: { type: 'string' } } });
if (!values.port || !values.cert || !values.key || !values.responses) {
  process.stderr.write('usage: bare-kube-server.ts --port P --cert PEM --key PEM --responses FILE\n');
  process.exit(2);
}
const bodies = new Map(Object.entries(JSON.parse(readFileSync(values.responses, 'utf8')) as Record<string, string>)
  .map(([path, b64]) => [path, Buffer.from(b64, 'base64')] as const));
const watches = new Set<Http2ServerResponse>();

const server = createSecureServer({ cert: readFileSync(values.cert), key: readFileSync(values.key), allowHTTP1: true }, (req: Http2ServerRequest, res: Http2ServerResponse) => {
  const url = req.url;
  if (req.method === 'POST' && url === '/fanout') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const line = Buffer.concat([...chunks, Buffer.from('\n')]);
      for (const w of watches) w.write(line);
      res.writeHead(204);
      res.end();
    });
    return;
  }
  if (url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  const q = url.indexOf('?');
  if (q >= 0 && /[?&]watch=(1|true)(&|$)/.test(url.slice(q))) {
    if (watches.size >= MAX_WATCHES) {
      res.writeHead(429);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.write('');
    watches.add(res);
    res.on('close', () => watches.delete(res));
    return;
  }
  const body = bodies.get(q >= 0 ? url.slice(0, q) : url);
  if (!body) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache, private' });
  res.end(body);
});
server.listen(Number(values.port), '127.0.0.1');
const stop = () => {
  for (const w of watches) w.end();
  server.close(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
