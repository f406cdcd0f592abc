/**
 * Fargate profiles: CreateFargateProfile, DescribeFargateProfile, ListFargateProfiles,
 * DeleteFargateProfile. Which pod runs on which profile is core/eks/fargate-profile.ts's
 * fargateProfileFor; the node group controller moves CREATING and DELETING on.
 */
import { ApiError } from '../../core/errors.ts';
import { checkTags, MAX_FARGATE_PROFILES_PER_CLUSTER } from '../../core/eks/cluster.ts';
import { fargateProfileNotFound, fargateProfileView, newFargateProfile, type CreateFargateProfileInput, type FargateProfileRecord } from '../../core/eks/fargate-profile.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import type { RequestContext } from '../aws/service.ts';
import { getCluster, requireActive } from './clusters.ts';
import { scopeOf, type EksDeps } from './deps.ts';
import { listJson, listNames, readJson, updateJson } from './records.ts';

export function fargateProfileOperations(deps: EksDeps) {
  return {
    async CreateFargateProfile(input: CreateFargateProfileInput & { clusterName: string }, ctx: RequestContext) {
      const cluster = await getCluster(deps, ctx, input.clusterName);
      requireActive(cluster);
      checkTags(input.tags ?? {});
      const record = newFargateProfile(cluster, input, deps.newId(), ctx.now);
      const scope = scopeOf(ctx);
      const existing = await listJson<FargateProfileRecord>(deps.store, eksKeys.fargateProfiles(scope, cluster.name));
      if (existing.length >= MAX_FARGATE_PROFILES_PER_CLUSTER) throw new ApiError('ResourceLimitExceededException', `Cluster ${cluster.name} has ${MAX_FARGATE_PROFILES_PER_CLUSTER} Fargate profiles, the most a cluster can have; delete one first.`, { clusterName: cluster.name });
      // EKS makes one profile at a time per cluster.
      const busy = existing.find((p) => p.value.status === 'CREATING' || p.value.status === 'DELETING');
      if (busy) throw new ApiError('ResourceInUseException', `Fargate profile ${busy.value.fargateProfileName} is ${busy.value.status}: EKS makes or deletes one Fargate profile of a cluster at a time; try again once it is done.`, { clusterName: cluster.name });
      const key = eksKeys.fargateProfile(scope, cluster.name, record.fargateProfileName);
      const r = await deps.store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
      if (!r.ok) throw new ApiError('ResourceInUseException', `A Fargate Profile already exists with this name in this cluster.`, { clusterName: cluster.name, fargateProfileName: record.fargateProfileName });
      return { fargateProfile: fargateProfileView(record) };
    },

    async DescribeFargateProfile(input: { clusterName: string; fargateProfileName: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const held = await readJson<FargateProfileRecord>(deps.store, eksKeys.fargateProfile(scopeOf(ctx), input.clusterName, input.fargateProfileName));
      if (!held) throw fargateProfileNotFound(input.clusterName, input.fargateProfileName);
      return { fargateProfile: fargateProfileView(held.value) };
    },

    async ListFargateProfiles(input: { clusterName: string; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const page = await listNames(deps.store, eksKeys.fargateProfiles(scopeOf(ctx), input.clusterName), input.maxResults, input.nextToken);
      return { fargateProfileNames: page.names, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },

    async DeleteFargateProfile(input: { clusterName: string; fargateProfileName: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const deleting = await updateJson<FargateProfileRecord>(deps.store, eksKeys.fargateProfile(scopeOf(ctx), input.clusterName, input.fargateProfileName), (p) => {
        if (p.status === 'CREATING') throw new ApiError('ResourceInUseException', `Fargate profile ${p.fargateProfileName} is CREATING; wait until it is ACTIVE to delete it.`, { clusterName: p.clusterName, fargateProfileName: p.fargateProfileName });
        return { ...p, status: 'DELETING' };
      }, () => fargateProfileNotFound(input.clusterName, input.fargateProfileName));
      return { fargateProfile: fargateProfileView(deleting) };
    },
  };
}
