/**
 * The agent gateway's side of service tables: each agent session follows the table of the
 * EKS cluster its instance is a node of (claimed by one of the cluster's node groups: the
 * instance's `eks:cluster-name` attribute, in the instance's account and region), follows
 * another when its instance moves, and none (an empty table) when it is a node of none.
 *
 *   hello ─▶ attach(instance) ─▶ follow(cluster of instance) ─▶ serviceTable frames
 *   instance record changes ─▶ instanceChanged ─▶ follow the new cluster (a whole table)
 *   agent's serviceTableResync ─▶ the whole table again;  session ends ─▶ detach (unfollow)
 */
import { parseArn } from '../core/arn.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { CLUSTER_ATTRIBUTE } from '../core/eks/nodegroup.ts';
import { isNodeOf } from '../core/kube/node-view.ts';
import type { AgentMessage, ServerMessage } from '../agent/protocol.ts';
import { clusterKey, type ServiceTables } from '../svcnet/publisher.ts';
import type { TableUpdate } from '../svcnet/table.ts';

const NONE: TableUpdate = { kind: 'full', version: 0, table: null };

/** The cluster key (publisher.ts clusterKey) of the EKS cluster `instance` is a node of, if any. */
export function nodeClusterKey(instance: ContainerInstanceRecord): string | undefined {
  const name = instance.attributes.find((a) => a.name === CLUSTER_ATTRIBUTE)?.value;
  const arn = parseArn(instance.containerInstanceArn);
  if (name === undefined || !arn || !isNodeOf(instance, name)) return undefined;
  return clusterKey({ account: arn.account, region: arn.region, name });
}

/** A session extension for the agent gateway (its `sessionExtensions`). */
export function serviceTableSessions(tables: ServiceTables) {
  return {
    attach(instance: ContainerInstanceRecord, send: (msg: ServerMessage) => void) {
      let key: string | undefined;
      let unfollow: (() => void) | undefined;
      const out = (u: TableUpdate) => send({ type: 'serviceTable', update: u });
      const follow = (inst: ContainerInstanceRecord, first = false): void => {
        const next = nodeClusterKey(inst);
        if (!first && next === key) return;
        unfollow?.();
        unfollow = undefined;
        key = next;
        if (key === undefined) out(NONE);
        else unfollow = tables.follow(key, out);
      };
      follow(instance, true);
      return {
        instanceChanged: (inst: ContainerInstanceRecord) => follow(inst),
        message(msg: AgentMessage): void {
          if (msg.type === 'serviceTableResync') out(key === undefined ? NONE : tables.full(key));
        },
        detach(): void {
          unfollow?.();
          unfollow = undefined;
        },
      };
    },
  };
}
