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
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(max: number) {
  return oci('SIZE_INVALID', `the request body is larger than the ${max} bytes accepted here`, { max }, 413);
}

/** Discards the rest of a request body so the connection can be reused. */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req as AsyncIterable<Buffer>) { /* discard */ }
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
