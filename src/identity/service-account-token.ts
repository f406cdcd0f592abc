/**
 * Kubernetes service account tokens, as the API server's TokenRequest makes them and its
 * authenticator checks them: a JWT (RS256) naming the service account and the pod it is bound
 * to, for an audience, from the cluster's issuer, for a while. Projected into pods (the
 * `kube-api-access` volume), they let a pod call its cluster's API; their public key is
 * published at the issuer (OpenID discovery), as EKS publishes it for IAM roles for service
 * accounts. JWT signing and verification are jose's (a maintained, dependency-free library).
 * Pure but for the crypto: keys, `now` and the token id come in.
 */
import { createPrivateKey, sign as signBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, calculateJwkThumbprint, type JWK, type JWTPayload } from 'jose';
import type { KubeUser } from '../core/kube/user.ts';

/** The audience a token gets when the request names none: the API server's own (EKS's --api-audiences). */
export const API_AUDIENCE = 'https://kubernetes.default.svc';
/** What the kubelet asks for a projected token (1 h, plus 7 s as it adds), and the shortest TokenRequest allows. */
export const PROJECTED_TOKEN_SECONDS = 3607;
export const MIN_TOKEN_SECONDS = 600;
/** TokenRequest's default lifetime (SetDefaults_TokenRequestSpec: an hour). */
export const DEFAULT_TOKEN_SECONDS = 3600;
/** The longest lifetime TokenRequest validation accepts at all (2^32 s), before the server's maximum shortens it. */
export const MAX_VALID_TOKEN_SECONDS = 2 ** 32;
/**
 * EKS's API server maximum (--service-account-max-token-expiration): 90 days. A longer request
 * is shortened with a warning, and a projected token's extended lifetime is this long too
 * ("Your Amazon EKS cluster's Kubernetes API server rejects requests with tokens that are
 * greater than 90 days old", EKS user guide, Service account tokens).
 */
export const MAX_TOKEN_SECONDS = 90 * 24 * 3600;
/** Clock skew tolerated on `nbf` and `exp` (the API server allows a minute of leeway). */
const LEEWAY_SECONDS = 60;
const ALGORITHM = 'RS256';

export interface SigningKey {
  /** Private key as a JWK (kept in the store, never served). */
  readonly privateJwk: JWK;
  /** Public key as a JWK, with its `kid`, `use` and `alg` (served in the JWKS). */
  readonly publicJwk: JWK;
}

/** A new RSA 2048 signing key; its `kid` is the public key's JWK thumbprint. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM }, publicJwk: { ...publicJwk, kid, use: 'sig', alg: ALGORITHM } };
}

/** Who a token is for. */
export interface TokenSubject {
  readonly namespace: string;
  readonly serviceAccount: { readonly name: string; readonly uid: string };
  /** The pod it is bound to (a projected token): invalid once that pod is gone. */
  readonly pod?: { readonly name: string; readonly uid: string };
  readonly node?: { readonly name: string; readonly uid: string };
  /** The Secret it is bound to (TokenRequest's boundObjectRef kind Secret): invalid once that Secret is gone. */
  readonly secret?: { readonly name: string; readonly uid: string };
}

export interface IssueOptions {
  readonly issuer: string;
  readonly audiences?: readonly string[];
  readonly expirationSeconds?: number;
  /** Epoch seconds. */
  readonly now: number;
  /** The token's id (jti): a UUID, given. */
  readonly id: string;
}

/** The claims of a token, as the API server writes them. */
export interface ServiceAccountClaims extends JWTPayload {
  readonly 'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    node?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    /** Extended projected tokens: when the requested lifetime ended (epoch seconds). */
    warnafter?: number;
  };
}

/**
 * The claims the API server signs for `subject` (serviceaccount.Claims): iss, sub, aud, iat,
 * nbf, exp and jti, and the `kubernetes.io` claim. A lifetime under MIN_TOKEN_SECONDS is raised
 * to it. `warnAfter` (epoch seconds) marks an extended projected token: the kubelet's hour is
 * over then, the token still holds until `exp`.
 */
export function serviceAccountClaims(subject: TokenSubject, o: IssueOptions & { warnAfter?: number }): ServiceAccountClaims {
  const seconds = Math.max(MIN_TOKEN_SECONDS, o.expirationSeconds ?? PROJECTED_TOKEN_SECONDS);
  return {
    aud: [...(o.audiences ?? [API_AUDIENCE])],
    exp: o.now + seconds,
    iat: o.now,
    iss: o.issuer,
    jti: o.id,
    'kubernetes.io': {
      namespace: subject.namespace,
      ...(subject.node && { node: { ...subject.node } }),
      ...(subject.pod && { pod: { ...subject.pod } }),
      ...(subject.secret && { secret: { ...subject.secret } }),
      serviceaccount: { ...subject.serviceAccount },
      ...(o.warnAfter !== undefined && { warnafter: o.warnAfter }),
    },
    nbf: o.now,
    sub: `system:serviceaccount:${subject.namespace}:${subject.serviceAccount.name}`,
  };
}

/**
 * Signs claims with a cluster's key, synchronously: node:crypto's `sign` is synchronous, while
 * jose signs through WebCrypto, which only has promises. A pod's spec is made in one
 * synchronous pass (podToTaskSpec calls its `token` input), so the signer cannot await; the
 * key is imported once, when the signer is made. RS256 (PKCS#1 v1.5 over SHA-256) gives the
 * same bytes jose's SignJWT would.
 */
export class ServiceAccountSigner {
  readonly #key: KeyObject;
  readonly #header: string;

  constructor(key: SigningKey) {
    this.#key = createPrivateKey({ key: key.privateJwk as JsonWebKey, format: 'jwk' });
    this.#header = b64url(JSON.stringify({ alg: ALGORITHM, kid: key.publicJwk.kid }));
  }

  sign(claims: ServiceAccountClaims | LegacyClaims): string {
    const input = `${this.#header}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${signBytes('sha256', Buffer.from(input), this.#key).toString('base64url')}`;
  }
}

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** One token for `subject`, signed with `key` (a signer made for one call: callers issuing many keep a ServiceAccountSigner). */
export async function issueServiceAccountToken(key: SigningKey, subject: TokenSubject, o: IssueOptions): Promise<string> {
  return new ServiceAccountSigner(key).sign(serviceAccountClaims(subject, o));
}

export type Verified = { readonly claims: ServiceAccountClaims } | { readonly error: string };

/**
 * Checks a token as the API server's authenticator does: our key's signature, our issuer, an
 * audience we accept, within its lifetime; then the claims must name a service account. The
 * caller still checks that the bound pod (and account) exist with those uids.
 */
export async function verifyServiceAccountToken(publicJwks: readonly JWK[], token: string, o: { issuer: string; audiences?: readonly string[]; now: number }): Promise<Verified> {
  try {
    const { payload } = await jwtVerify(token, async (header) => {
      const jwk = publicJwks.find((k) => k.kid === header.kid);
      if (!jwk) throw new Error(`no key ${String(header.kid)}`);
      return importJWK(jwk, ALGORITHM);
    }, {
      issuer: o.issuer,
      audience: [...(o.audiences ?? [API_AUDIENCE])],
      algorithms: [ALGORITHM],
      currentDate: new Date(o.now * 1000),
      clockTolerance: LEEWAY_SECONDS,
    });
    const k8s = (payload as Partial<ServiceAccountClaims>)['kubernetes.io'];
    const prefix = 'system:serviceaccount:';
    if (!k8s?.serviceaccount?.name || payload.sub !== `${prefix}${k8s.namespace}:${k8s.serviceaccount.name}`) return { error: 'not a service account token' };
    return { claims: payload as ServiceAccountClaims };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The user a verified token makes, as the API server names service accounts. */
export function serviceAccountUser(c: ServiceAccountClaims): KubeUser {
  const k = c['kubernetes.io'];
  return {
    username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
    uid: k.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    extra: {
      ...(k.pod && { 'authentication.kubernetes.io/pod-name': [k.pod.name], 'authentication.kubernetes.io/pod-uid': [k.pod.uid] }),
      ...(k.node && { 'authentication.kubernetes.io/node-name': [k.node.name], 'authentication.kubernetes.io/node-uid': [k.node.uid] }),
      ...(c.jti && { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] }),
    },
  };
}

/** The issuer of legacy tokens, those the token controller writes into `kubernetes.io/service-account-token` Secrets. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

/** A legacy token's claims (serviceaccount.LegacyClaims): no audience, no expiry; valid while its Secret holds it. */
export interface LegacyClaims extends JWTPayload {
  readonly 'kubernetes.io/serviceaccount/namespace': string;
  readonly 'kubernetes.io/serviceaccount/secret.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.name': string;
  readonly 'kubernetes.io/serviceaccount/service-account.uid': string;
}

export function legacyClaims(namespace: string, serviceAccount: { name: string; uid: string }, secretName: string): LegacyClaims {
  return {
    iss: LEGACY_ISSUER,
    'kubernetes.io/serviceaccount/namespace': namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': serviceAccount.name,
    'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.uid,
    sub: `system:serviceaccount:${namespace}:${serviceAccount.name}`,
  };
}

/** A legacy token's claims when our key signed it, or why not (the caller checks its Secret and account). */
export async function verifyLegacyToken(publicJwks: readonly JWK[], token: string): Promise<{ readonly claims: LegacyClaims } | { readonly error: string }> {
  try {
    const { payload } = await jwtVerify(token, async (header) => {
      const jwk = publicJwks.find((k) => k.kid === header.kid);
      if (!jwk) throw new Error(`no key ${String(header.kid)}`);
      return importJWK(jwk, ALGORITHM);
    }, { issuer: LEGACY_ISSUER, algorithms: [ALGORITHM] });
    const c = payload as Partial<LegacyClaims>;
    const ns = c['kubernetes.io/serviceaccount/namespace'];
    const name = c['kubernetes.io/serviceaccount/service-account.name'];
    if (!ns || !name || !c['kubernetes.io/serviceaccount/secret.name'] || payload.sub !== `system:serviceaccount:${ns}:${name}`) return { error: 'not a service account token' };
    return { claims: payload as LegacyClaims };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The user a legacy token makes: the account, its groups, no pod. */
export function legacyServiceAccountUser(c: LegacyClaims): KubeUser {
  const ns = c['kubernetes.io/serviceaccount/namespace'];
  return {
    username: `system:serviceaccount:${ns}:${c['kubernetes.io/serviceaccount/service-account.name']}`,
    uid: c['kubernetes.io/serviceaccount/service-account.uid'],
    groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
  };
}

/** The issuer's OpenID discovery document (`<issuer>/.well-known/openid-configuration`). */
export function openidConfiguration(issuer: string, jwksUri: string) {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ALGORITHM],
  };
}

/** The JWKS the discovery document points at: public keys only. */
export function jwks(publicJwks: readonly JWK[]) {
  return { keys: publicJwks.map(({ kty, n, e, kid, use, alg }) => ({ kty, n, e, kid, use, alg })) };
}
