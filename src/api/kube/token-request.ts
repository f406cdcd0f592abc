/**
 * TokenRequest, the `serviceaccounts/token` subresource (`kubectl create token NAME`), as the
 * API server's TokenREST answers it: only create; the body's name and namespace, when given,
 * those of the URL; audiences defaulted to the API server's, expirationSeconds to an hour,
 * at least 10 minutes, at most 2^32 s, then shortened to the server's maximum with a warning;
 * a bound Pod, Secret or Node must exist (and have the reference's uid); a pod-bound request
 * for the kubelet's 3607 s gets the extended lifetime. Answers 201 with the token and its
 * expiration (the requested one, not the extension).
 */
import { API_AUDIENCE, DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS, MAX_VALID_TOKEN_SECONDS, MIN_TOKEN_SECONDS, type TokenSubject } from '../../identity/service-account-token.ts';
import { invalidValue } from '../../core/kube/pod/field-errors.ts';
import type { FieldError } from '../../core/kube/names.ts';
import type { RestResponse } from './rest-types.ts';
import { decodeBody } from './rest.ts';
import type { KindInfo } from './kinds.ts';
import { badRequest, invalid, methodNotAllowed, notFound, StatusError } from './status.ts';
import { extendedLifetime, ServiceAccountTokens } from './service-account-tokens.ts';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;

export interface TokenRequestCall {
  readonly method: string;
  /** The serviceaccounts kind (for the body's decoding errors) and the URL's namespace and name. */
  readonly kind: KindInfo;
  readonly namespace: string;
  readonly name: string;
  readonly body: string;
  readonly contentType: string | undefined;
}

interface BoundRef { kind?: string; apiVersion?: string; name?: string; uid?: string }

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export async function handleTokenRequest(tokens: ServiceAccountTokens, call: TokenRequestCall, nowMs: number): Promise<RestResponse> {
  if (call.method !== 'POST') throw methodNotAllowed();
  const req = decodeBody({ ...call.kind, group: GROUP, version: 'v1', kind: 'TokenRequest' }, call.body, call.contentType);
  if (req.apiVersion !== undefined && req.apiVersion !== API_VERSION) throw badRequest(`the API version in the data (${String(req.apiVersion)}) does not match the expected API version (${API_VERSION})`);
  if (req.kind !== undefined && req.kind !== 'TokenRequest') throw badRequest(`the kind in the data (${String(req.kind)}) does not match the expected kind (TokenRequest)`);
  const { name, namespace } = call;
  if (req.metadata.name && req.metadata.name !== name) throw invalid(GROUP, 'TokenRequest', name, [invalidValue('metadata.name', req.metadata.name, 'must match the service account name if specified')]);
  if (req.metadata.namespace && req.metadata.namespace !== namespace) {
    throw invalid(GROUP, 'TokenRequest', name, [invalidValue('metadata.namespace', req.metadata.namespace, 'must match the service account namespace if specified')]);
  }
  const sa = await tokens.object('serviceaccounts', namespace, name);
  if (!sa) throw notFound({ group: '', plural: 'serviceaccounts' }, name);

  const spec = isObj(req.spec) ? req.spec : {};
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [API_AUDIENCE];
  let seconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_TOKEN_SECONDS;
  const errors: FieldError[] = [];
  if (seconds < MIN_TOKEN_SECONDS) errors.push(invalidValue('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes'));
  if (seconds > MAX_VALID_TOKEN_SECONDS) errors.push(invalidValue('spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds'));
  if (errors.length > 0) throw invalid(GROUP, 'TokenRequest', '', errors);

  const subject: { -readonly [K in keyof TokenSubject]: TokenSubject[K] } = { namespace, serviceAccount: { name, uid: sa.metadata.uid ?? '' } };
  const ref = isObj(spec.boundObjectRef) ? (spec.boundObjectRef as BoundRef) : undefined;
  if (ref) await bind(tokens, subject, ref, name, namespace);

  const warnings: string[] = [];
  if (seconds > MAX_TOKEN_SECONDS) {
    warnings.push(`requested expiration of ${seconds} seconds shortened to ${MAX_TOKEN_SECONDS} seconds`);
    seconds = MAX_TOKEN_SECONDS;
  }
  const nowSeconds = Math.floor(nowMs / 1000);
  const extended = extendedLifetime(seconds, audiences, subject.pod !== undefined);
  const token = tokens.sign(subject, { audiences, nowSeconds, expirationSeconds: extended?.seconds ?? seconds, ...(extended && { warnAfter: nowSeconds + seconds }) });
  return {
    status: 201,
    warnings,
    body: {
      kind: 'TokenRequest', apiVersion: API_VERSION,
      metadata: { name, namespace, creationTimestamp: rfc3339(nowMs) },
      spec: { audiences, expirationSeconds: seconds, boundObjectRef: ref ?? null },
      status: { token, expirationTimestamp: rfc3339(nowMs + seconds * 1000) },
    },
  };
}

/** Binds the token to the object `ref` names (its uid checked), or throws the server's error. */
async function bind(tokens: ServiceAccountTokens, subject: { -readonly [K in keyof TokenSubject]: TokenSubject[K] }, ref: BoundRef, saName: string, namespace: string): Promise<void> {
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
  const kind = ref.kind ?? '';
  const plural = group === '' ? ServiceAccountTokens.bindable(kind) : undefined;
  if (!plural) throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  const refName = ref.name ?? '';
  const o = await tokens.object(plural, plural === 'nodes' ? undefined : namespace, refName);
  if (!o) throw notFound({ group: '', plural }, refName);
  const uid = o.metadata.uid ?? '';
  if (ref.uid && ref.uid !== uid) {
    throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${kind} "${refName}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`, { name: refName, kind });
  }
  if (kind === 'Pod') {
    const podSpec = isObj(o.spec) ? o.spec : {};
    if (podSpec.serviceAccountName !== saName) throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
    subject.pod = { name: refName, uid };
    // The pod's node, for information (ServiceAccountTokenPodNodeInfo): when it is placed and the node exists.
    const nodeName = typeof podSpec.nodeName === 'string' ? podSpec.nodeName : '';
    const node = nodeName === '' ? undefined : await tokens.object('nodes', undefined, nodeName);
    if (node) subject.node = { name: nodeName, uid: node.metadata.uid ?? '' };
  } else if (kind === 'Secret') subject.secret = { name: refName, uid };
  else subject.node = { name: refName, uid };
}
