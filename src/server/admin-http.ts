/**
 * What Berth's own admin endpoints share: a bounded JSON body reader and JSON answers, an
 * ApiError answered with its code and message (the CLI prints the message, one line).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../core/errors.ts';

/** Admin request bodies are a few small fields. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_ADMIN_BODY_BYTES) throw new ApiError('InvalidParameterException', `The request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes.`);
  }
  if (text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* below */ }
  throw new ApiError('SerializationException', 'The request body must be a JSON object.');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error as an admin answer: an ApiError with its status, code and message; anything else a 500. */
export function sendError(res: ServerResponse, err: unknown, log: (line: string) => void): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof ApiError) return sendJson(res, err.status, { __type: err.code, message: err.message });
  log(`admin: ${err instanceof Error ? err.stack : String(err)}`);
  sendJson(res, 500, { __type: 'ServerException', message: `Berth failed to answer: ${err instanceof Error ? err.message : String(err)} (see its log).` });
}
