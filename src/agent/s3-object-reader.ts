/**
 * Reads objects from Berth's S3 (GetObject, SigV4-signed as the SDKs sign it) for the
 * agent: environment files live there. The agent may run on another host than the
 * control plane, so it goes over HTTP to the endpoint it joined, like any S3 client.
 */

import { signRequest, sha256Hex, type Credentials } from '../api/aws/sigv4.ts';
import { header, httpRequest, HttpRequestError, isOk, readBody, type HttpResponse } from '../lib/http-request.ts';
import type { S3ObjectReader } from './env-files.ts';

/** The ECS agent gives an env file download this long (its s3DownloadTimeout). */
export const S3_DOWNLOAD_TIMEOUT_MS = 30_000;
/**
 * Largest environment file read. ECS sets no limit of its own, but Linux does: a single
 * variable may be at most 128 KiB and all of a process's arguments and environment at
 * most a quarter of its stack limit (2 MiB by default), so a larger file could never
 * reach the container's process.
 */
export const MAX_ENV_FILE_BYTES = 2 * 1024 * 1024;

const EMPTY_SHA256 = sha256Hex('');
/** An S3 error document is a few hundred bytes; more is not an error document. */
const MAX_ERROR_BYTES = 64 * 1024;

export function s3ObjectReader(endpoint: string, region: string, creds: Credentials): S3ObjectReader {
  const base = new URL(endpoint);
  return async ({ bucket, key }) => {
    const path = `${base.pathname.replace(/\/$/, '')}/${bucket}/${key.split('/').map(encodeSegment).join('/')}`;
    const headers = { host: base.host, 'x-amz-content-sha256': EMPTY_SHA256 };
    const signed = signRequest({ method: 'GET', path, headers, body: '' }, creds, region, 's3', new Date());
    // node:http through src/lib/http-request.ts, not fetch: fetch loads undici, ~12 MiB of
    // the agent's memory for good (bench/README.md, "Agent RSS").
    let res: HttpResponse;
    try {
      res = await httpRequest(new URL(path, base), { headers: { ...headers, ...signed }, signal: AbortSignal.timeout(S3_DOWNLOAD_TIMEOUT_MS) });
    } catch (e) {
      throw new Error(`cannot reach S3 at ${endpoint} (${e instanceof HttpRequestError ? e.code : (e as Error).message})`);
    }
    if (!isOk(res)) {
      const text = (await readBody(res, MAX_ERROR_BYTES))?.toString('utf8') ?? '';
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.statusCode}`;
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? res.statusMessage ?? '';
      throw new Error(`${code}: ${unescape(message)} status code: ${res.statusCode}`);
    }
    const declared = Number(header(res, 'content-length') ?? 0);
    if (declared > MAX_ENV_FILE_BYTES) {
      res.destroy();
      throw new Error(`the file has ${declared} bytes; an environment file may have at most ${MAX_ENV_FILE_BYTES}`);
    }
    const body = await readBody(res, MAX_ENV_FILE_BYTES);
    if (body === undefined) throw new Error(`the file has more than ${MAX_ENV_FILE_BYTES} bytes, the most an environment file may have`);
    return body;
  };
}

/** A key segment as SigV4 and S3 want it: RFC 3986 unreserved characters kept, the rest %XX. */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function unescape(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
