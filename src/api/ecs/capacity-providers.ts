import { fail } from '../../core/errors.ts';
import {
  BUILT_IN_PROVIDERS, builtInProvider, kindOf, newProvider, providerNameOf, providerView, updatedProvider, validateProviderName,
  type CapacityProviderRecord, type CapacityProviderType, type CreateInput, type UpdateInput,
} from '../../core/ecs/capacity-provider.ts';
import { MAX_CLUSTER_PROVIDERS, failUnassociated, normaliseStrategy, unassociated, type StrategyItem } from '../../core/ecs/capacity-provider-strategy.ts';
import { keys } from '../../core/ecs/keys.ts';
import { ecsArn, type Scope } from '../../core/ecs/scope.ts';
import type { CapacityProviderStrategyItem, ServiceRecord } from '../../core/ecs/service.ts';
import { validateTags } from '../../core/ecs/tags.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { Condition, KeyValue, Op, Store } from '../../store/store.ts';
import type { ClusterState } from '../../cluster/types.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { scopeOf, type EcsDeps } from './deps.ts';

/** DescribeCapacityProviders takes at most 100 names (ECS API reference). */
const MAX_DESCRIBE = 100;
/** DescribeCapacityProviders pages hold 1 to 10 providers, 10 by default (ECS API reference). */
const MAX_PAGE = 10;

export function capacityProviderOperations({ store }: Pick<EcsDeps, 'store'>) {
  return {
    async CreateCapacityProvider(input: CreateInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      validateProviderName(input.name);
      validateTags(input.tags ?? []);
      if (input.cluster !== undefined && input.managedInstancesProvider === undefined) {
        fail('InvalidParameterException', 'The cluster parameter is only for Amazon ECS Managed Instances capacity providers: leave it out, and associate the provider with clusters with PutClusterCapacityProviders.');
      }
      const record = newProvider(scope, input);
      const key = keys.capacityProvider(scope, input.name);
      for (;;) {
        const existing = await getJson<CapacityProviderRecord>(store, key);
        if (existing?.value.status === 'ACTIVE') {
          fail('ClientException', 'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.');
        }
        const group = record.autoScalingGroupProvider!.autoScalingGroupArn;
        for await (const p of activeProviders(store, scope)) {
          if (p.autoScalingGroupProvider?.autoScalingGroupArn === group) {
            fail('ClientException', `The specified Auto Scaling group ARN is already being used by another capacity provider (${p.name}). Specify a unique Auto Scaling group ARN and try again.`);
          }
        }
        // A deleted (INACTIVE) provider's name can be used again.
        const r = await store.txn({ if: [{ key, modRevision: existing?.modRevision ?? 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
        if (r.ok) return { capacityProvider: providerView(record, true) };
      }
    },

    async DescribeCapacityProviders(input: { capacityProviders?: string[]; cluster?: string; include?: string[]; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const withTags = input.include?.includes('TAGS') ?? false;
      const refs = input.capacityProviders ?? [];
      if (refs.length > MAX_DESCRIBE) fail('InvalidParameterException', `DescribeCapacityProviders takes at most ${MAX_DESCRIBE} capacity providers; ${refs.length} were given.`);
      const limit = pageSize(input.maxResults, MAX_PAGE);
      const prefix = keys.capacityProviders(scope);
      const after = decodeToken(input.nextToken, prefix);
      // cluster: only the providers associated with it.
      const only = input.cluster === undefined ? undefined : new Set((await requireCluster(store, scope, input.cluster)).value.capacityProviders);
      const keep = (p: CapacityProviderRecord) => !only || only.has(p.name);

      if (refs.length > 0) {
        const capacityProviders = [];
        const failures = [];
        for (const ref of refs) {
          const name = providerNameOf(ref);
          const p = await readProvider(store, scope, name);
          if (p && keep(p.value)) capacityProviders.push(providerView(p.value, withTags));
          else failures.push({ arn: ref.startsWith('arn:') ? ref : ecsArn(scope, `capacity-provider/${name}`), reason: 'MISSING' });
        }
        // AWS's answers leave failures out when there are none (describe-capacity-providers examples).
        return { capacityProviders, ...(failures.length > 0 && { failures }) };
      }

      // Every ACTIVE provider of the account in name order, then FARGATE and FARGATE_SPOT, as AWS lists them.
      const page: CapacityProviderRecord[] = [];
      const afterName = after?.slice(prefix.length);
      const builtInFrom = afterName !== undefined && kindOf(afterName) ? BUILT_IN_PROVIDERS.indexOf(afterName as CapacityProviderType) + 1 : 0;
      if (builtInFrom === 0) {
        for await (const p of activeProviders(store, scope, after)) {
          if (!keep(p)) continue;
          if (page.length === limit) return answer(page, true);
          page.push(p);
        }
      }
      for (const type of BUILT_IN_PROVIDERS.slice(builtInFrom)) {
        const p = builtInProvider(scope, type);
        if (!keep(p)) continue;
        if (page.length === limit) return answer(page, true);
        page.push(p);
      }
      return answer(page, false);

      function answer(ps: CapacityProviderRecord[], more: boolean) {
        return {
          capacityProviders: ps.map((p) => providerView(p, withTags)),
          ...(more && { nextToken: encodeToken(keys.capacityProvider(scope, ps[ps.length - 1]!.name)) }),
        };
      }
    },

    async UpdateCapacityProvider(input: UpdateInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const name = providerNameOf(input.name);
      if (kindOf(name)) fail('ClientException', `The ${name} capacity provider is reserved and cannot be updated.`);
      const key = keys.capacityProvider(scope, name);
      for (;;) {
        const cur = await getJson<CapacityProviderRecord>(store, key);
        if (!cur || cur.value.status !== 'ACTIVE') notFound();
        const next = updatedProvider(cur.value, input);
        const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
        // Berth applies an update at once (it scales nothing); the answer is AWS's: the update has begun.
        if (r.ok) return { capacityProvider: { ...providerView(next, true), updateStatus: 'UPDATE_IN_PROGRESS' } };
      }
    },

    /**
     * Deletes a provider that no cluster has. A provider a cluster still has is not
     * deleted: as ECS does, the call succeeds and the provider says DELETE_FAILED and why.
     */
    async DeleteCapacityProvider(input: { capacityProvider: string; cluster?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const name = providerNameOf(input.capacityProvider);
      if (kindOf(name)) fail('ClientException', `The ${name} capacity provider is reserved and cannot be deleted. Remove it from a cluster with PutClusterCapacityProviders, or delete the cluster.`);
      const key = keys.capacityProvider(scope, name);
      for (;;) {
        const cur = await getJson<CapacityProviderRecord>(store, key);
        if (!cur || cur.value.status !== 'ACTIVE') notFound();
        const inUse = cur.value.clusters[0];
        const next: CapacityProviderRecord = inUse !== undefined
          ? { ...cur.value, updateStatus: 'DELETE_FAILED', updateStatusReason: `The capacity provider cannot be deleted because it is associated with cluster: ${inUse}. Remove the capacity provider from the cluster and try again.` }
          : { ...cur.value, status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE', updateStatusReason: undefined };
        const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
        if (!r.ok) continue;
        // Berth has no Auto Scaling group to let go of, so the delete is complete at once;
        // the answer is AWS's (the delete has begun), Describe shows INACTIVE / DELETE_COMPLETE.
        const view = providerView(next, true);
        return { capacityProvider: inUse !== undefined ? view : { ...view, status: 'ACTIVE', updateStatus: 'DELETE_IN_PROGRESS' } };
      }
    },
  };
}

function notFound(): never {
  fail('ClientException', 'The specified capacity provider does not exist. Specify a valid name or ARN and try again.');
}

/**
 * The provider a container instance joins (berth agent --capacity-provider): one of the
 * account's ACTIVE EC2 providers. FARGATE and FARGATE_SPOT are served by Berth's own
 * platform agents, not joined by hosts.
 */
export async function requireInstanceProvider(store: Store, scope: Scope, name: string): Promise<void> {
  if (kindOf(name)) fail('InvalidParameterException', `Container instances cannot join the ${name} capacity provider: join a capacity provider of your own (aws ecs create-capacity-provider), or leave out --capacity-provider.`);
  const p = await getJson<CapacityProviderRecord>(store, keys.capacityProvider(scope, name));
  if (!p || p.value.status !== 'ACTIVE') {
    fail('InvalidParameterException', `The specified capacity provider was not found: ${name}. Create it first (aws ecs create-capacity-provider --name ${name} --auto-scaling-group-provider autoScalingGroupArn=${name}), or leave out --capacity-provider.`);
  }
}

/** A stored provider, or FARGATE / FARGATE_SPOT; undefined when there is none of that name. */
async function readProvider(store: Store, scope: Scope, name: string): Promise<Versioned<CapacityProviderRecord> | undefined> {
  const kind = kindOf(name);
  if (kind) return { value: builtInProvider(scope, kind.type), modRevision: 0 };
  return getJson<CapacityProviderRecord>(store, keys.capacityProvider(scope, name));
}

/** The account's ACTIVE stored providers in name order, from after `after`, a page of the store at a time. */
async function* activeProviders(store: Store, scope: Scope, after?: string): AsyncGenerator<CapacityProviderRecord> {
  const prefix = keys.capacityProviders(scope);
  let cursor = after;
  for (;;) {
    const page = await store.list(prefix, { limit: MAX_PAGE * 10, ...(cursor !== undefined && { after: cursor }) });
    for (const kv of page.items) {
      const p = JSON.parse(kv.value) as CapacityProviderRecord;
      if (p.status === 'ACTIVE') yield p;
    }
    if (!page.more || page.items.length === 0) return;
    cursor = page.items[page.items.length - 1]!.key;
  }
}

/**
 * A cluster's capacity providers and default strategy as a request gives them, checked as
 * PutClusterCapacityProviders and CreateCluster check them: at most 20 providers, each
 * existing and ACTIVE, and a default strategy of associated providers only. Answers the
 * normalised strategy and the stored providers read (to write their association lists).
 */
export async function checkClusterProviders(store: Store, scope: Scope, names: readonly string[], strategy: readonly CapacityProviderStrategyItem[]): Promise<{ strategy: StrategyItem[]; providers: Map<string, Versioned<CapacityProviderRecord>> }> {
  if (new Set(names).size > MAX_CLUSTER_PROVIDERS) fail('InvalidParameterException', `The maximum number of capacity providers per cluster has been exceeded: a cluster can have at most ${MAX_CLUSTER_PROVIDERS}.`);
  const normalised = normaliseStrategy(strategy);
  if (unassociated(normalised, names).length > 0) failUnassociated();
  const providers = new Map<string, Versioned<CapacityProviderRecord>>();
  for (const ref of names) {
    const name = providerNameOf(ref);
    if (name !== ref) fail('InvalidParameterException', `Name capacity providers by their short name in a cluster's list, not by ARN ('${ref}'): give '${name}'.`);
    const p = await readProvider(store, scope, name);
    if (!p || p.value.status !== 'ACTIVE') fail('InvalidParameterException', `The specified capacity provider was not found. Specify a valid capacity provider and try again. (${name} does not exist: create it with CreateCapacityProvider.)`);
    if (!kindOf(name)) providers.set(name, p);
  }
  return { strategy: normalised, providers };
}

/**
 * The conditions and writes that move a cluster's association from `before` to `after`:
 * each stored provider gained or lost gets the cluster added to or removed from its list,
 * in the cluster's own transaction. `read` holds the providers already read.
 */
export async function associationOps(store: Store, scope: Scope, cluster: string, before: readonly string[], after: readonly string[], read: Map<string, Versioned<CapacityProviderRecord>>): Promise<{ if: Condition[]; ops: Op[] }> {
  const conditions: Condition[] = [];
  const ops: Op[] = [];
  const changed = [...before.filter((n) => !after.includes(n)), ...after.filter((n) => !before.includes(n))];
  for (const name of new Set(changed)) {
    if (kindOf(name)) continue;
    const key = keys.capacityProvider(scope, name);
    const p = read.get(name) ?? await getJson<CapacityProviderRecord>(store, key);
    if (!p) continue; // a removed provider that is gone: nothing to update.
    const clusters = after.includes(name) ? [...new Set([...p.value.clusters, cluster])] : p.value.clusters.filter((c) => c !== cluster);
    conditions.push({ key, modRevision: p.modRevision });
    ops.push({ type: 'put', key, value: JSON.stringify({ ...p.value, clusters, ...(p.value.updateStatus === 'DELETE_FAILED' && after.includes(name) && { updateStatus: undefined, updateStatusReason: undefined }) }) });
  }
  return { if: conditions, ops };
}

/**
 * Refuses to take providers away from a cluster while its services' strategies name them
 * or its tasks not STOPPED run on them (PutClusterCapacityProviders reference).
 */
export async function checkRemovable(store: Store, state: ClusterState, scope: Scope, cluster: string, removed: readonly string[]): Promise<void> {
  if (removed.length === 0) return;
  const gone = new Set(removed);
  const inUse = () => fail('ResourceInUseException', 'The specified capacity provider is in use and cannot be removed.');
  for await (const kv of everyKey(store, keys.services(scope, cluster))) {
    const s = JSON.parse(kv.value) as Partial<ServiceRecord>;
    if (s.status === 'INACTIVE') continue;
    const strategies = [s.capacityProviderStrategy ?? [], ...(s.deployments ?? []).map((d) => d.capacityProviderStrategy ?? [])];
    if (strategies.some((st) => st.some((i) => gone.has(i.capacityProvider)))) inUse();
  }
  // Tasks from the cluster state's summaries (memory), caught up with every write acknowledged so far.
  await state.caughtUp(await store.revision());
  for (const t of state.tasks({ scope, cluster })) {
    if (t.capacityProviderName !== undefined && t.lastStatus !== 'STOPPED' && gone.has(t.capacityProviderName)) inUse();
  }
}

/** Store keys read a page at a time while they are checked. */
const CHECK_PAGE = 500;

async function* everyKey(store: Store, prefix: string): AsyncGenerator<KeyValue> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list(prefix, { limit: CHECK_PAGE, ...(after !== undefined && { after }) });
    yield* page.items;
    if (!page.more || page.items.length === 0) return;
    after = page.items[page.items.length - 1]!.key;
  }
}
