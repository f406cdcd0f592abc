/** Answering S3 requests over node:http: XML, empty answers, errors, small request bodies. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorXml, S3Error } from './errors.ts';

/** The namespace of every S3 answer document (error documents carry none). */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** The ids S3 puts on every answer: x-amz-request-id and x-amz-id-2. */
export interface RequestIds {
  readonly requestId: string;
  readonly hostId: string;
}

export function sendXml(res: ServerResponse, ids: RequestIds, status: number, body: string, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...idHeaders(ids), 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, ids: RequestIds, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...idHeaders(ids), 'Content-Length': 0, ...headers });
  res.end();
}

/** An error answer; a HEAD request gets the status and headers only, as S3 sends it. */
export function sendError(res: ServerResponse, ids: RequestIds, err: S3Error, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorXml(err, ids.requestId, ids.hostId);
  res.writeHead(err.status, { ...idHeaders(ids), 'Content-Type': 'application/xml', 'Content-Length': head ? 0 : Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export function idHeaders(ids: RequestIds): Record<string, string> {
  return { 'x-amz-request-id': ids.requestId, 'x-amz-id-2': ids.hostId };
}

/** Reads a whole small body (an XML document), refusing more than `max` bytes. */
export async function readSmallBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw tooBig(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw tooBig(max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooBig(max: number): S3Error {
  return new S3Error('MaxMessageLengthExceeded', `Your request was too big: this request takes at most ${max} bytes.`, { MaxMessageLengthBytes: max });
}

/** An HTTP date (Last-Modified), to the second. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** An XML timestamp, as S3 writes them: 2026-11-25T13:45:01.000Z. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
