/**
 * A cluster's service account tokens on its API server: the authenticator that accepts them,
 * the synchronous issuer of pods' projected tokens, and the OpenID discovery documents.
 *
 *   bearer JWT ─▶ verify (key, issuer, audience, lifetime: identity/service-account-token.ts)
 *              ─▶ the service account exists with the token's uid; the pod, Secret or Node it is
 *                 bound to exists with its uid (read through the kinds' backends, every request)
 *              ─▶ KubeUser system:serviceaccount:<ns>:<name>      else undefined: 401
 *   podToken(request) ─▶ claims bound to the pod ─▶ signed synchronously (ServiceAccountSigner)
 *
 * TokenRequest (`serviceaccounts/token`) is token-request.ts, over the same object.
 */
import type { JWK } from 'jose';
import {
  API_AUDIENCE, jwks, legacyClaims, legacyServiceAccountUser, MAX_TOKEN_SECONDS, openidConfiguration, PROJECTED_TOKEN_SECONDS, serviceAccountClaims, serviceAccountUser,
  ServiceAccountSigner, verifyLegacyToken, verifyServiceAccountToken, type SigningKey, type TokenSubject,
} from '../../identity/service-account-token.ts';
import type { TokenRequest } from '../../core/kube/pod/volumes.ts';
import type { KubeUser } from './contract.ts';
import type { Backends } from './backends.ts';
import type { KindRegistry } from './kinds.ts';
import type { Obj } from './object.ts';
import { StatusError } from './status.ts';

/** The audiences this API server accepts (EKS's --api-audiences): tokens for others are not its users. */
export const API_AUDIENCES: readonly string[] = [API_AUDIENCE];
/** A bound object deleted longer ago than this invalidates its tokens (the authenticator's grace for a pod still terminating). */
export const DELETED_OBJECT_GRACE_SECONDS = 60;
/** Where the server publishes its public keys (kube-apiserver's default --service-account-jwks-uri path). */
export const JWKS_PATH = '/openid/v1/jwks';
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

/** What a pod's projected volume asks, with the uid of the service account the pod's admission read. */
export interface PodTokenRequest extends TokenRequest {
  readonly serviceAccountUid: string;
}

/** A pod's projected token, signed synchronously (podToTaskSpec's `token` input calls it while it builds the spec). */
export type PodTokenIssuer = (request: PodTokenRequest) => string;

export interface ServiceAccountTokensDeps {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly backends: Backends;
  readonly registry: KindRegistry;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** A token's id (jti): a random uuid. */
  readonly newId: () => string;
}

/** The core/v1 kinds a token may be bound to, by Kind, with their plural. */
const BINDABLE: Readonly<Record<string, string>> = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly #deps: ServiceAccountTokensDeps;
  readonly #signer: ServiceAccountSigner;
  readonly #publicJwks: readonly JWK[];

  constructor(deps: ServiceAccountTokensDeps) {
    this.#deps = deps;
    this.issuer = deps.issuer;
    this.#signer = new ServiceAccountSigner(deps.key);
    this.#publicJwks = [deps.key.publicJwk];
  }

  /** Signs claims made by serviceAccountClaims (TokenRequest's and the pods' tokens alike). */
  sign(subject: TokenSubject, o: { audiences: readonly string[]; expirationSeconds: number; nowSeconds: number; warnAfter?: number }): string {
    return this.#signer.sign(serviceAccountClaims(subject, {
      issuer: this.issuer, audiences: o.audiences, expirationSeconds: o.expirationSeconds, now: o.nowSeconds, id: this.#deps.newId(),
      ...(o.warnAfter !== undefined && { warnAfter: o.warnAfter }),
    }));
  }

  /**
   * The token of a pod's projected `serviceAccountToken` source, as the kubelet gets it from
   * TokenRequest: bound to the pod, for the API server's audience unless the source names one;
   * the kubelet's 3607 s for the API server become EKS's extended lifetime (warnafter at the hour).
   */
  readonly podToken: PodTokenIssuer = (r) => {
    const nowSeconds = Math.floor(this.#deps.now() / 1000);
    const audiences = r.audience === '' ? API_AUDIENCES : [r.audience];
    const requested = Math.min(r.expirationSeconds, MAX_TOKEN_SECONDS);
    const extended = extendedLifetime(requested, audiences, true);
    return this.sign(
      { namespace: r.namespace, serviceAccount: { name: r.serviceAccountName, uid: r.serviceAccountUid }, pod: { name: r.podName, uid: r.podUid } },
      { audiences, nowSeconds, expirationSeconds: extended?.seconds ?? requested, ...(extended && { warnAfter: nowSeconds + requested }) },
    );
  };

  /** The user a service account token proves, or undefined (the server answers 401). */
  async authenticate(token: string, nowMs: number): Promise<KubeUser | undefined> {
    if (!/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token)) return undefined;
    const nowSeconds = Math.floor(nowMs / 1000);
    const v = await verifyServiceAccountToken(this.#publicJwks, token, { issuer: this.issuer, audiences: API_AUDIENCES, now: nowSeconds });
    if ('error' in v) return this.#authenticateLegacy(token);
    const k = v.claims['kubernetes.io'];
    const sa = await this.object('serviceaccounts', k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata.uid !== k.serviceaccount.uid) return undefined;
    // A pod-bound token names its pod's node for information only; a node-bound one depends on its node.
    const bound: [string, string | undefined, { name: string; uid: string } | undefined][] = [
      ['pods', k.namespace, k.pod], ['secrets', k.namespace, k.secret], ['nodes', undefined, k.pod ? undefined : k.node],
    ];
    for (const [plural, namespace, ref] of bound) {
      if (!ref) continue;
      const o = await this.object(plural, namespace, ref.name);
      if (!o || o.metadata.uid !== ref.uid || deletedLongAgo(o, nowSeconds)) return undefined;
    }
    return serviceAccountUser(v.claims);
  }

  /**
   * A legacy token (a `kubernetes.io/service-account-token` Secret's): our key's signature,
   * its account with the uid it names, and its Secret still holding exactly this token.
   */
  async #authenticateLegacy(token: string): Promise<KubeUser | undefined> {
    const v = await verifyLegacyToken(this.#publicJwks, token);
    if ('error' in v) return undefined;
    const c = v.claims;
    const ns = c['kubernetes.io/serviceaccount/namespace'];
    const sa = await this.object('serviceaccounts', ns, c['kubernetes.io/serviceaccount/service-account.name']);
    if (!sa || sa.metadata.uid !== c['kubernetes.io/serviceaccount/service-account.uid']) return undefined;
    const secret = await this.object('secrets', ns, c['kubernetes.io/serviceaccount/secret.name']);
    const held = (secret?.data as Record<string, string> | undefined)?.token;
    if (held === undefined || Buffer.from(held, 'base64').toString('utf8') !== token) return undefined;
    return legacyServiceAccountUser(c);
  }

  /** The token the token controller writes into a `kubernetes.io/service-account-token` Secret. */
  readonly legacyToken = (namespace: string, serviceAccount: { name: string; uid: string }, secretName: string): string =>
    this.#signer.sign(legacyClaims(namespace, serviceAccount, secretName));

  /** `/.well-known/openid-configuration`. */
  openidConfiguration(): object {
    return openidConfiguration(this.issuer, `${this.issuer}${JWKS_PATH}`);
  }

  /** `/openid/v1/jwks`. */
  jwks(): object {
    return jwks(this.#publicJwks);
  }

  /** An object of a core/v1 kind, or undefined when it does not exist or the kind is not served here. */
  async object(plural: string, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    const kind = this.#deps.registry.byResource('', 'v1', plural);
    if (!kind) return undefined;
    try {
      return await this.#deps.backends.for(kind).get(kind, kind.namespaced ? namespace : undefined, name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** The plural of a Kind a token may be bound to (Pod, Secret, Node), undefined for any other. */
  static bindable(kind: string): string | undefined {
    return BINDABLE[kind];
  }
}

/**
 * The API server's extension of projected tokens (--service-account-extend-token-expiration,
 * on in EKS): a pod-bound request for exactly the kubelet's 3607 s, for the API server's own
 * audiences only, gets the maximum lifetime with `warnafter` at the requested one.
 */
export function extendedLifetime(requestedSeconds: number, audiences: readonly string[], podBound: boolean): { seconds: number } | undefined {
  if (!podBound || requestedSeconds !== PROJECTED_TOKEN_SECONDS || !audiences.every((a) => API_AUDIENCES.includes(a))) return undefined;
  return { seconds: MAX_TOKEN_SECONDS };
}

function deletedLongAgo(o: Obj, nowSeconds: number): boolean {
  const at = o.metadata.deletionTimestamp;
  return at !== undefined && Date.parse(at) / 1000 < nowSeconds - DELETED_OBJECT_GRACE_SECONDS;
}
