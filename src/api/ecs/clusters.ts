import { fail } from '../../core/errors.ts';
import {
  clusterNameOf, clusterView, newCluster, validateClusterName, validateClusterSettings,
  type ClusterField, type ClusterRecord, type ClusterSetting,
} from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import { ecsArn } from '../../core/ecs/scope.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import type { CapacityProviderStrategyItem } from '../../core/ecs/service.ts';
import { getJson } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { effectiveSetting } from './account-settings.ts';
import { associationOps, checkClusterProviders, checkRemovable } from './capacity-providers.ts';
import { clusterCounts, requireCluster } from './cluster-state.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';

/** DescribeClusters takes at most this many clusters (ECS API reference). */
const MAX_DESCRIBE = 100;

interface CreateClusterInput {
  clusterName?: string;
  tags?: Tag[];
  settings?: { name: string; value: string }[];
  configuration?: Record<string, unknown>;
  serviceConnectDefaults?: { namespace: string };
  capacityProviders?: string[];
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
}

export function clusterOperations({ store, state }: Pick<EcsDeps, 'store' | 'state'>) {
  const view = async (ctx: RequestContext, c: ClusterRecord, include: readonly ClusterField[] | 'answer') =>
    clusterView(c, clusterCounts(state, scopeOf(ctx), c.clusterName), include);

  return {
    /** Creates a cluster, or answers with the existing ACTIVE cluster of that name, as ECS does. */
    async CreateCluster(input: CreateClusterInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const name = input.clusterName ?? 'default';
      validateClusterName(name);
      const tags = input.tags ?? [];
      validateTags(tags);
      const settings: ClusterSetting[] = input.settings
        ? validateClusterSettings(input.settings)
        : [{ name: 'containerInsights', value: await effectiveSetting(store, scope, ctx, 'containerInsights') }];
      const key = keys.cluster(scope, name);
      const providerNames = [...new Set(input.capacityProviders ?? [])];
      for (;;) {
        const existing = await getJson<ClusterRecord>(store, key);
        const { strategy, providers } = await checkClusterProviders(store, scope, providerNames, input.defaultCapacityProviderStrategy ?? []);
        if (existing?.value.status === 'ACTIVE') {
          // Creating an existing cluster again answers it; with other capacity providers, ECS refuses.
          const given = input.capacityProviders !== undefined || input.defaultCapacityProviderStrategy !== undefined;
          if (given && JSON.stringify([existing.value.capacityProviders, existing.value.defaultCapacityProviderStrategy]) !== JSON.stringify([providerNames, strategy])) {
            fail('InvalidParameterException', `Arguments on this idempotent request are inconsistent with arguments used in previous request(s). (Cluster ${name} exists with other capacity providers: change them with PutClusterCapacityProviders.)`);
          }
          return { cluster: await view(ctx, existing.value, 'answer') };
        }
        const cluster = newCluster(scope, { ...input, clusterName: name, tags, settings, capacityProviders: providerNames, defaultCapacityProviderStrategy: strategy }, seconds(ctx));
        const assoc = await associationOps(store, scope, name, [], providerNames, providers);
        const r = await store.txn({ if: [{ key, modRevision: existing?.modRevision ?? 0 }, ...assoc.if], ops: [{ type: 'put', key, value: JSON.stringify(cluster) }, ...assoc.ops] });
        if (r.ok) return { cluster: await view(ctx, cluster, 'answer') };
      }
    },

    async DescribeClusters(input: { clusters?: string[]; include?: ClusterField[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const refs = input.clusters?.length ? input.clusters : ['default'];
      if (refs.length > MAX_DESCRIBE) fail('InvalidParameterException', `DescribeClusters takes at most ${MAX_DESCRIBE} clusters; ${refs.length} were given.`);
      const clusters = [];
      const failures = [];
      for (const ref of refs) {
        const name = clusterNameOf(ref);
        const c = await getJson<ClusterRecord>(store, keys.cluster(scope, name));
        if (c) clusters.push(await view(ctx, c.value, input.include ?? []));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : ecsArn(scope, `cluster/${name}`), reason: 'MISSING' });
      }
      return { clusters, failures };
    },

    async ListClusters(input: { nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const prefix = keys.clusters(scopeOf(ctx));
      const limit = pageSize(input.maxResults, 100);
      const clusterArns: string[] = [];
      let after = decodeToken(input.nextToken, prefix);
      let lastKey: string | undefined;
      // INACTIVE clusters stay describable but are not listed: skip them, filling the page.
      for (;;) {
        const page = await store.list(prefix, { limit: limit - clusterArns.length, ...(after !== undefined && { after }) });
        for (const kv of page.items) {
          const c = JSON.parse(kv.value) as ClusterRecord;
          if (c.status === 'ACTIVE') clusterArns.push(c.clusterArn);
          lastKey = kv.key;
        }
        if (!page.more) return { clusterArns };
        if (clusterArns.length >= limit) return { clusterArns, nextToken: encodeToken(lastKey!) };
        after = lastKey;
      }
    },

    async UpdateCluster(input: { cluster: string; settings?: { name: string; value: string }[]; configuration?: Record<string, unknown>; serviceConnectDefaults?: { namespace: string } }, ctx: RequestContext) {
      const settings = input.settings && validateClusterSettings(input.settings);
      return { cluster: await view(ctx, await change(ctx, input.cluster, (c) => ({
        ...c,
        ...(settings && { settings: mergeSettings(c.settings, settings) }),
        ...(input.configuration && { configuration: { ...c.configuration, ...input.configuration } }),
        ...(input.serviceConnectDefaults && { serviceConnectDefaults: input.serviceConnectDefaults }),
      })), 'answer') };
    },

    async UpdateClusterSettings(input: { cluster: string; settings: { name: string; value: string }[] }, ctx: RequestContext) {
      const settings = validateClusterSettings(input.settings);
      return { cluster: await view(ctx, await change(ctx, input.cluster, (c) => ({ ...c, settings: mergeSettings(c.settings, settings) })), 'answer') };
    },

    /**
     * Replaces a cluster's capacity providers and default strategy. A provider taken away
     * must not be in use by the cluster's services or tasks; the providers' association
     * lists change in the same transaction as the cluster.
     */
    async PutClusterCapacityProviders(input: { cluster: string; capacityProviders: string[]; defaultCapacityProviderStrategy: CapacityProviderStrategyItem[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const names = [...new Set(input.capacityProviders)];
      for (;;) {
        const cur = await requireCluster(store, scope, input.cluster);
        const c = cur.value;
        const { strategy, providers } = await checkClusterProviders(store, scope, names, input.defaultCapacityProviderStrategy);
        await checkRemovable(store, state, scope, c.clusterName, c.capacityProviders.filter((n) => !names.includes(n)));
        const next: ClusterRecord = { ...c, capacityProviders: names, defaultCapacityProviderStrategy: strategy };
        const key = keys.cluster(scope, c.clusterName);
        const assoc = await associationOps(store, scope, c.clusterName, c.capacityProviders, names, providers);
        const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }, ...assoc.if], ops: [{ type: 'put', key, value: JSON.stringify(next) }, ...assoc.ops] });
        // The two members this call is about are answered even when empty.
        if (r.ok) return { cluster: { ...await view(ctx, next, 'answer'), capacityProviders: names, defaultCapacityProviderStrategy: strategy } };
      }
    },

    /**
     * Deletes (makes INACTIVE) a cluster that holds no instances, services or tasks; its
     * capacity providers are let go of in the same transaction, as ECS does.
     */
    async DeleteCluster(input: { cluster: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const name = clusterNameOf(input.cluster);
      for (;;) {
        const cur = await requireCluster(store, scope, input.cluster);
        const counts = clusterCounts(state, scope, name);
        if (counts.registeredContainerInstancesCount > 0) fail('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining. Deregister them first.');
        if (counts.activeServicesCount > 0) fail('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active. Delete the services first.');
        if (counts.runningTasksCount + counts.pendingTasksCount > 0) fail('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active. Stop the tasks first.');
        const deleted: ClusterRecord = { ...cur.value, status: 'INACTIVE' };
        const key = keys.cluster(scope, cur.value.clusterName);
        const assoc = await associationOps(store, scope, cur.value.clusterName, cur.value.capacityProviders, [], new Map());
        const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }, ...assoc.if], ops: [{ type: 'put', key, value: JSON.stringify(deleted) }, ...assoc.ops] });
        if (r.ok) return { cluster: await view(ctx, deleted, 'answer') };
      }
    },
  };

  /** Compare-and-set loop on one ACTIVE cluster. */
  async function change(ctx: RequestContext, ref: string, fn: (c: ClusterRecord) => ClusterRecord): Promise<ClusterRecord> {
    const scope = scopeOf(ctx);
    for (;;) {
      const cur = await requireCluster(store, scope, ref);
      const next = fn(cur.value);
      const key = keys.cluster(scope, cur.value.clusterName);
      const r = await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
      if (r.ok) return next;
    }
  }
}

function mergeSettings(current: readonly ClusterSetting[], update: readonly ClusterSetting[]): ClusterSetting[] {
  const byName = new Map(current.map((s) => [s.name, s]));
  for (const s of update) byName.set(s.name, s);
  return [...byName.values()];
}
