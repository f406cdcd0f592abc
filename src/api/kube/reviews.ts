/**
 * Kinds that are asked, not stored: SelfSubjectAccessReview (`kubectl auth can-i`) answered by
 * the server's authorizer (system:masters may do anything, until RBAC exists), and
 * SelfSubjectReview (`kubectl auth whoami`) answered with the caller's user info. A create
 * returns the object with its status; nothing else is served.
 */
import type { KubeUser } from './contract.ts';
import { apiVersionOf, type KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { methodNotAllowed } from './status.ts';
import type { DeleteResult, ListPage, StorageBackend, WriteOptions } from './storage-backend.ts';
import type { OutEvent } from './storage-backend.ts';

/** Whether `user` may do anything: the one rule of the authorizer before RBAC. */
export const isMaster = (user: KubeUser | undefined): boolean => user?.groups.includes('system:masters') ?? false;

export class Reviews implements StorageBackend {
  async create(kind: KindInfo, _namespace: string | undefined, object: Obj, options: WriteOptions): Promise<Obj> {
    const user = options.user;
    const out: Obj = { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...object.metadata, creationTimestamp: null as unknown as string } };
    if (kind.kind === 'SelfSubjectReview') {
      out.status = { userInfo: { username: user?.username ?? 'system:anonymous', ...(user?.uid !== undefined && { uid: user.uid }), groups: user?.groups ?? ['system:unauthenticated'], ...(user?.extra && { extra: user.extra }) } };
      return out;
    }
    const allowed = isMaster(user);
    out.status = allowed ? { allowed: true, reason: 'allowed by the system:masters group' } : { allowed: false, reason: 'only members of system:masters are authorized until RBAC is served' };
    return out;
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
