/**
 * The API server's side of one HTTP exchange: reading a request's body within the server's
 * limit, writing an answer with the headers the API server sends, and turning a failure into
 * a `Status` (or a cut stream, once the headers went out).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, tooLarge } from './status.ts';

/** Largest request body: etcd's default request limit (1.5 MiB values, 3 MiB requests), as the API server takes it. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped, so the client still gets its 413.
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** An answer: an object (serialized here), JSON text, or bytes (written as they are, their length known). */
export function send(res: ServerResponse, status: number, body: object | string | Buffer, contentType = 'application/json', warnings: readonly string[] = []): void {
  const payload = Buffer.isBuffer(body) ? body : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string | string[] | number> = {
    'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Audit-Id': randomUUID(),
  };
  if (Buffer.isBuffer(payload)) headers['Content-Length'] = payload.length;
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(status, headers);
  res.end(payload);
}

/** A request's failure: its `Status` (500 InternalError for anything not a StatusError); the stream cut when an answer had begun. */
export function failed(res: ServerResponse, err: unknown): void {
  const status = err instanceof StatusError ? err : new StatusError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, status.code, status.toStatus());
}
