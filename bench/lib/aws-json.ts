/**
 * The AWS JSON 1.1 wire format as a benchmark sends it: POST / with `X-Amz-Target`,
 * `Content-Type: application/x-amz-json-1.1` and a SigV4 `Authorization` header, the
 * headers an AWS SDK sends. Berth does not verify signatures by default but parses the
 * header strictly, so the load generator (which cannot sign each body) sends one
 * well-formed header made by really signing a request.
 */

import { Agent, request } from 'node:http';
import { signRequest } from '../../src/api/aws/sigv4.ts';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
export const AWS_JSON = 'application/x-amz-json-1.1';
const CREDENTIALS = { accessKeyId: 'AKIABERTHBENCH000000', secretAccessKey: 'berth-bench-secret' };
export const REGION = 'us-east-1';

/**
 * The headers of one ECS call (without Content-Length, which every sender adds): what the
 * AWS SDK for JavaScript v3 sends, signed for `body` at `date`.
 */
export function ecsHeaders(host: string, operation: string, body: string, date = new Date()): Record<string, string> {
  const headers = {
    host,
    'content-type': AWS_JSON,
    'x-amz-target': `${ECS_TARGET_PREFIX}.${operation}`,
    'x-amz-user-agent': 'aws-sdk-js/3.0.0',
    'user-agent': 'aws-sdk-js/3.0.0 ua/2.1 os/linux lang/js md/nodejs#24 api/ecs#3.0.0',
    'amz-sdk-invocation-id': '00000000-0000-4000-8000-000000000000',
    'amz-sdk-request': 'attempt=1; max=3',
  };
  return { ...headers, ...signRequest({ method: 'POST', path: '/', headers, body }, CREDENTIALS, REGION, 'ecs', date) };
}

export interface CallResult<T> {
  readonly status: number;
  readonly body: T;
  /** The response body exactly as sent. */
  readonly raw: Buffer;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Signed headers a `signOnce` client keeps, one set per distinct request (a benchmark cycles through a few). */
export const SIGNED_HEADERS_KEPT = 1_000;

/**
 * A keep-alive ECS client on node:http (lighter than fetch, so that seeding and checking
 * leave the CPU to the server). Non-2xx answers are returned, not thrown. With `signOnce`,
 * each distinct request is signed once and its headers reused (as bench/lib/wrk.ts does:
 * Berth parses the signature but does not verify it by default), so that a latency
 * benchmark's client spends no HMACs per call.
 */
export function ecsClient(endpoint: string, options: { signOnce?: boolean } = {}) {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const signed = new Map<string, Record<string, string>>();
  const headersOf = (operation: string, body: string): Record<string, string> => {
    const key = `${operation} ${body}`;
    const kept = options.signOnce ? signed.get(key) : undefined;
    if (kept) return kept;
    const headers = { ...ecsHeaders(url.host, operation, body), 'content-length': String(Buffer.byteLength(body)) };
    if (options.signOnce && signed.size < SIGNED_HEADERS_KEPT) signed.set(key, headers);
    return headers;
  };
  /** One call's status and raw answer, not parsed. */
  const send = (operation: string, body: string): Promise<{ status: number; raw: Buffer; headers: Record<string, string | string[] | undefined> }> => new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: headersOf(operation, body), agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return {
    /** The status and the bytes of the answer, unparsed: what a latency benchmark's client does per call. */
    raw(operation: string, input: unknown): Promise<{ status: number; raw: Buffer }> {
      return send(operation, JSON.stringify(input));
    },
    call<T = Record<string, unknown>>(operation: string, input: unknown): Promise<CallResult<T>> {
      const body = JSON.stringify(input);
      return send(operation, body).then(({ status, raw, headers }) => {
        try {
          return { status, body: (raw.length ? JSON.parse(raw.toString('utf8')) : {}) as T, raw, headers };
        } catch (err) {
          throw new Error(`${operation} answered ${status} with a body that is not JSON: ${raw.toString('utf8').slice(0, 200)}`, { cause: err });
        }
      });
    },
    /** Calls and throws unless the answer is 200, with AWS's error type and message. */
    async ok<T = Record<string, unknown>>(operation: string, input: unknown): Promise<T> {
      const r = await this.call<T & { __type?: string; message?: string }>(operation, input);
      if (r.status !== 200) throw new Error(`${operation} answered ${r.status} ${r.body.__type ?? ''}: ${r.body.message ?? r.raw.toString('utf8')}`);
      return r.body;
    },
    close(): void {
      agent.destroy();
    },
  };
}

export type EcsClient = ReturnType<typeof ecsClient>;

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  }));
}
