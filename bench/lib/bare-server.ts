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
 * gets the first body. A target's value may instead be { "<request body>": "<response body,
 * base64>", ... }: each request gets the answer to its own body (the first for a body not
 * in it), so that a benchmark cycling through several requests gets each one's exact bytes.
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
type Answers = Buffer | { byRequest: Map<string, Buffer>; first: Buffer };
const answers = new Map(Object.entries(JSON.parse(readFileSync(values.responses, 'utf8')) as Record<string, string | Record<string, string>>)
  .map(([target, v]): [string, Answers] => {
    if (typeof v === 'string') return [target, Buffer.from(v, 'base64')];
    const byRequest = new Map(Object.entries(v).map(([request, b64]) => [request, Buffer.from(b64, 'base64')] as const));
    const first = byRequest.values().next().value;
    if (!first) throw new Error(`${values.responses}: ${target} has no response body`);
    return [target, { byRequest, first }];
  }));
const firstAnswer = answers.values().next().value;
if (!firstAnswer) throw new Error(`${values.responses} has no response body`);
const answerTo = (a: Answers, request: string): Buffer => (Buffer.isBuffer(a) ? a : a.byRequest.get(request) ?? a.first);

const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  readBody(req).then((request) => {
    const body = answerTo(answers.get(String(req.headers['x-amz-target'])) ?? firstAnswer, request);
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
