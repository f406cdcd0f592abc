/**
 * HTTP client requests over node:http and node:https, for code the container agent runs
 * (the AWS JSON client, the registry client): fetch is undici, which with what it pulls
 * in (http2, tls, web streams, perf_hooks) and its WebAssembly HTTP parser took the
 * standalone agent from 85 to 103 MiB with 100 tasks (bench/README.md, "Agent RSS").
 *
 * The modules come from process.getBuiltinModule: an ESM import of node:http reads every
 * export of the module, and its lazy `WebSocket` export loads undici (a bare Node with
 * `import 'node:http'` 59.7 MiB, with `require('http')` 45.3, measured). node:https (with
 * TLS) is loaded only for an https URL.
 *
 * Connections are kept alive between requests (Node's global agents do so by default).
 */

import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * No bytes on the connection for this long fails the request: undici's headersTimeout
 * and bodyTimeout, which fetch applied, so that a registry that stops answering fails a
 * pull instead of hanging it.
 */
const IDLE_TIMEOUT_MS = 300_000;

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent whole, or streamed (then give its length in `content-length`). */
  readonly body?: Buffer | string | Readable;
  readonly signal?: AbortSignal;
}

/** The answer: status and headers, and the body as a stream to read, drain or destroy. */
export type HttpResponse = IncomingMessage & { statusCode: number };

/** A failure to exchange a request and its answer: `code` is Node's (ECONNREFUSED, ABORT_ERR, …). */
export class HttpRequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpRequestError';
    this.code = code;
  }
}

/** Redirects followed (the Fetch standard's limit, which fetch applied). */
const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Sends a request; resolves when the answer's headers arrived. A GET or HEAD follows
 * redirects as fetch does (registries send blob downloads to a storage service), without
 * the Authorization header once the origin changes.
 */
export async function httpRequest(url: URL, o: HttpRequestOptions = {}): Promise<HttpResponse> {
  const method = o.method ?? 'GET';
  let res = await send(url, o);
  if (method !== 'GET' && method !== 'HEAD') return res;
  let headers = o.headers;
  for (let redirects = 0; REDIRECT_STATUSES.has(res.statusCode); redirects++) {
    const location = header(res, 'location');
    if (location === null) return res;
    discard(res);
    if (redirects === MAX_REDIRECTS) throw new HttpRequestError('ERR_TOO_MANY_REDIRECTS', `more than ${MAX_REDIRECTS} redirects from ${url.origin}`);
    const next = new URL(location, url);
    if (next.origin !== url.origin && headers?.authorization !== undefined) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    url = next;
    res = await send(url, { ...o, headers });
  }
  return res;
}

function send(url: URL, o: HttpRequestOptions): Promise<HttpResponse> {
  const transport = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
  const options: RequestOptions = { method: o.method ?? 'GET', headers: { ...o.headers }, timeout: IDLE_TIMEOUT_MS, ...(o.signal && { signal: o.signal }) };
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    try {
      req = transport.request(url, options, (res) => resolve(res as HttpResponse));
    } catch (e) {
      reject(failure(e));
      return;
    }
    req.on('error', (e) => reject(failure(e)));
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    const body = o.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    }
  });
}

function failure(e: unknown): HttpRequestError {
  const err = e as NodeJS.ErrnoException;
  const code = err.name === 'AbortError' ? 'ABORT_ERR' : err.code ?? 'EIO';
  return new HttpRequestError(code, err.message);
}

/** True for a 2xx answer. */
export function isOk(res: HttpResponse): boolean {
  return res.statusCode >= 200 && res.statusCode < 300;
}

/** A header's value (the first, when repeated), or null, as fetch's `Headers.get`. */
export function header(res: { headers: IncomingHttpHeaders }, name: string): string | null {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
}

/** The whole body, or undefined once it grows past `max` bytes (the rest is not read). */
export async function readBody(res: HttpResponse, max: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > max) {
      res.destroy();
      return undefined;
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Reads and drops the body, so that the connection can serve the next request. */
export function discard(res: HttpResponse): void {
  res.resume();
}
