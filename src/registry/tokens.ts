/**
 * Registry tokens: what `aws ecr get-authorization-token` hands out and `docker login`
 * / `skopeo login` present back as the password of user `AWS`.
 *
 *   berth1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "berth1." + claims))>
 *
 * Self-verifying: the registry checks the signature (in constant time) and the expiry,
 * and needs no store read per request. The secret is generated once per data dir.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** ECR authorization tokens are valid for 12 hours (ECR GetAuthorizationToken reference). */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** 256 bits: the HMAC-SHA256 key size. */
const SECRET_BYTES = 32;
const PREFIX = 'berth1.';
/** Longest token considered: real ones are ~200 characters; bigger input is refused before any work. */
const MAX_TOKEN_LENGTH = 4096;

export interface TokenClaims {
  /** The account the token was issued to. */
  readonly account: string;
  /** Epoch milliseconds after which the token is refused. */
  readonly expiresAt: number;
  /** When set, the token is good for this one thing only (e.g. `blob:<repo>@<digest>` of a download URL). */
  readonly scope?: string;
  /** Who asked for it (GetAuthorizationToken's caller): the principal its pulls are made as. */
  readonly principal?: string;
}

export interface TokenAuthority {
  issue(claims: TokenClaims): string;
  /** The claims of a valid, unexpired token; undefined for anything else. */
  verify(token: string, now: number): TokenClaims | undefined;
}

export function tokenAuthority(secret: Buffer): TokenAuthority {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest();
  return {
    issue(claims) {
      const payload = PREFIX + Buffer.from(JSON.stringify({ a: claims.account, e: claims.expiresAt, ...(claims.scope !== undefined && { s: claims.scope }), ...(claims.principal !== undefined && { p: claims.principal }) })).toString('base64url');
      return `${payload}.${sign(payload).toString('base64url')}`;
    },
    verify(token, now) {
      if (token.length > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) return undefined;
      const dot = token.lastIndexOf('.');
      if (dot <= PREFIX.length) return undefined;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = sign(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let claims: { a?: unknown; e?: unknown; s?: unknown; p?: unknown };
      try {
        claims = JSON.parse(Buffer.from(payload.slice(PREFIX.length), 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof claims.a !== 'string' || typeof claims.e !== 'number' || claims.e <= now) return undefined;
      return { account: claims.a, expiresAt: claims.e, ...(typeof claims.s === 'string' && { scope: claims.s }), ...(typeof claims.p === 'string' && { principal: claims.p }) };
    },
  };
}

/** The token authority of a data dir: its secret is created on first use and kept (mode 0600). */
export async function openTokenAuthority(dataDir: string): Promise<TokenAuthority> {
  const path = join(dataDir, 'registry', 'token-secret');
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, randomBytes(SECRET_BYTES), { flag: 'wx', mode: 0o600, flush: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const secret = await readFile(path);
  if (secret.length !== SECRET_BYTES) throw new Error(`${path} is not a ${SECRET_BYTES}-byte secret; remove it to have a new one generated (outstanding tokens become invalid)`);
  return tokenAuthority(secret);
}
