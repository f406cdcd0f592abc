/**
 * Bearer tokens of `aws eks get-token`, as EKS's authenticator checks them:
 *
 *   k8s-aws-v1.<base64url of https://<sts host>/?Action=GetCallerIdentity&Version=2011-06-15
 *       &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK/yyyymmdd/<region>/sts/aws4_request
 *       &X-Amz-Date=…&X-Amz-Expires=60&X-Amz-SignedHeaders=host;x-k8s-aws-id[&X-Amz-Security-Token=…]
 *       &X-Amz-Signature=…>
 *     ─▶ a GetCallerIdentity URL of an STS Berth answers for (AWS's STS names, or Berth's own address)
 *     ─▶ fresh: signed at most 15 minutes ago (EKS honours a token for 15 minutes whatever
 *        shorter X-Amz-Expires the CLI wrote; one asking for longer is refused)
 *     ─▶ x-k8s-aws-id is signed, and the signature holds with it set to this cluster's name
 *        (a token for another cluster does not verify here)
 *     ─▶ the principal (session credentials: opened with the identity key, the signature
 *        checked in constant time) ─▶ its access entry ─▶ KubeUser
 *
 * Long-term access keys: Berth holds no secrets of its own for them (verify-request.ts
 * takes such a signer for the account's root, unchecked, until IAM exists), so a token
 * made with one is the root's once every other check passes; its signature cannot be
 * checked. Session credentials (STS AssumeRole, task roles) are checked in full.
 */
import { hash } from 'node:crypto';
import type { Authenticate, KubeUser } from '../kube/contract.ts';
import { kubeUserOf, type AccessEntryRecord, type TokenPrincipal } from '../../core/eks/access.ts';
import { rootPrincipal } from '../../identity/principal.ts';
import { openSessionToken } from '../../identity/session-credentials.ts';
import { Lru } from '../../lib/lru.ts';
import { verifySignature } from '../aws/sigv4.ts';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** How long after signing EKS accepts a token: 15 minutes. */
export const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** How far ahead of the server's clock a token's X-Amz-Date may be (the SigV4 clock skew). */
const MAX_FUTURE_SKEW_MS = 15 * 60 * 1000;
/** A token is a URL of a few hundred bytes (a session token makes it about 1.5 KB); longer ones are not read. */
const MAX_TOKEN_CHARS = 8 * 1024;
/** The SHA-256 of the empty body: what a presigned GET signs as its payload. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** AWS's STS host names: `sts.amazonaws.com`, `sts.<region>.amazonaws.com` (and .cn). */
const AWS_STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;

export interface EksAuthenticatorOptions {
  /** The control plane's identity key (session tokens open with it). */
  readonly identityKey: Buffer;
  readonly accountId: string;
  readonly clusterName: string;
  /** Whether a URL's host (`host` or `host:port`) is Berth's own address: its STS. */
  readonly isBerthHost: (host: string) => boolean;
  /** The access entry of this cluster for a principal ARN, read when a token arrives. */
  readonly accessEntry: (principalArn: string) => Promise<AccessEntryRecord | undefined>;
  /**
   * The store revision of that entry (undefined: none), read without the entry itself. When
   * given, a remembered token's user is reused while its entry's revision holds, and the
   * entry is read and the user made again only when it changed; without it, every request
   * reads the entry.
   */
  readonly accessEntryRevision?: (principalArn: string) => Promise<number | undefined>;
}

/** A token's principal and until when (epoch ms) the token holds, or why it proves nothing. */
export type TokenCheck = { readonly ok: true; readonly principal: TokenPrincipal; readonly validUntil: number } | { readonly ok: false; readonly why: string };

/**
 * Tokens verified lately, each kept until it expires: kubectl sends one token with every
 * request for 14 minutes, and a hit skips the decode and the three HMACs of a check. The
 * access entry's revision is still read per request, so a deleted or changed entry takes
 * effect at once.
 */
export const MAX_VERIFIED_TOKENS = 1_000;

/** The principal a token proves for `clusterName` at `now`, or why it proves nothing. */
export function checkToken(token: string, now: number, o: Omit<EksAuthenticatorOptions, 'accessEntry'>): TokenCheck {
  const no = (why: string): TokenCheck => ({ ok: false, why });
  if (!token.startsWith(TOKEN_PREFIX) || token.length > MAX_TOKEN_CHARS) return no('not an EKS token');
  const encoded = token.slice(TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return no('not base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return no('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return no('not an http(s) URL');
  if (!AWS_STS_HOST.test(url.hostname) && !o.isBerthHost(url.host)) return no(`${url.host} is not an STS endpoint of Berth`);
  if (url.pathname !== '/') return no('not the STS root path');
  const q = url.searchParams;
  for (const name of new Set(q.keys())) if (q.getAll(name).length > 1) return no(`${name} repeated`);
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') return no('not GetCallerIdentity 2011-06-15');
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return no('not SigV4');
  const credential = /^([^/]+)\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request$/.exec(q.get('X-Amz-Credential') ?? '');
  if (!credential) return no('no STS credential scope');
  const [, accessKeyId, day, region] = credential as unknown as [string, string, string, string];
  const stamp = q.get('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(stamp);
  if (signedAt === undefined || stamp.slice(0, 8) !== day) return no('bad X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires * 1000 > TOKEN_LIFETIME_MS) return no('X-Amz-Expires missing or over 15 minutes');
  if (now > signedAt + TOKEN_LIFETIME_MS) return no('expired');
  if (signedAt > now + MAX_FUTURE_SKEW_MS) return no('signed in the future');
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id') || !signedHeaders.includes('host')) return no('x-k8s-aws-id and host must be signed');
  if (signedHeaders.some((h) => h !== 'host' && h !== 'x-k8s-aws-id')) return no('signs headers a token cannot carry');
  const signature = q.get('X-Amz-Signature') ?? '';
  if (!/^[0-9a-f]{64}$/.test(signature)) return no('no signature');

  if (!accessKeyId.startsWith('ASIA')) {
    const root = rootPrincipal(o.accountId);
    return { ok: true, principal: { kind: 'root', arn: root.arn, entryArn: root.arn, accessKeyId, userId: root.userId }, validUntil: signedAt + TOKEN_LIFETIME_MS };
  }
  const opened = openSessionToken(o.identityKey, accessKeyId, q.get('X-Amz-Security-Token') ?? '', now);
  if (!opened.ok) return no(`session token ${opened.reason}`);
  const unsigned = new URLSearchParams([...q].filter(([k]) => k !== 'X-Amz-Signature'));
  const path = `/?${unsigned.toString().replace(/\+/g, '%20')}`;
  const headers = { host: url.host, 'x-k8s-aws-id': o.clusterName, 'x-amz-date': stamp };
  const scope = `${day}/${region}/sts/aws4_request`;
  // botocore (both aws CLIs) presigns the empty body's hash; the JS SDK's presigner signs UNSIGNED-PAYLOAD.
  const holds = [EMPTY_SHA256, 'UNSIGNED-PAYLOAD'].some((payloadHash) =>
    verifySignature({ method: 'GET', path, headers, body: '', payloadHash }, signedHeaders, opened.secretAccessKey, scope, signature));
  if (!holds) return no('signature does not hold for this cluster');
  const p = opened.principal;
  const principal: TokenPrincipal = { kind: 'assumed-role', arn: p.arn, entryArn: p.roleArn ?? p.arn, accessKeyId, sessionName: opened.facts.sessionName, userId: p.userId };
  return { ok: true, principal, validUntil: Math.min(signedAt + TOKEN_LIFETIME_MS, opened.expiration) };
}

/** A verified token: whom it proves until when, and the user its entry made at a revision. */
interface Verified {
  /** The token itself (the map is keyed by its digest): a presented one must be it, not only hash alike. */
  readonly token: string;
  readonly principal: TokenPrincipal;
  readonly validUntil: number;
  user?: { readonly of: KubeUser; readonly entryRevision: number };
}

/** The cluster's Authenticate (src/api/kube/contract.ts): a verified token's user, or undefined. */
export function eksAuthenticator(o: EksAuthenticatorOptions): Authenticate {
  // Keyed by the token's SHA-256 (one-shot: no Hash object per request), so the lookup
  // compares digests, never a presented token with a remembered one character by character:
  // how long it takes tells nothing about a token the caller does not hold already. The
  // equality check after a digest match only guards against a collision.
  const verified = new Lru<string, Verified>(MAX_VERIFIED_TOKENS);
  return async (bearerToken, now): Promise<KubeUser | undefined> => {
    const digest = hash('sha256', bearerToken, 'base64');
    let hit = verified.get(digest);
    if (hit && (now >= hit.validUntil || hit.token !== bearerToken)) {
      verified.delete(digest);
      hit = undefined;
    }
    if (!hit) {
      const checked = checkToken(bearerToken, now, o);
      if (!checked.ok) return undefined;
      hit = { token: bearerToken, principal: checked.principal, validUntil: checked.validUntil };
      verified.set(digest, hit);
    }
    if (!o.accessEntryRevision) {
      const entry = await o.accessEntry(hit.principal.entryArn);
      return entry ? kubeUserOf(entry, hit.principal) : undefined;
    }
    // The revision before the entry: a write between the two makes the next request read it again.
    const revision = await o.accessEntryRevision(hit.principal.entryArn);
    if (revision === undefined) return undefined;
    if (hit.user?.entryRevision === revision) return hit.user.of;
    const entry = await o.accessEntry(hit.principal.entryArn);
    if (!entry) return undefined;
    hit.user = { of: kubeUserOf(entry, hit.principal), entryRevision: revision };
    return hit.user.of;
  };
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
}
