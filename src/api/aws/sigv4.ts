import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 for header-signed requests: the canonical request, the string
 * to sign and the derived signing key, per the AWS "Signature Version 4 signing process".
 * Used to sign (Berth's own CLI) and to verify (the endpoint, when credentials are on).
 */
export interface SignableRequest {
  readonly method: string;
  /** Path and query, e.g. `/` or `/v2/?x=1`. */
  readonly path: string;
  /** Header names in any case; values as sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  /**
   * The payload hash to sign in place of the body's: a presigned URL's (the body is not
   * known when it is made; botocore signs the empty body's hash, S3 `UNSIGNED-PAYLOAD`).
   */
  readonly payloadHash?: string;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials' token: sent (and signed) as `x-amz-security-token`. */
  readonly sessionToken?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `x-amz-date` format: 20261125T134501Z. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Returns the headers to add (`x-amz-date`, `x-amz-security-token` for temporary credentials, `authorization`) to sign `req`. */
export function signRequest(req: SignableRequest, creds: Credentials, region: string, service: string, date: Date): Record<string, string> {
  const stamp = amzDate(date);
  const token: Record<string, string> = creds.sessionToken !== undefined ? { 'x-amz-security-token': creds.sessionToken } : {};
  const headers = { ...lower(req.headers), 'x-amz-date': stamp, ...token };
  const signed = Object.keys(headers).sort();
  const scope = `${stamp.slice(0, 8)}/${region}/${service}/aws4_request`;
  const signature = computeSignature(req, headers, signed, creds.secretAccessKey, scope, stamp);
  return { 'x-amz-date': stamp, ...token, authorization: `${ALGORITHM} Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}` };
}

/**
 * True when `signature` is the one `secret` gives for the request. The body is always
 * hashed here: a client's `x-amz-content-sha256` is never trusted in its place. The
 * comparison takes the same time whatever the bytes.
 */
export function verifySignature(req: SignableRequest, signedHeaders: readonly string[], secret: string, scope: string, signature: string): boolean {
  const headers = lower(req.headers);
  const stamp = headers['x-amz-date'] ?? '';
  const expected = Buffer.from(computeSignature(req, headers, signedHeaders, secret, scope, stamp), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function computeSignature(req: SignableRequest, headers: Record<string, string>, signed: readonly string[], secret: string, scope: string, stamp: string): string {
  const [path = '/', query = ''] = req.path.split('?', 2) as [string?, string?];
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    signed.map((h) => `${h}:${(headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    signed.join(';'),
    req.payloadHash ?? sha256Hex(req.body),
  ].join('\n');
  const stringToSign = [ALGORITHM, stamp, scope, sha256Hex(canonical)].join('\n');
  const [date, region, service] = scope.split('/') as [string, string, string];
  const kDate = hmac(`AWS4${secret}`, date);
  const key = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function lower(h: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Each path segment URI-encoded once (the path arrives already encoded, as on the wire). */
function canonicalPath(path: string): string {
  return path.split('/').map((seg) => encode(decodeURIComponent(seg))).join('/') || '/';
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query.split('&').filter(Boolean).map((pair) => {
    const [k = '', v = ''] = pair.split('=', 2) as [string?, string?];
    return [encode(decodeURIComponent(k.replace(/\+/g, ' '))), encode(decodeURIComponent(v.replace(/\+/g, ' ')))] as const;
  }).sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
}

/** RFC 3986 unreserved characters stay; everything else is %XX, as SigV4 requires. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
