/**
 * Kinds that are asked, not stored, answered from the server's authorizer (rbac/authorizer.ts)
 * over the RBAC snapshot of the moment: SelfSubjectAccessReview (`kubectl auth can-i`),
 * SelfSubjectRulesReview (`kubectl auth can-i --list`), SubjectAccessReview (another user's
 * access), and SelfSubjectReview (`kubectl auth whoami`: the caller's user info). A create
 * returns the object with its status; nothing else is served.
 */
import type { KubeUser } from './contract.ts';
import { apiVersionOf, type KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { badRequest, methodNotAllowed } from './status.ts';
import type { DeleteResult, ListPage, StorageBackend, WriteOptions } from './storage-backend.ts';
import type { OutEvent } from './storage-backend.ts';
import { authorize, rulesFor } from './rbac/authorizer.ts';
import type { RbacSnapshot, RequestAttributes } from './rbac/types.ts';

/** Who asks when no token was given. */
export const ANONYMOUS: KubeUser = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The attributes a review's spec asks about (resourceAttributes, else nonResourceAttributes). */
export function reviewAttributes(spec: Record<string, unknown>): RequestAttributes {
  const r = spec.resourceAttributes;
  if (isObj(r)) {
    return { resourceRequest: true, verb: str(r.verb), apiGroup: str(r.group), apiVersion: str(r.version), resource: str(r.resource), subresource: str(r.subresource), namespace: str(r.namespace), name: str(r.name) };
  }
  const n = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : {};
  return { resourceRequest: false, verb: str(n.verb), path: str(n.path) };
}

/** The user a SubjectAccessReview names. */
function subjectOf(spec: Record<string, unknown>): KubeUser {
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
  return { username: str(spec.user), groups, ...(typeof spec.uid === 'string' && { uid: spec.uid }) };
}

export class Reviews implements StorageBackend {
  readonly #snapshot: () => RbacSnapshot;

  constructor(snapshot: () => RbacSnapshot) {
    this.#snapshot = snapshot;
  }

  async create(kind: KindInfo, _namespace: string | undefined, object: Obj, options: WriteOptions): Promise<Obj> {
    const user = options.user ?? ANONYMOUS;
    const out: Obj = { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...object.metadata, creationTimestamp: null as unknown as string } };
    const spec = isObj(object.spec) ? object.spec : {};
    switch (kind.kind) {
      case 'SelfSubjectReview':
        out.status = { userInfo: { username: user.username, ...(user.uid !== undefined && { uid: user.uid }), groups: user.groups, ...(user.extra && { extra: user.extra }) } };
        return out;
      case 'SelfSubjectRulesReview': {
        const namespace = str(spec.namespace);
        if (namespace === '') throw badRequest('no namespace on request');
        const { rules, errors } = rulesFor(user, namespace, this.#snapshot());
        const list = (v: readonly string[] | undefined): string[] => [...(v ?? [])];
        out.status = {
          resourceRules: rules.filter((r) => !r.nonResourceURLs?.length).map((r) => ({ verbs: list(r.verbs), apiGroups: list(r.apiGroups), resources: list(r.resources), ...(r.resourceNames?.length && { resourceNames: list(r.resourceNames) }) })),
          nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: list(r.verbs), nonResourceURLs: list(r.nonResourceURLs) })),
          incomplete: errors.length > 0,
          ...(errors.length > 0 && { evaluationError: errors.length === 1 ? errors[0] : `[${errors.join(', ')}]` }),
        };
        return out;
      }
      default: {
        // SelfSubjectAccessReview asks about the caller, SubjectAccessReview about the user it names.
        const subject = kind.kind === 'SubjectAccessReview' ? subjectOf(spec) : user;
        const d = authorize(subject, reviewAttributes(spec), this.#snapshot());
        out.status = { allowed: d.allowed, ...(d.reason !== '' && { reason: d.reason }) };
        return out;
      }
    }
  }

  get(): Promise<Obj> {
    throw methodNotAllowed();
  }
  list(): Promise<ListPage> {
    throw methodNotAllowed();
  }
  update(): Promise<{ object: Obj; created: boolean }> {
    throw methodNotAllowed();
  }
  delete(): Promise<DeleteResult> {
    throw methodNotAllowed();
  }
  watch(_req: unknown, _send: (e: OutEvent) => void): Promise<() => void> {
    throw methodNotAllowed();
  }
}
