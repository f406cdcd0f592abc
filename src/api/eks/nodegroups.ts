/**
 * Managed node groups: CreateNodegroup, DescribeNodegroup, ListNodegroups, DeleteNodegroup,
 * UpdateNodegroupConfig. The node group controller (controllers/eks-nodegroups.ts) moves
 * CREATING and DELETING on.
 */
import { ApiError } from '../../core/errors.ts';
import { eksKeys } from '../../core/eks/keys.ts';
import { checkScaling, newNodegroup, nodegroupNotFound, nodegroupView, type CreateNodegroupInput, type NodegroupRecord, type ScalingConfig } from '../../core/eks/nodegroup.ts';
import { updateView, type UpdateRecord } from '../../core/eks/update.ts';
import { checkTags, MAX_NODEGROUPS_PER_CLUSTER } from '../../core/eks/cluster.ts';
import type { RequestContext } from '../aws/service.ts';
import { getCluster, requireActive } from './clusters.ts';
import { scopeOf, type EksDeps } from './deps.ts';
import { listNames, readJson, updateJson } from './records.ts';

export function nodegroupOperations(deps: EksDeps) {
  return {
    async CreateNodegroup(input: CreateNodegroupInput & { clusterName: string }, ctx: RequestContext) {
      const cluster = await getCluster(deps, ctx, input.clusterName);
      requireActive(cluster);
      checkTags(input.tags ?? {});
      const record = newNodegroup(cluster, input, deps.newId(), ctx.now);
      const count = await deps.store.list(eksKeys.nodegroups(scopeOf(ctx), cluster.name), { limit: MAX_NODEGROUPS_PER_CLUSTER });
      if (count.items.length >= MAX_NODEGROUPS_PER_CLUSTER) throw new ApiError('ResourceLimitExceededException', `Cluster ${cluster.name} has ${MAX_NODEGROUPS_PER_CLUSTER} node groups, the most a cluster can have; delete one first.`, { clusterName: cluster.name, nodegroupName: record.nodegroupName });
      const key = eksKeys.nodegroup(scopeOf(ctx), cluster.name, record.nodegroupName);
      const r = await deps.store.txn({ if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(record) }] });
      if (!r.ok) throw new ApiError('ResourceInUseException', `NodeGroup already exists with name ${record.nodegroupName} and cluster name ${cluster.name}`, { clusterName: cluster.name, nodegroupName: record.nodegroupName });
      return { nodegroup: nodegroupView(record) };
    },

    async DescribeNodegroup(input: { clusterName: string; nodegroupName: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const held = await readJson<NodegroupRecord>(deps.store, eksKeys.nodegroup(scopeOf(ctx), input.clusterName, input.nodegroupName));
      if (!held) throw nodegroupNotFound(input.clusterName, input.nodegroupName);
      return { nodegroup: nodegroupView(held.value) };
    },

    async ListNodegroups(input: { clusterName: string; maxResults?: number; nextToken?: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const page = await listNames(deps.store, eksKeys.nodegroups(scopeOf(ctx), input.clusterName), input.maxResults, input.nextToken);
      return { nodegroups: page.names, ...(page.nextToken !== undefined && { nextToken: page.nextToken }) };
    },

    async DeleteNodegroup(input: { clusterName: string; nodegroupName: string }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const key = eksKeys.nodegroup(scopeOf(ctx), input.clusterName, input.nodegroupName);
      const deleting = await updateJson<NodegroupRecord>(deps.store, key, (n) => {
        if (n.status === 'CREATING' || n.status === 'UPDATING') {
          throw new ApiError('ResourceInUseException', `Nodegroup ${n.nodegroupName} is in ${n.status} state and cannot be deleted; wait until it is ACTIVE.`, { clusterName: n.clusterName, nodegroupName: n.nodegroupName });
        }
        return { ...n, status: 'DELETING', modifiedAt: ctx.now };
      }, () => nodegroupNotFound(input.clusterName, input.nodegroupName));
      return { nodegroup: nodegroupView(deleting) };
    },

    async UpdateNodegroupConfig(input: { clusterName: string; nodegroupName: string; scalingConfig?: Partial<ScalingConfig>; labels?: { addOrUpdateLabels?: Record<string, string>; removeLabels?: string[] } }, ctx: RequestContext) {
      await getCluster(deps, ctx, input.clusterName);
      const scope = scopeOf(ctx);
      const params: { type: string; value: string }[] = [];
      await updateJson<NodegroupRecord>(deps.store, eksKeys.nodegroup(scope, input.clusterName, input.nodegroupName), (n) => {
        if (n.status !== 'ACTIVE' && n.status !== 'DEGRADED') throw new ApiError('ResourceInUseException', `Nodegroup ${n.nodegroupName} is in ${n.status} state; wait until it is ACTIVE.`, { clusterName: n.clusterName, nodegroupName: n.nodegroupName });
        let next: NodegroupRecord = { ...n, modifiedAt: ctx.now };
        if (input.scalingConfig) {
          const s = checkScaling(input.scalingConfig, n.scalingConfig, n.clusterName, n.nodegroupName);
          next = { ...next, scalingConfig: s };
          if (input.scalingConfig.minSize !== undefined) params.push({ type: 'MinSize', value: String(s.minSize) });
          if (input.scalingConfig.maxSize !== undefined) params.push({ type: 'MaxSize', value: String(s.maxSize) });
          if (input.scalingConfig.desiredSize !== undefined) params.push({ type: 'DesiredSize', value: String(s.desiredSize) });
        }
        if (input.labels) {
          const labels = { ...next.labels, ...input.labels.addOrUpdateLabels };
          for (const k of input.labels.removeLabels ?? []) delete labels[k];
          next = { ...next, labels };
          if (input.labels.addOrUpdateLabels) params.push({ type: 'LabelsToAdd', value: JSON.stringify(input.labels.addOrUpdateLabels) });
          if (input.labels.removeLabels) params.push({ type: 'LabelsToRemove', value: JSON.stringify(input.labels.removeLabels) });
        }
        if (params.length === 0) throw new ApiError('InvalidParameterException', 'No changes needed: give scalingConfig or labels to change.', { clusterName: n.clusterName, nodegroupName: n.nodegroupName });
        return next;
      }, () => nodegroupNotFound(input.clusterName, input.nodegroupName));
      const update: UpdateRecord = { id: deps.newId(), status: 'Successful', type: 'ConfigUpdate', params, createdAt: ctx.now, errors: [], nodegroupName: input.nodegroupName };
      await deps.store.txn({ ops: [{ type: 'put', key: eksKeys.update(scope, input.clusterName, update.id), value: JSON.stringify(update) }] });
      return { update: updateView(update) };
    },
  };
}
