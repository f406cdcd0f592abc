/**
 * The one SigV4 verifier: who signed a request. Every AWS door calls it once per request
 * and hands the principal to its handlers (RequestContext.principal).
 *
 *   Authorization header ─▶ parseSigV4Header (strict)
 *        │ access key ASIA…: Berth's own session credentials (a task role's)
 *        │     x-amz-security-token ─▶ openSessionToken ─▶ secret, principal
 *        │     x-amz-date within 15 min ─▶ verifySignature (constant time, body hashed here)
 *        │ any other key, or no signature: the account's root, unchecked, as Berth has always
 *        ▼     answered (the README says so; long-term keys and a strict mode come with IAM)
 *   Principal | VerifyFailure (each door words it in its protocol: failureCode)
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, type ErrorCode } from '../../core/errors.ts';
import { rootPrincipal, type Principal } from '../../identity/principal.ts';
import { openSessionToken } from '../../identity/session-credentials.ts';
import { parseSigV4Header } from './sigv4-header.ts';
import { verifySignature } from './sigv4.ts';

/** How far a request's x-amz-date may be from the server's clock, either way (AWS: 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface VerifiableRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string | Uint8Array;
}

export type FailureKind = 'incomplete' | 'invalid-token' | 'expired-token' | 'signature' | 'skew';

/** Why a request's signature was refused, before a door words it. */
export class VerifyFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The exception each protocol family answers a failure with (JSON services; Query services such as STS). */
const CODES: Readonly<Record<'json' | 'query', Readonly<Record<FailureKind, ErrorCode>>>> = {
  json: { incomplete: 'IncompleteSignatureException', 'invalid-token': 'UnrecognizedClientException', 'expired-token': 'ExpiredTokenException', signature: 'InvalidSignatureException', skew: 'InvalidSignatureException' },
  query: { incomplete: 'IncompleteSignature', 'invalid-token': 'InvalidClientTokenId', 'expired-token': 'ExpiredToken', signature: 'SignatureDoesNotMatch', skew: 'SignatureDoesNotMatch' },
};

export function failureError(f: VerifyFailure, protocol: 'json' | 'query'): ApiError {
  return new ApiError(CODES[protocol][f.kind], f.message);
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';
const BAD_SIGNATURE = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export interface RequestVerifier {
  /** The request's principal; throws {@link VerifyFailure} when its signature does not hold. */
  verify(req: VerifiableRequest, now: number): Principal;
}

export function createRequestVerifier(options: { readonly key: Buffer; readonly accountId: string }): RequestVerifier {
  const root = rootPrincipal(options.accountId);
  return {
    verify(req, now) {
      const auth = req.headers.authorization;
      if (typeof auth !== 'string') return root;
      let header;
      try {
        header = parseSigV4Header(auth);
      } catch (e) {
        throw new VerifyFailure('incomplete', (e as Error).message);
      }
      if (!header.accessKeyId.startsWith('ASIA')) return root;
      const token = req.headers['x-amz-security-token'];
      if (typeof token !== 'string') throw new VerifyFailure('invalid-token', INVALID_TOKEN);
      const opened = openSessionToken(options.key, header.accessKeyId, token, now);
      if (!opened.ok) throw new VerifyFailure(opened.reason === 'expired' ? 'expired-token' : 'invalid-token', opened.reason === 'expired' ? EXPIRED_TOKEN : INVALID_TOKEN);
      for (const name of Object.keys(req.headers)) {
        if ((name === 'host' || name.startsWith('x-amz-')) && !header.signedHeaders.includes(name)) {
          throw new VerifyFailure('incomplete', `'${name}' must be a signed header: sign host and every x-amz-* header.`);
        }
      }
      const stamp = String(req.headers['x-amz-date'] ?? '');
      const signedAt = parseAmzDate(stamp);
      if (signedAt === undefined) throw new VerifyFailure('incomplete', `x-amz-date '${stamp}' is not yyyymmddThhmmssZ.`);
      if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
        throw new VerifyFailure('skew', `Signature expired: ${stamp} is now earlier than ${amz(now - MAX_CLOCK_SKEW_MS)} (${amz(now)} - 15 min.)`);
      }
      const scope = `${header.date}/${header.region}/${header.service}/aws4_request`;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]));
      if (!verifySignature({ method: req.method, path: req.url, headers, body: req.body }, header.signedHeaders, opened.secretAccessKey, scope, header.signature)) {
        throw new VerifyFailure('signature', BAD_SIGNATURE);
      }
      return opened.principal;
    },
  };
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}

function amz(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
