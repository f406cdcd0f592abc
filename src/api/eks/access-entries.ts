/**
 * Access entries and access policies: CreateAccessEntry, DescribeAccessEntry,
 * ListAccessEntries, UpdateAccessEntry, DeleteAccessEntry, AssociateAccessPolicy,
 * DisassociateAccessPolicy, ListAssociatedAccessPolicies, ListAccessPolicies. What an
 * entry makes of a token's principal is core/eks/access.ts's kubeUserOf.
 */
import { ApiError } from '../../core/errors.ts';
import { ACCESS_POLICIES, accessEntryView, associatePolicy, checkAccessScope, checkGroups, checkPolicyArn, newAccessEntry, POLICY_ARN_PREFIX, type AccessEntryRecord, type NewAccessEntryInput } from '../../core/eks/access.ts';
import { checkTags, type ClusterRecord } from '../../core/eks/cluster.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import type { RequestContext } from '../aws/service.ts';
import { getCluster } from './clusters.ts';
import { scopeOf, type EksDeps } from './deps.ts';
import { listJsonPage, readJson, updateJson } from './records.ts';

const NOT_FOUND = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.";

function entryNotFound(clusterName: string): ApiError {
  return new ApiError('ResourceNotFoundException', NOT_FOUND, { clusterName });
}

/** Access entries work only where the cluster authenticates by them. */
function requireApiMode(c: ClusterRecord): void {
  if (c.authenticationMode === 'CONFIG_MAP') {
    throw new ApiError('InvalidRequestException', "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.", { clusterName: c.name });
  }
}

export function accessEntryOperations(deps: EksDeps) {
  const entryKey = (ctx: RequestContext, cluster: string, principalArn: string) => eksKeys.accessEntry(scopeOf(ctx), cluster, principalArn);

  return {
    async CreateAccessEntry(input: NewAccessEntryInput & { clusterName: string }, ctx: RequestContext) {
      const cluster = await getCluster(deps, ctx, input.clusterName);
      requireApiMode(cluster);
      checkTags(input.tags ?? {});
      const entry = newAccessEntry(cluster.name, cluster.arn, deps.newHex(), input, ctx.now);
      const key = entryKey(ctx, cluster.name, entry.principalArn);
      const r = await deps.store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(entry) }] });
      if (!r.ok) throw new ApiError('ResourceInUseException', 'The specified access entry resource is already in use on this cluster.', { clusterName: cluster.name });
      return { accessEntry: accessEntryView(entry) };
    },

    async DescribeAccessEntry(input: { clusterName: string; principalArn: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const held = await readJson<AccessEntryRecord>(deps.store, entryKey(ctx, input.clusterName, input.principalArn));
      if (!held) throw entryNotFound(input.clusterName);
      return { accessEntry: accessEntryView(held.value) };
    },

    async ListAccessEntries(input: { clusterName: string; associatedPolicyArn?: string; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const want = input.associatedPolicyArn;
      const page = await listJsonPage<AccessEntryRecord>(deps.store, eksKeys.accessEntries(scopeOf(ctx), input.clusterName), input.maxResults, input.nextToken, (e) => want === undefined || e.policies.some((p) => p.policyArn === want));
      return { accessEntries: page.values.map((e) => e.principalArn), ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },

    async UpdateAccessEntry(input: { clusterName: string; principalArn: string; kubernetesGroups?: string[]; username?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const updated = await updateJson<AccessEntryRecord>(deps.store, entryKey(ctx, input.clusterName, input.principalArn), (e) => ({
        ...e,
        ...(input.kubernetesGroups !== undefined && { kubernetesGroups: checkGroups(input.kubernetesGroups, e.type, e.clusterName) }),
        ...(input.username !== undefined && { username: input.username }),
        modifiedAt: ctx.now,
      }), () => entryNotFound(input.clusterName));
      return { accessEntry: accessEntryView(updated) };
    },

    async DeleteAccessEntry(input: { clusterName: string; principalArn: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const key = entryKey(ctx, input.clusterName, input.principalArn);
      const held = await readJson<AccessEntryRecord>(deps.store, key);
      if (!held) throw entryNotFound(input.clusterName);
      await deps.store.txn({ if: [{ key, modRevision: held.modRevision }], ops: [{ type: 'delete', key }] });
      return {};
    },

    async AssociateAccessPolicy(input: { clusterName: string; principalArn: string; policyArn: string; accessScope: { type?: string; namespaces?: string[] } }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      checkPolicyArn(input.policyArn, input.clusterName);
      const scope = checkAccessScope(input.accessScope, input.clusterName);
      const entry = await updateJson<AccessEntryRecord>(deps.store, entryKey(ctx, input.clusterName, input.principalArn), (e) => {
        if (e.type !== 'STANDARD') throw new ApiError('InvalidRequestException', `Access policies can be associated only with access entries of type STANDARD; this one is ${e.type}.`, { clusterName: e.clusterName });
        return associatePolicy(e, input.policyArn, scope, ctx.now);
      }, () => entryNotFound(input.clusterName));
      const p = entry.policies.find((x) => x.policyArn === input.policyArn)!;
      return { clusterName: input.clusterName, principalArn: input.principalArn, associatedAccessPolicy: policyView(p) };
    },

    async DisassociateAccessPolicy(input: { clusterName: string; principalArn: string; policyArn: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      await updateJson<AccessEntryRecord>(deps.store, entryKey(ctx, input.clusterName, input.principalArn), (e) => {
        if (!e.policies.some((p) => p.policyArn === input.policyArn)) throw new ApiError('ResourceNotFoundException', `The policy ${input.policyArn} is not associated with this access entry.`, { clusterName: e.clusterName });
        return { ...e, modifiedAt: ctx.now, policies: e.policies.filter((p) => p.policyArn !== input.policyArn) };
      }, () => entryNotFound(input.clusterName));
      return {};
    },

    async ListAssociatedAccessPolicies(input: { clusterName: string; principalArn: string; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const held = await readJson<AccessEntryRecord>(deps.store, entryKey(ctx, input.clusterName, input.principalArn));
      if (!held) throw entryNotFound(input.clusterName);
      // At most four policies exist: one page always holds them.
      return { clusterName: input.clusterName, principalArn: input.principalArn, associatedAccessPolicies: held.value.policies.map(policyView) };
    },

    ListAccessPolicies() {
      return { accessPolicies: ACCESS_POLICIES.map((name) => ({ name, arn: POLICY_ARN_PREFIX + name })) };
    },
  };
}

function policyView(p: AccessEntryRecord['policies'][number]): Record<string, unknown> {
  return { policyArn: p.policyArn, accessScope: { type: p.accessScope.type, namespaces: p.accessScope.namespaces ?? [] }, associatedAt: p.associatedAt / 1000, modifiedAt: p.modifiedAt / 1000 };
}
