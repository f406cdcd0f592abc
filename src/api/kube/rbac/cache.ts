/**
 * The cluster's RBAC objects as the authorizer reads them, kept current from a watch of the
 * four kinds' keys (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings): a request is
 * authorized without reading the store. Bound: one small view per RBAC object of the cluster
 * (rules, subjects, roleRef; no metadata beyond name, namespace and labels), the same as the
 * API server's informer caches of these kinds; the index the authorizer walks is rebuilt,
 * once, at the first request after a change.
 *
 * It also runs ClusterRole aggregation (aggregation.ts decides): after ClusterRoles change,
 * an aggregated role whose rules differ from what its selectors match is updated through the
 * storage, as kube-controller-manager's aggregation controller does.
 */
import type { Store, Watch } from '../../../store/store.ts';
import { eachKey } from '../../../store/json.ts';
import { isTombstone, resourcePrefix } from '../keys.ts';
import { decode } from '../stored-object.ts';
import type { KindInfo, KindRegistry } from '../kinds.ts';
import type { StorageBackend } from '../storage-backend.ts';
import { StatusError } from '../status.ts';
import { aggregationUpdates, type AggregationInput } from './aggregation.ts';
import { RBAC_GROUP, type BindingView, type PolicyRule, type RbacSnapshot, type RoleRef, type RoleView, type Subject } from './types.ts';

/** Delay between a ClusterRole change and the aggregation pass it starts: changes in that window share it. */
export const AGGREGATION_DELAY_MS = 20;
/** The manager aggregation's writes are recorded under (kube-controller-manager's controller name). */
export const AGGREGATION_MANAGER = 'clusterrole-aggregation-controller';

type Plural = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';
const PLURALS: readonly Plural[] = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];

interface RoleEntry extends RoleView, Omit<AggregationInput, 'rules'> {
  readonly namespace: string | undefined;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function viewOf(plural: Plural, value: string, modRevision: number): RoleEntry | BindingView {
  const o = decode(value, modRevision);
  const name = o.metadata.name ?? '';
  const namespace = o.metadata.namespace;
  if (plural === 'roles' || plural === 'clusterroles') {
    const aggregationRule = o.aggregationRule as AggregationInput['aggregationRule'] | undefined;
    return { name, namespace, rules: arr<PolicyRule>(o.rules), ...(o.metadata.labels && { labels: o.metadata.labels }), ...(aggregationRule && { aggregationRule }) };
  }
  return { name, namespace, subjects: arr<Subject>(o.subjects), roleRef: (o.roleRef ?? { apiGroup: RBAC_GROUP, kind: '', name: '' }) as RoleRef };
}

export interface RbacCacheDeps {
  readonly store: Store;
  readonly clusterUid: string;
  readonly registry: KindRegistry;
  /** Where aggregation writes ClusterRoles (the generic storage). */
  readonly storage: StorageBackend;
}

export class RbacCache {
  readonly #deps: RbacCacheDeps;
  readonly #kinds = new Map<Plural, KindInfo>();
  /** Store key → view, per kind. */
  readonly #objects = new Map<Plural, Map<string, RoleEntry | BindingView>>();
  #snapshot: RbacSnapshot | undefined;
  #watches: Watch[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  private constructor(deps: RbacCacheDeps) {
    this.#deps = deps;
    for (const p of PLURALS) {
      const k = deps.registry.byResource(RBAC_GROUP, 'v1', p);
      if (!k) throw new Error(`the kind registry serves no ${p}.${RBAC_GROUP}`);
      this.#kinds.set(p, k);
      this.#objects.set(p, new Map());
    }
  }

  /** Loads the four kinds and watches them from the revision before the load (replayed events bring it up to date). */
  static async start(deps: RbacCacheDeps): Promise<RbacCache> {
    const cache = new RbacCache(deps);
    const from = await deps.store.revision();
    for (const p of PLURALS) {
      const prefix = resourcePrefix(deps.clusterUid, cache.#kinds.get(p)!);
      await eachKey(deps.store, prefix, (kv) => cache.#track(p, kv.key, kv.value, kv.modRevision));
      cache.#watches.push(deps.store.watch(prefix, from, (e) => cache.#track(p, e.kv.key, e.type === 'delete' ? undefined : e.kv.value, e.kv.modRevision)));
    }
    cache.#scheduleAggregation();
    return cache;
  }

  #track(plural: Plural, key: string, value: string | undefined, modRevision: number): void {
    if (isTombstone(key)) return;
    const objects = this.#objects.get(plural)!;
    if (value === undefined) objects.delete(key);
    else objects.set(key, viewOf(plural, value, modRevision));
    this.#snapshot = undefined;
    if (plural === 'clusterroles') this.#scheduleAggregation();
  }

  /** The index the authorizer reads, as of the last change seen. */
  snapshot(): RbacSnapshot {
    if (this.#snapshot) return this.#snapshot;
    const clusterRoles = new Map<string, RoleView>();
    for (const r of this.#objects.get('clusterroles')!.values()) clusterRoles.set(r.name, r as RoleView);
    const roles = new Map<string, Map<string, RoleView>>();
    for (const r of this.#objects.get('roles')!.values() as Iterable<RoleEntry>) {
      let m = roles.get(r.namespace ?? '');
      if (!m) roles.set(r.namespace ?? '', (m = new Map()));
      m.set(r.name, r);
    }
    const roleBindings = new Map<string, BindingView[]>();
    for (const b of this.#objects.get('rolebindings')!.values() as Iterable<BindingView>) {
      let list = roleBindings.get(b.namespace ?? '');
      if (!list) roleBindings.set(b.namespace ?? '', (list = []));
      list.push(b);
    }
    const clusterRoleBindings = [...this.#objects.get('clusterrolebindings')!.values() as Iterable<BindingView>].map((b) => ({ ...b, namespace: undefined }));
    this.#snapshot = { clusterRoles, roles, roleBindings, clusterRoleBindings };
    return this.#snapshot;
  }

  #scheduleAggregation(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#aggregate().catch((err: unknown) => {
        console.error(`berth: RBAC aggregation of cluster ${this.#deps.clusterUid}: ${(err as Error).message}`);
      }).finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#scheduleAggregation();
        }
      });
    }, AGGREGATION_DELAY_MS);
  }

  async #aggregate(): Promise<void> {
    const kind = this.#kinds.get('clusterroles')!;
    const updates = aggregationUpdates([...this.#objects.get('clusterroles')!.values() as Iterable<RoleEntry>]);
    for (const u of updates) {
      if (this.#closed) return;
      try {
        await this.#deps.storage.update(kind, undefined, u.name, (cur) => (cur ? { ...cur, rules: u.rules } : undefined), { dryRun: false, fieldManager: AGGREGATION_MANAGER });
      } catch (err) {
        // Gone or changed meanwhile: its own event brings another pass.
        if (!(err instanceof StatusError)) throw err;
      }
    }
  }

  /** Resolves once no aggregation pass is pending or running (tests, and the bootstrap before serving). */
  async settled(): Promise<void> {
    while (this.#timer || this.#running) {
      await (this.#running ?? new Promise((r) => setTimeout(r, AGGREGATION_DELAY_MS)));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#watches) w.close();
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
