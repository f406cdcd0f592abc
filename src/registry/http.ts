/** Small helpers for answering registry requests over node:http. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, oci, type RegistryError } from './errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

export function sendError(res: ServerResponse, err: RegistryError, headers: Record<string, string> = {}, head = false): void {
  const text = errorBody(err);
  res.writeHead(err.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(head ? undefined : text);
}

/** Reads a whole (small) body, refusing more than `max` bytes with SIZE_INVALID (413). */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  // Not destroyed when this stops early: the error answer reads and drops the rest (discardBody).
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(max: number) {
  return oci('SIZE_INVALID', `the request body is larger than the ${max} bytes accepted here`, { max }, 413);
}

/**
 * How much of a request body the handler did not read an error answer first reads and
 * drops. A client still sending its body is not reading yet, and a connection closed under
 * it shows it a broken pipe instead of the error (an oversized manifest's 413, say). Bodies
 * larger or slower than this are cut off after the answer (`Connection: close`).
 */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 5_000;

/** Reads and drops the rest of a request body, within the limits above; true when it ended. */
export function discardBody(req: IncomingMessage, maxBytes = DISCARD_MAX_BYTES, maxMs = DISCARD_MAX_MS): Promise<boolean> {
  // Complete: the client has sent all of it (a GET's empty body, say); node drops what is unread.
  if (req.readableEnded || req.complete) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (!ended) req.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.readableEnded);
    const timer = setTimeout(() => done(false), maxMs);
    req.on('data', onData).once('end', onEnd).once('close', onClose);
    req.resume();
  });
}

/** A page-size query parameter: absent → `dflt`; capped at `max`; garbage → 400. */
export function pageSizeParam(value: string | null, dflt: number, max: number): number {
  if (value === null || value === '') return dflt;
  if (!/^\d{1,12}$/.test(value)) throw oci('UNSUPPORTED', `n must be a non-negative integer, not ${JSON.stringify(value.slice(0, 50))}`, undefined, 400);
  return Math.min(Number(value), max);
}

/** The `Link` header of a paginated listing (spec: RFC 5988 `rel="next"`). */
export function nextLink(path: string, n: number, last: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...extra, n: String(n), last });
  return `<${path}?${q.toString()}>; rel="next"`;
}
