/**
 * Cluster operations: CreateCluster, DescribeCluster, ListClusters, DeleteCluster,
 * UpdateClusterConfig, UpdateClusterVersion, DescribeUpdate, ListUpdates. Thin: the rules
 * are core/eks's; the cluster controller (controllers/eks-clusters.ts) opens and closes
 * the API servers and moves CREATING, UPDATING and DELETING on.
 */
import { ApiError } from '../../core/errors.ts';
import { associatePolicy, newAccessEntry, POLICY_ARN_PREFIX } from '../../core/eks/access.ts';
import { checkCreateCluster, clusterNotFound, clusterView, MAX_CLUSTERS_PER_REGION, newClusterRecord, type ClusterRecord, type CreateClusterInput } from '../../core/eks/cluster.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import { checkVersionUpdate, PLATFORM_VERSION } from '../../core/eks/names.ts';
import { firstServiceIp, IN_CLUSTER_NAMES, issueClusterPki } from '../../core/eks/pki.ts';
import { updateNotFound, updateView, type UpdateRecord, type UpdateType } from '../../core/eks/update.ts';
import type { RequestContext } from '../aws/service.ts';
import { scopeOf, type ClusterSecrets, type EksDeps } from './deps.ts';
import { listJsonPage, listNames, readJson, updateJson } from './records.ts';

export async function getCluster(deps: EksDeps, ctx: RequestContext, name: string): Promise<ClusterRecord> {
  const held = await readJson<ClusterRecord>(deps.store, eksKeys.cluster(scopeOf(ctx), name));
  if (!held) throw clusterNotFound(name);
  return held.value;
}

export function clusterOperations(deps: EksDeps) {
  return {
    async CreateCluster(input: CreateClusterInput, ctx: RequestContext) {
      checkCreateCluster(input);
      const scope = scopeOf(ctx);
      const key = eksKeys.cluster(scope, input.name);
      const existing = await readJson<ClusterRecord>(deps.store, key);
      if (existing) {
        // The same clientRequestToken is the same request, retried: its answer again.
        if (input.clientRequestToken !== undefined && existing.value.clientRequestToken === input.clientRequestToken) return { cluster: clusterView(existing.value) };
        throw new ApiError('ResourceInUseException', `Cluster already exists with name: ${input.name}`, { clusterName: input.name });
      }
      const count = await deps.store.list(eksKeys.clusters(scope), { limit: MAX_CLUSTERS_PER_REGION });
      if (count.items.length >= MAX_CLUSTERS_PER_REGION) throw new ApiError('ResourceLimitExceededException', 'Cluster limit exceeded for account.', { clusterName: input.name });
      const keys = deps.newClusterKeys();
      const cidr = input.kubernetesNetworkConfig?.serviceIpv4Cidr;
      const record0 = newClusterRecord(input, { scope, uid: deps.newId(), hexId: deps.newHex(), now: ctx.now, creatorArn: ctx.principal.roleArn ?? ctx.principal.arn, caPem: '' });
      const pki = issueClusterPki({
        ...keys, clusterName: input.name, now: ctx.now,
        hosts: [...deps.apiHosts, ...IN_CLUSTER_NAMES, firstServiceIp(cidr ?? record0.serviceIpv4Cidr)],
      });
      const record: ClusterRecord = { ...record0, caData: Buffer.from(pki.caCert, 'utf8').toString('base64') };
      const secrets: ClusterSecrets = { caKey: keys.caKey, caCert: pki.caCert, servingKey: keys.servingKey, servingCert: pki.servingCert, serviceAccountKey: await deps.newServiceAccountKey() };
      const ops: { type: 'put'; key: string; value: string }[] = [
        { type: 'put', key, value: JSON.stringify(record) },
        { type: 'put', key: eksKeys.secrets(scope, input.name), value: JSON.stringify(secrets) },
      ];
      // The creator's access entry, with cluster admin, when the cluster authenticates by access entries.
      if (record.bootstrapClusterCreatorAdminPermissions && record.authenticationMode !== 'CONFIG_MAP') {
        const entry = associatePolicy(newAccessEntry(record.name, record.arn, deps.newHex(), { principalArn: record.creatorArn }, ctx.now), `${POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`, { type: 'cluster' }, ctx.now);
        ops.push({ type: 'put', key: eksKeys.accessEntry(scope, record.name, entry.principalArn), value: JSON.stringify(entry) });
      }
      const r = await deps.store.txn({ if: [{ key, modRevision: 0 }], ops });
      if (!r.ok) throw new ApiError('ResourceInUseException', `Cluster already exists with name: ${input.name}`, { clusterName: input.name });
      return { cluster: clusterView(record) };
    },

    async DescribeCluster(input: { name: string }, ctx: RequestContext) {
      return { cluster: clusterView(await getCluster(deps, ctx, input.name)) };
    },

    async ListClusters(input: { maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      const page = await listNames(deps.store, eksKeys.clusters(scopeOf(ctx)), input.maxResults, input.nextToken);
      return { clusters: page.names, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },

    async DeleteCluster(input: { name: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const cluster = await getCluster(deps, ctx, input.name);
      const nodegroups = await deps.store.list(eksKeys.nodegroups(scope, input.name), { limit: 1 });
      if (nodegroups.items.length > 0) {
        const ng = nodegroups.items[0]!.key.slice(eksKeys.nodegroups(scope, input.name).length);
        throw new ApiError('ResourceInUseException', 'Cluster has nodegroups attached', { clusterName: input.name, nodegroupName: ng });
      }
      const profiles = await deps.store.list(eksKeys.fargateProfiles(scope, input.name), { limit: 1 });
      if (profiles.items.length > 0) throw new ApiError('ResourceInUseException', 'Cluster has fargate profiles attached', { clusterName: input.name });
      if (cluster.status === 'DELETING') return { cluster: clusterView(cluster) };
      const deleting = await updateJson<ClusterRecord>(deps.store, eksKeys.cluster(scope, input.name), (c) => ({ ...c, status: 'DELETING' }), () => clusterNotFound(input.name));
      return { cluster: clusterView(deleting) };
    },

    async UpdateClusterVersion(input: { name: string; version: string; clientRequestToken?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const update: UpdateRecord = {
        id: deps.newId(), status: 'InProgress', type: 'VersionUpdate', createdAt: ctx.now, errors: [],
        params: [{ type: 'Version', value: input.version }, { type: 'PlatformVersion', value: PLATFORM_VERSION }],
      };
      await updateJson<ClusterRecord>(deps.store, eksKeys.cluster(scope, input.name), (c) => {
        requireActive(c);
        checkVersionUpdate(c.version, input.version, c.name);
        return { ...c, status: 'UPDATING', version: input.version, pendingUpdate: update.id };
      }, () => clusterNotFound(input.name));
      await deps.store.txn({ ops: [{ type: 'put', key: eksKeys.update(scope, input.name, update.id), value: JSON.stringify(update) }] });
      return { update: updateView(update) };
    },

    async UpdateClusterConfig(input: { name: string; resourcesVpcConfig?: Record<string, unknown>; logging?: unknown; accessConfig?: { authenticationMode?: ClusterRecord['authenticationMode'] } }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const params: { type: string; value: string }[] = [];
      let type: UpdateType = 'ConfigUpdate';
      await updateJson<ClusterRecord>(deps.store, eksKeys.cluster(scope, input.name), (c) => {
        requireActive(c);
        let next: ClusterRecord = c;
        if (input.resourcesVpcConfig) {
          const v = input.resourcesVpcConfig as Partial<ClusterRecord['resourcesVpcConfig']>;
          next = { ...next, resourcesVpcConfig: { ...next.resourcesVpcConfig, ...v } };
          type = 'EndpointAccessUpdate';
          if (v.endpointPublicAccess !== undefined) params.push({ type: 'EndpointPublicAccess', value: String(v.endpointPublicAccess) });
          if (v.endpointPrivateAccess !== undefined) params.push({ type: 'EndpointPrivateAccess', value: String(v.endpointPrivateAccess) });
          if (v.publicAccessCidrs !== undefined) params.push({ type: 'PublicAccessCidrs', value: JSON.stringify(v.publicAccessCidrs) });
        }
        if (input.logging !== undefined) {
          next = { ...next, logging: input.logging };
          type = 'LoggingUpdate';
          params.push({ type: 'ClusterLogging', value: JSON.stringify(input.logging) });
        }
        const mode = input.accessConfig?.authenticationMode;
        if (mode !== undefined) {
          // EKS moves authentication one way only: CONFIG_MAP → API_AND_CONFIG_MAP → API.
          const order = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];
          if (order.indexOf(mode) < order.indexOf(c.authenticationMode)) {
            throw new ApiError('InvalidParameterException', `Unsupported authentication mode update from ${c.authenticationMode} to ${mode}: the mode can only move towards API.`, { clusterName: c.name });
          }
          next = { ...next, authenticationMode: mode };
          type = 'AccessConfigUpdate';
          params.push({ type: 'AuthenticationMode', value: mode });
        }
        if (params.length === 0) throw new ApiError('InvalidParameterException', 'No changes needed: give resourcesVpcConfig, logging or accessConfig to change.', { clusterName: c.name });
        return next;
      }, () => clusterNotFound(input.name));
      const update: UpdateRecord = { id: deps.newId(), status: 'Successful', type, params, createdAt: ctx.now, errors: [] };
      await deps.store.txn({ ops: [{ type: 'put', key: eksKeys.update(scope, input.name, update.id), value: JSON.stringify(update) }] });
      return { update: updateView(update) };
    },

    async DescribeUpdate(input: { name: string; updateId: string; nodegroupName?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.name);
      const held = await readJson<UpdateRecord>(deps.store, eksKeys.update(scopeOf(ctx), input.name, input.updateId));
      if (!held || (held.value.nodegroupName ?? undefined) !== input.nodegroupName) throw updateNotFound(input.name, input.updateId);
      return { update: updateView(held.value) };
    },

    async ListUpdates(input: { name: string; nodegroupName?: string; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.name);
      const page = await listJsonPage<UpdateRecord>(deps.store, eksKeys.updates(scopeOf(ctx), input.name), input.maxResults, input.nextToken, (u) => u.nodegroupName === input.nodegroupName);
      return { updateIds: page.values.map((u) => u.id), ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },
  };
}

/** Changes wait for an ACTIVE cluster, as EKS's do. */
export function requireActive(c: ClusterRecord): void {
  if (c.status !== 'ACTIVE') {
    throw new ApiError('ResourceInUseException', `Cluster status is ${c.status}: wait until it is ACTIVE (aws eks wait cluster-active --name ${c.name}).`, { clusterName: c.name });
  }
}
