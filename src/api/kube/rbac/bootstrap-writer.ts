/**
 * Applies the bootstrap policy (bootstrap.ts decides) through the storage, once per start of a
 * cluster's API server and before it serves, as the API server's rbac/bootstrap-roles hook:
 * a write that loses a race (created or changed meanwhile) is left, the next start decides again.
 */
import type { KindInfo, KindRegistry } from '../kinds.ts';
import type { Obj } from '../kind-rules.ts';
import type { StorageBackend } from '../storage-backend.ts';
import { StatusError } from '../status.ts';
import { bootstrapWrites } from './bootstrap.ts';
import { RBAC_GROUP } from './types.ts';

/** The manager the bootstrap's writes are recorded under. */
export const BOOTSTRAP_MANAGER = 'kube-apiserver';

async function byName(storage: StorageBackend, kind: KindInfo): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  let continueToken: string | undefined;
  do {
    const page = await storage.list(kind, undefined, { labels: [], fields: [], limit: 500, continueToken });
    for (const o of page.items) out.set(o.metadata.name ?? '', o);
    continueToken = page.continueToken;
  } while (continueToken !== undefined);
  return out;
}

export async function writeBootstrapPolicy(storage: StorageBackend, registry: KindRegistry): Promise<void> {
  const roles = registry.byResource(RBAC_GROUP, 'v1', 'clusterroles')!;
  const bindings = registry.byResource(RBAC_GROUP, 'v1', 'clusterrolebindings')!;
  const writes = bootstrapWrites(await byName(storage, roles), await byName(storage, bindings));
  const opts = { dryRun: false, fieldManager: BOOTSTRAP_MANAGER };
  for (const w of writes) {
    const kind = w.kind === 'ClusterRole' ? roles : bindings;
    try {
      if (w.type === 'create') await storage.create(kind, undefined, structuredClone(w.object) as Obj, opts);
      else await storage.update(kind, undefined, w.name, (cur) => (cur ? (w.change(cur) as Obj) : undefined), opts);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
    }
  }
}
