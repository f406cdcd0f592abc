/**
 * The storage of the four RBAC kinds as a user's request reaches it: the generic storage,
 * with escalation.ts deciding before every create and update (a patch is an update) whether
 * the user may grant what the object would. Writes without a user (the server's own: the
 * bootstrap, aggregation, controllers) go to the storage directly, never through here.
 */
import type { KindInfo } from '../kinds.ts';
import type { Obj } from '../kind-rules.ts';
import { StatusError } from '../status.ts';
import type { StorageBackend, WriteOptions } from '../storage-backend.ts';
import { bindingEscalation, roleEscalation } from './escalation.ts';
import { RBAC_GROUP, type PolicyRule, type RbacSnapshot, type RoleRef } from './types.ts';

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** Throws the API server's Forbidden when `user` may not write `o`. */
function check(kind: KindInfo, namespace: string | undefined, o: Obj, options: WriteOptions, snapshot: RbacSnapshot): void {
  const user = options.user;
  if (!user) return;
  const name = o.metadata.name ?? '';
  const ns = kind.namespaced ? (namespace ?? '') : '';
  let why: string | undefined;
  if (kind.plural === 'roles' || kind.plural === 'clusterroles') why = roleEscalation(user, kind.plural, ns, name, arr<PolicyRule>(o.rules), snapshot);
  else {
    const ref = (o.roleRef ?? {}) as Partial<RoleRef>;
    why = bindingEscalation(user, ns, { apiGroup: ref.apiGroup ?? RBAC_GROUP, kind: ref.kind ?? '', name: ref.name ?? '' }, snapshot);
  }
  if (why !== undefined) {
    throw new StatusError(403, 'Forbidden', `${kind.plural}.${kind.group} ${JSON.stringify(name)} is forbidden: ${why}`, { name, group: kind.group, kind: kind.plural });
  }
}

/** `storage` for `kind` as a request sees it: guarded for the RBAC kinds, as is for any other. */
export function guardEscalation(storage: StorageBackend, kind: KindInfo, snapshot: () => RbacSnapshot): StorageBackend {
  if (kind.group !== RBAC_GROUP) return storage;
  // Every other verb is the storage's own, called on it (its private state stays its own).
  const guarded: StorageBackend = {
    get: (...a) => storage.get(...a),
    list: (...a) => storage.list(...a),
    delete: (...a) => storage.delete(...a),
    watch: (...a) => storage.watch(...a),
    ...(storage.getRaw && { getRaw: (...a: Parameters<NonNullable<StorageBackend['getRaw']>>) => storage.getRaw!(...a) }),
    ...(storage.listRaw && { listRaw: (...a: Parameters<NonNullable<StorageBackend['listRaw']>>) => storage.listRaw!(...a) }),
    create: (k, namespace, object, options) => {
      check(k, namespace, object, options, snapshot());
      return storage.create(k, namespace, object, options);
    },
    update: (k, namespace, name, change, options) => storage.update(k, namespace, name, (current) => {
      const next = change(current);
      // A role whose rules stay as they were grants nothing new (labels, annotations), as the server skips it.
      const sameRules = current !== undefined && next !== undefined && 'rules' in current && JSON.stringify(current.rules ?? []) === JSON.stringify(next.rules ?? []);
      if (next && !(sameRules && (k.plural === 'roles' || k.plural === 'clusterroles'))) check(k, namespace, { ...next, metadata: { ...next.metadata, name } }, options, snapshot());
      return next;
    }, options),
  };
  return guarded;
}
