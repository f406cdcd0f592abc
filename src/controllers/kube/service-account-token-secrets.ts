/**
 * The token controller's legacy half: a Secret of type `kubernetes.io/service-account-token`
 * naming a service account (annotation `kubernetes.io/service-account.name`) gets `token` (a
 * legacy JWT of that account and Secret), `namespace` and `ca.crt` (the namespace's
 * `kube-root-ca.crt`, once it is published), and the account's uid as annotation
 * `kubernetes.io/service-account.uid`; a Secret whose account is gone, or has another uid than
 * the annotation names, is deleted (its tokens stop working with it).
 *
 *   reconcileTokenSecrets(secrets, accounts, rootCAs) ─▶ fill | delete   (pure)
 *   TokenSecretsPass.run(): list them through the backends ─▶ decide ─▶ update / delete (pinned)
 */
import type { KindInfo, KindRegistry } from '../../api/kube/kinds.ts';
import type { Backends } from '../../api/kube/backends.ts';
import type { Obj } from '../../api/kube/object.ts';
import { StatusError } from '../../api/kube/status.ts';
import type { FieldSelector } from '../../core/kube/selectors.ts';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';
/** The ConfigMap the root CA publisher keeps in every namespace; its `ca.crt` is the Secrets' too. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Secrets changed per pass at most (the rest in the next pass, which the changes themselves start). */
export const MAX_TOKEN_SECRET_ACTIONS = 100;

export type TokenSecretAction =
  | { readonly type: 'fill'; readonly namespace: string; readonly name: string; readonly uid: string; readonly serviceAccount: { readonly name: string; readonly uid: string }; readonly caCrt: string | undefined }
  | { readonly type: 'delete'; readonly namespace: string; readonly name: string; readonly uid: string };

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/**
 * What to do with each token Secret. `accounts` maps `namespace/name` to the account's uid;
 * `rootCAs` maps a namespace to its published CA (absent: not yet, `ca.crt` waits for it).
 */
export function reconcileTokenSecrets(secrets: readonly Obj[], accounts: ReadonlyMap<string, string>, rootCAs: ReadonlyMap<string, string>): TokenSecretAction[] {
  const actions: TokenSecretAction[] = [];
  for (const s of secrets) {
    const m = s.metadata;
    const saName = m.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
    if (s.type !== SERVICE_ACCOUNT_TOKEN_TYPE || !saName || m.deletionTimestamp !== undefined) continue;
    const ns = m.namespace!;
    const saUid = accounts.get(`${ns}/${saName}`);
    const named = m.annotations?.[SERVICE_ACCOUNT_UID_ANNOTATION];
    if (saUid === undefined || (named !== undefined && named !== saUid)) {
      actions.push({ type: 'delete', namespace: ns, name: m.name!, uid: m.uid! });
      continue;
    }
    const data = (s.data ?? {}) as Record<string, string>;
    const ca = rootCAs.get(ns);
    const stale = !data.token || data.namespace !== b64(ns) || named !== saUid || (ca !== undefined && data['ca.crt'] !== b64(ca));
    if (stale) actions.push({ type: 'fill', namespace: ns, name: m.name!, uid: m.uid!, serviceAccount: { name: saName, uid: saUid }, caCrt: ca });
    if (actions.length >= MAX_TOKEN_SECRET_ACTIONS) break;
  }
  return actions;
}

export interface TokenSecretsPassDeps {
  readonly registry: KindRegistry;
  readonly backends: Backends;
  readonly fieldManager: string;
  /** Signs a legacy token (the API server's ServiceAccountTokens.legacyToken). */
  readonly legacyToken: (namespace: string, serviceAccount: { name: string; uid: string }, secretName: string) => string;
}

/** One pass of the token controller over the cluster, through the kinds' backends as an API client. */
export class TokenSecretsPass {
  readonly #deps: TokenSecretsPassDeps;

  constructor(deps: TokenSecretsPassDeps) {
    this.#deps = deps;
  }

  /** Lists token Secrets (by field selector), accounts and root CAs, applies what the reconciler decides; the count applied. */
  async run(): Promise<number> {
    const kind = (plural: string): KindInfo => this.#deps.registry.byResource('', 'v1', plural)!;
    const list = async (plural: string, fields: FieldSelector = []): Promise<Obj[]> =>
      (await this.#deps.backends.for(kind(plural)).list(kind(plural), undefined, { labels: [], fields, limit: 0, continueToken: undefined })).items;
    const secrets = await list('secrets', [{ field: 'type', equal: true, value: SERVICE_ACCOUNT_TOKEN_TYPE }]);
    if (secrets.length === 0) return 0;
    const accounts = new Map((await list('serviceaccounts')).map((a) => [`${a.metadata.namespace}/${a.metadata.name}`, a.metadata.uid!]));
    const rootCAs = new Map<string, string>();
    for (const c of await list('configmaps', [{ field: 'metadata.name', equal: true, value: ROOT_CA_CONFIGMAP }])) {
      const ca = (c.data as Record<string, string> | undefined)?.['ca.crt'];
      if (ca !== undefined) rootCAs.set(c.metadata.namespace!, ca);
    }
    let applied = 0;
    const secretKind = kind('secrets');
    const backend = this.#deps.backends.for(secretKind);
    for (const a of reconcileTokenSecrets(secrets, accounts, rootCAs)) {
      try {
        if (a.type === 'delete') {
          await backend.delete(secretKind, a.namespace, a.name, { dryRun: false, propagationPolicy: undefined, preconditions: { uid: a.uid } });
        } else {
          await backend.update(secretKind, a.namespace, a.name, (cur) => {
            // Another Secret under the name since the listing: the next pass decides on it.
            if (!cur || cur.metadata.uid !== a.uid) return cur;
            const data = { ...((cur.data ?? {}) as Record<string, string>) };
            if (!data.token) data.token = b64(this.#deps.legacyToken(a.namespace, a.serviceAccount, a.name));
            data.namespace = b64(a.namespace);
            if (a.caCrt !== undefined) data['ca.crt'] = b64(a.caCrt);
            cur.data = data;
            cur.metadata.annotations = { ...cur.metadata.annotations, [SERVICE_ACCOUNT_UID_ANNOTATION]: a.serviceAccount.uid };
            return cur;
          }, { dryRun: false, fieldManager: this.#deps.fieldManager });
        }
        applied++;
      } catch (err) {
        // Gone or changed since the listing: its own change brings the next pass.
        if (!(err instanceof StatusError)) throw err;
      }
    }
    return applied;
  }
}
