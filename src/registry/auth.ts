/**
 * Who may do what on /v2/, as ECR does it: clients log in with user `AWS` and an ECR
 * authorization token as the password (`aws ecr get-login-password | skopeo login
 * --username AWS --password-stdin <host>`), and send it by basic auth on every request;
 * clients that prefer the bearer flow exchange the same credentials at /v2/token.
 */

import type { IncomingMessage } from 'node:http';
import { oci } from './errors.ts';
import { TOKEN_LIFETIME_MS, type TokenAuthority } from './tokens.ts';

export interface RegistryAuth {
  readonly tokens: TokenAuthority;
  /** Pulls need no credentials (pushes still do). Default false. */
  readonly anonymousPull?: boolean;
  /** Credentials are checked at all. Default true; false is a switch for local use only. */
  readonly required?: boolean;
  /**
   * The challenge of a 401: `basic` (what ECR answers) or `bearer` (a token service at
   * /v2/token). Clients handle both. Default `basic`.
   */
  readonly challenge?: 'basic' | 'bearer';
}

/** The ECR username; any other is refused so a mistyped login fails at login, not at push. */
export const REGISTRY_USERNAME = 'AWS';

const ANONYMOUS_SCOPE = 'anonymous';

export interface Access {
  readonly action: 'pull' | 'push';
  /** For blob reads: a download-URL token scoped to this blob is accepted. */
  readonly blob?: { readonly repo: string; readonly digest: string };
}

export type Credentials = { readonly kind: 'none' } | { readonly kind: 'valid'; readonly scope?: string; readonly principal?: string } | { readonly kind: 'invalid'; readonly why: string };

/** Reads and checks the credentials of a request (header, or `?token=` for download URLs). */
export function credentialsOf(auth: RegistryAuth, req: IncomingMessage, query: URLSearchParams, now: number): Credentials {
  const header = req.headers.authorization;
  let token: string | undefined;
  if (header !== undefined) {
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      // Clients answer a basic challenge with empty credentials when they have none.
      if (decoded === ':' || decoded === '') return { kind: 'none' };
      const colon = decoded.indexOf(':');
      if (colon < 0) return { kind: 'invalid', why: 'the basic credentials are not user:password' };
      if (decoded.slice(0, colon) !== REGISTRY_USERNAME) return { kind: 'invalid', why: `log in with username ${REGISTRY_USERNAME} and an ECR token as the password ('aws ecr get-login-password')` };
      token = decoded.slice(colon + 1);
    } else if (scheme === 'bearer') {
      token = value;
    } else {
      return { kind: 'invalid', why: `authorization scheme ${JSON.stringify(scheme)} is not supported: use Basic or Bearer` };
    }
  } else {
    token = query.get('token') ?? undefined;
    if (token === undefined) return { kind: 'none' };
  }
  const claims = auth.tokens.verify(token, now);
  if (!claims) return { kind: 'invalid', why: 'the token is not valid or has expired: get a new one with \'aws ecr get-login-password\' and log in again' };
  // Anonymous bearer tokens (from /v2/token when anonymous pulls are on) carry no identity.
  if (claims.scope === ANONYMOUS_SCOPE) return { kind: 'none' };
  const principal = claims.principal !== undefined ? { principal: claims.principal } : {};
  return claims.scope === undefined ? { kind: 'valid', ...principal } : { kind: 'valid', scope: claims.scope, ...principal };
}

/** The scope of a download URL token for one blob. */
export function blobScope(repo: string, digest: string): string {
  return `blob:${repo}@${digest}`;
}

/** Throws UNAUTHORIZED unless the request may do `access`. */
export function authorize(auth: RegistryAuth, creds: Credentials, access: Access): void {
  if (auth.required === false) return;
  if (creds.kind === 'invalid') throw oci('UNAUTHORIZED', `authentication required: ${creds.why}`);
  if (creds.kind === 'valid') {
    if (creds.scope === undefined) return;
    if (access.action === 'pull' && access.blob && creds.scope === blobScope(access.blob.repo, access.blob.digest)) return;
    throw oci('UNAUTHORIZED', 'this token is only good for the download URL it came with; log in with \'aws ecr get-login-password\'');
  }
  if (access.action === 'pull' && auth.anonymousPull) return;
  throw oci('UNAUTHORIZED', `authentication required: log in with 'aws ecr get-login-password | skopeo login --username ${REGISTRY_USERNAME} --password-stdin <registry>'`);
}

/** The WWW-Authenticate challenge for a 401 from this host. */
export function challenge(auth: RegistryAuth, host: string): string {
  if (auth.challenge === 'bearer') return `Bearer realm="http://${host}/v2/token",service="${host}"`;
  return 'Basic realm="Berth"';
}

/**
 * The token service of the bearer flow (docker's "token authentication specification"):
 * basic credentials in, a bearer token out. The token handed out is the presented ECR
 * token itself, or a fresh one when anonymous pulls are allowed and none was presented.
 */
export function tokenResponse(auth: RegistryAuth, req: IncomingMessage, query: URLSearchParams, form: URLSearchParams | undefined, now: number, account: () => string): object {
  let creds = credentialsOf(auth, req, query, now);
  let password: string | undefined;
  if (form && form.get('grant_type') === 'password') {
    const user = form.get('username');
    password = form.get('password') ?? undefined;
    creds = user === REGISTRY_USERNAME && password && auth.tokens.verify(password, now) ? { kind: 'valid' } : { kind: 'invalid', why: 'wrong username or password' };
  }
  if (creds.kind === 'valid' && creds.scope !== undefined) creds = { kind: 'invalid', why: 'a download-URL token cannot be exchanged' };
  const anonymous = creds.kind === 'none' && (auth.anonymousPull || auth.required === false);
  if (creds.kind !== 'valid' && !anonymous) {
    throw oci('UNAUTHORIZED', creds.kind === 'invalid' ? `authentication failed: ${creds.why}` : `send the registry credentials (username ${REGISTRY_USERNAME}, an ECR token as the password) by basic auth`);
  }
  const presented = password ?? presentedToken(req);
  const expiresAt = now + TOKEN_LIFETIME_MS;
  const token = creds.kind === 'valid' && presented ? presented : auth.tokens.issue({ account: account(), expiresAt, scope: ANONYMOUS_SCOPE });
  const claims = auth.tokens.verify(token, now);
  return {
    token,
    access_token: token,
    expires_in: Math.max(1, Math.floor(((claims?.expiresAt ?? expiresAt) - now) / 1000)),
    issued_at: new Date(now).toISOString(),
  };
}

function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}
