/**
 * Which container instances are a node group's nodes (pure). A node group wants
 * `desiredSize` nodes (none once DELETING); it keeps the ones it has, takes free ones
 * (ACTIVE, agent connected, in no node group) in ARN order, and lets go of the excess,
 * newest-claimed last in ARN order first. Only POD_ECS_CLUSTER's instances are ever claimed
 * (the ECS cluster every pod's task is made in). Its status follows: ACTIVE with all it wants,
 * DEGRADED (with a health issue saying how many hosts it lacks) with fewer; a DELETING
 * node group is gone once it holds no node.
 *
 * Instances are claimed by attributes on their records: `eks.amazonaws.com/nodegroup` and
 * `eks:cluster-name` (NODEGROUP_ATTRIBUTE, CLUSTER_ATTRIBUTE), so the ECS view shows them
 * and placement constraints can select them (`attribute:eks:cluster-name == demo`).
 */
import type { Attribute } from '../ecs/container-instance.ts';
import { POD_ECS_CLUSTER } from '../kube/pod/hosting.ts';
import { CLUSTER_ATTRIBUTE, NODEGROUP_ATTRIBUTE, type NodegroupRecord } from './nodegroup.ts';

export interface NodeCandidate {
  readonly key: string;
  readonly modRevision: number;
  readonly arn: string;
  /** The ECS cluster the instance is registered in: only POD_ECS_CLUSTER's hosts run pods. */
  readonly cluster: string;
  readonly status: string;
  readonly agentConnected: boolean;
  readonly attributes: readonly Attribute[];
}

export interface NodePlan {
  readonly claim: readonly NodeCandidate[];
  readonly release: readonly NodeCandidate[];
  /** The node group's nodes once the plan is applied, by ARN. */
  readonly members: readonly string[];
  /** The node group's next status, or 'gone' for a DELETING one with no node left. */
  readonly status: NodegroupRecord['status'] | 'gone';
  /** A health issue when it has fewer nodes than it wants. */
  readonly issue?: { code: 'NodeCreationFailure'; message: string; resourceIds: string[] };
}

const attr = (c: NodeCandidate, name: string) => c.attributes.find((a) => a.name === name)?.value;

export function isMember(c: NodeCandidate, clusterName: string, nodegroupName: string): boolean {
  return attr(c, NODEGROUP_ATTRIBUTE) === nodegroupName && attr(c, CLUSTER_ATTRIBUTE) === clusterName;
}

export function planNodes(ng: Pick<NodegroupRecord, 'clusterName' | 'nodegroupName' | 'status' | 'scalingConfig'>, candidates: readonly NodeCandidate[]): NodePlan {
  const byArn = (a: NodeCandidate, b: NodeCandidate) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0);
  const want = ng.status === 'DELETING' ? 0 : ng.scalingConfig.desiredSize;
  const members = candidates.filter((c) => isMember(c, ng.clusterName, ng.nodegroupName)).sort(byArn);
  // Pods are tasks of POD_ECS_CLUSTER: a host of another ECS cluster (a Fargate pool host, a
  // user's own cluster) could never run them, so it is never claimed.
  const free = candidates.filter((c) => c.cluster === POD_ECS_CLUSTER && attr(c, NODEGROUP_ATTRIBUTE) === undefined && c.status === 'ACTIVE' && c.agentConnected).sort(byArn);
  const claim = members.length < want ? free.slice(0, want - members.length) : [];
  const release = members.length > want ? members.slice(want) : [];
  const after = [...members.filter((m) => !release.includes(m)), ...claim].map((c) => c.arn).sort();
  if (ng.status === 'DELETING') return { claim, release, members: after, status: after.length === 0 ? 'gone' : 'DELETING' };
  if (after.length < want) {
    return {
      claim, release, members: after, status: 'DEGRADED',
      issue: { code: 'NodeCreationFailure', message: `The node group wants ${want} nodes and has ${after.length}: ${want - after.length} more free Berth hosts (container instances ACTIVE with their agent connected, in no node group) are needed. Start more with berth up --hosts N or berth agent --join.`, resourceIds: [] },
    };
  }
  return { claim, release, members: after, status: 'ACTIVE' };
}

/** The attributes of an instance claimed by (or released from) a node group. */
export function withNodegroup(attributes: readonly Attribute[], nodegroup: { clusterName: string; nodegroupName: string } | undefined): Attribute[] {
  const rest = attributes.filter((a) => a.name !== NODEGROUP_ATTRIBUTE && a.name !== CLUSTER_ATTRIBUTE);
  return nodegroup ? [...rest, { name: NODEGROUP_ATTRIBUTE, value: nodegroup.nodegroupName }, { name: CLUSTER_ATTRIBUTE, value: nodegroup.clusterName }] : rest;
}
