/**
 * The ceiling of an API benchmark: a bare node:http server that does the least an AWS
 * JSON endpoint must do and nothing else. For every POST it reads the whole request body
 * as Berth's front door does (chunks, concatenated, decoded as UTF-8), then answers with
 * canned bytes: the exact body Berth returned for that operation, with the same headers
 * (Content-Type, Content-Length, a fresh x-amzn-RequestId). No parsing, no validation, no
 * store. Any GET answers 200 (readiness probe).
 *
 *   node bench/lib/bare-server.ts --port P --responses FILE
 *
 * FILE is JSON: { "<X-Amz-Target>": "<response body, base64>", ... }; a target not in it
 * gets the first body.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';

/** The same keep-alive Berth's server uses (src/server/server.ts). */
const KEEP_ALIVE_MS = 60_000;

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, responses: { type: 'string' } } });
if (!values.port || !values.responses) {
  process.stderr.write('usage: bare-server.ts --port P --responses FILE\n');
  process.exit(2);
}
const bodies = new Map(Object.entries(JSON.parse(readFileSync(values.responses, 'utf8')) as Record<string, string>)
  .map(([target, b64]) => [target, Buffer.from(b64, 'base64')] as const));
const fallback = bodies.values().next().value;
if (!fallback) throw new Error(`${values.responses} has no response body`);

const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  readBody(req).then(() => {
    const body = bodies.get(String(req.headers['x-amz-target'])) ?? fallback;
    res.writeHead(200, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': body.length,
      'x-amzn-RequestId': randomUUID(),
    });
    res.end(body);
  }, () => res.destroy());
});
server.listen(Number(values.port), values.host);
process.once('SIGINT', () => server.close(() => process.exit(0)));
process.once('SIGTERM', () => server.close(() => process.exit(0)));

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
