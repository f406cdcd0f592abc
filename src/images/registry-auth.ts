/**
 * How the registry client authenticates: it answers a 401's `WWW-Authenticate`
 * challenge. `Basic` means "send the credentials with every request" (what ECR and
 * Berth answer by default); `Bearer realm=…,service=…,scope=…` means "exchange them
 * at the realm for a token good for that scope" (Docker's token authentication
 * specification), which is cached until shortly before it expires.
 */

import { httpRequest, isOk, readBody, type HttpResponse } from '../lib/http-request.ts';
import { RegistryClientError } from './errors.ts';

/** A username and password, e.g. `AWS` and an ECR authorization token. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

/** The token spec's default when a token response has no `expires_in`: 60 seconds. */
const DEFAULT_TOKEN_SECONDS = 60;
/** A token is renewed this long before its end, so that a request never carries one that expires in flight. */
const TOKEN_RENEW_MARGIN_MS = 10_000;
/** Largest token response read (real ones are a few KiB). */
const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;

/**
 * Parses the first Basic or Bearer challenge of a WWW-Authenticate header
 * (`Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`).
 */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const m = /^\s*(basic|bearer)\b\s*(.*)$/is.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  for (const p of (m[2] as string).matchAll(pattern)) params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  return { scheme: (m[1] as string).toLowerCase() as Challenge['scheme'], params };
}

export function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The scope a request needs, in the token spec's form. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** Remembers how a registry wants to be authenticated, and the bearer tokens it handed out. */
export class RegistryAuthenticator {
  readonly #credentials: RegistryCredentials | undefined;
  readonly #registry: string;
  readonly #now: () => number;
  #scheme: Challenge | undefined;
  #tokens = new Map<string, { token: string; expiresAt: number }>();
  #pending = new Map<string, Promise<string>>();

  constructor(registry: string, credentials: RegistryCredentials | undefined, now: () => number = Date.now) {
    this.#registry = registry;
    this.#credentials = credentials;
    this.#now = now;
  }

  get hasCredentials(): boolean {
    return this.#credentials !== undefined;
  }

  /** The Authorization header for a request needing `scope`, if the registry has asked for one before. */
  async header(scope: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    const c = this.#scheme;
    if (c === undefined) return undefined;
    if (c.scheme === 'basic') return this.#credentials ? basicHeader(this.#credentials) : undefined;
    const token = await this.#token(c, scope ?? c.params.scope, signal);
    return `Bearer ${token}`;
  }

  /**
   * Learns from a 401 challenge; true when a retry can succeed (credentials or a token
   * to send that were not sent before).
   */
  async answer(header: string | null, scope: string | undefined, sent: string | undefined, signal?: AbortSignal): Promise<boolean> {
    const c = parseChallenge(header);
    if (c === undefined) return false;
    this.#scheme = c;
    if (c.scheme === 'bearer') {
      // A rejected token is dropped so that the retry fetches a new one.
      for (const [key, t] of this.#tokens) if (sent === `Bearer ${t.token}`) this.#tokens.delete(key);
    }
    const next = await this.header(c.params.scope ?? scope, signal);
    return next !== undefined && next !== sent;
  }

  async #token(c: Challenge, scope: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const realm = c.params.realm;
    if (!realm) throw new RegistryClientError(`registry ${this.#registry} asked for a bearer token without saying where to get one (no realm)`);
    const key = `${realm} ${c.params.service ?? ''} ${scope ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt - TOKEN_RENEW_MARGIN_MS > this.#now()) return cached.token;
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetchToken(realm, c.params.service, scope, signal).then(({ token, expiresAt }) => {
        this.#tokens.set(key, { token, expiresAt });
        return token;
      }).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #fetchToken(realm: string, service: string | undefined, scope: string | undefined, signal: AbortSignal | undefined): Promise<{ token: string; expiresAt: number }> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryClientError(`registry ${this.#registry} named a token realm that is not a URL: ${JSON.stringify(realm.slice(0, 200))}`);
    }
    if (service !== undefined) url.searchParams.set('service', service);
    if (scope !== undefined) url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.#credentials) headers.authorization = basicHeader(this.#credentials);
    let res: HttpResponse;
    let bytes: Buffer | undefined;
    try {
      res = await httpRequest(url, { headers, ...(signal && { signal }) });
      bytes = await readBody(res, MAX_TOKEN_RESPONSE_BYTES);
    } catch (e) {
      throw new RegistryClientError(`cannot reach the token service ${url.origin} of registry ${this.#registry}: ${causeOf(e)}`);
    }
    if (bytes === undefined) throw new RegistryClientError(`the token service of ${this.#registry} answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`);
    const text = bytes.toString('utf8');
    if (!isOk(res)) {
      const hint = this.#credentials
        ? 'the registry refused the credentials: get a fresh ECR token (aws ecr get-login-password) or check the username and password'
        : 'the registry wants credentials: log in, e.g. with an ECR token from \'aws ecr get-login-password\'';
      throw new RegistryClientError(`its token service refused: HTTP ${res.statusCode} (${errorText(text)}); ${hint}`, res.statusCode);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RegistryClientError(`the token service of ${this.#registry} answered something that is not JSON`);
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new RegistryClientError(`the token service of ${this.#registry} answered without a token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: this.#now() + seconds * 1000 };
  }
}

/** The registry's own words from an error body: the spec's first error, or the start of the text. */
export function errorText(text: string): string {
  try {
    const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    if (first) return `${first.code ?? 'error'}: ${first.message ?? ''}`.trim();
  } catch { /* not the spec's JSON */ }
  return text.slice(0, 300).replace(/\s+/g, ' ').trim();
}

/** The most useful words of a failed request (src/lib/http-request.ts): Node's error code, such as ECONNREFUSED. */
export function causeOf(e: unknown): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (err.name === 'AbortError' || err.code === 'ABORT_ERR') return 'aborted';
  return err.code ?? err.message ?? String(e);
}
