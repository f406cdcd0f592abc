/**
 * The container instance records of one account and region, as ECS keeps them, for a front
 * door that shows hosts another way (Kubernetes nodes: src/api/kube/node-backend.ts): a read
 * at one store revision, a watch from a revision (history first, so a client resumes), and a
 * compare-and-set write. It is the ECS side's own service: callers never name its store keys.
 */
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { parseArn } from '../core/arn.ts';
import type { Store } from '../store/store.ts';

/** Keys read per store page while listing (ECS's quota is 5,000 instances per cluster). */
export const INSTANCE_LIST_PAGE = 1_000;

/** An instance record with the revision of its last write: its key names it for a write. */
export interface HeldInstance {
  readonly key: string;
  readonly modRevision: number;
  readonly record: ContainerInstanceRecord;
}

export type InstanceChange =
  | { readonly type: 'put'; readonly revision: number; readonly instance: HeldInstance }
  /** A record removed (its last state is the caller's to remember). */
  | { readonly type: 'delete'; readonly revision: number; readonly key: string };

export interface InstanceRecords {
  /** Every container instance of the scope (all its ECS clusters), in key order, read at `revision`. */
  list(scope: Scope): Promise<{ items: HeldInstance[]; revision: number }>;
  /**
   * Every change after `after`, in revision order: the history first, then live. Throws the
   * store's CompactedError when that history is gone.
   */
  watch(scope: Scope, after: number, listener: (change: InstanceChange) => void): { close(): void };
  /**
   * Writes `next` over `held` in one transaction if it is unchanged since it was read: the
   * write's revision, or undefined when it changed meanwhile (read again and decide again).
   */
  replace(held: HeldInstance, next: ContainerInstanceRecord): Promise<number | undefined>;
  /** The instance an ARN (`…:container-instance/<cluster>/<id>`) names, or undefined (no such instance, not such an ARN). */
  get(instanceArn: string): Promise<HeldInstance | undefined>;
}

const INSTANCE_RESOURCE = /^container-instance\/([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9-]+)$/;

export function instanceRecords(store: Store): InstanceRecords {
  return {
    async list(scope) {
      const prefix = keys.allContainerInstances(scope);
      const items: HeldInstance[] = [];
      let after: string | undefined;
      let revision: number | undefined;
      for (;;) {
        const page = await store.list(prefix, { limit: INSTANCE_LIST_PAGE, ...(after !== undefined && { after }) });
        // Later pages may be read at later revisions: the first one's is the list's, as the generic list answers.
        revision ??= page.revision;
        for (const kv of page.items) items.push({ key: kv.key, modRevision: kv.modRevision, record: JSON.parse(kv.value) as ContainerInstanceRecord });
        if (!page.more || page.items.length === 0) return { items, revision };
        after = page.items.at(-1)!.key;
      }
    },
    watch(scope, after, listener) {
      return store.watch(keys.allContainerInstances(scope), after, (e) => {
        if (e.type === 'delete') listener({ type: 'delete', revision: e.revision, key: e.kv.key });
        else listener({ type: 'put', revision: e.revision, instance: { key: e.kv.key, modRevision: e.kv.modRevision, record: JSON.parse(e.kv.value) as ContainerInstanceRecord } });
      });
    },
    async get(instanceArn) {
      const a = parseArn(instanceArn);
      const m = a?.service === 'ecs' ? INSTANCE_RESOURCE.exec(a.resource) : null;
      const kv = a && m ? await store.get(keys.containerInstance({ account: a.account, region: a.region }, m[1]!, m[2]!)) : undefined;
      return kv && { key: kv.key, modRevision: kv.modRevision, record: JSON.parse(kv.value) as ContainerInstanceRecord };
    },
    async replace(held, next) {
      const r = await store.txn({ if: [{ key: held.key, modRevision: held.modRevision }], ops: [{ type: 'put', key: held.key, value: JSON.stringify(next) }] });
      return r.ok ? r.revision : undefined;
    },
  };
}
