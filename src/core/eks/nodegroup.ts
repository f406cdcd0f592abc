/**
 * Managed node groups: a node group is a set of Berth hosts (container instances) that
 * serve the cluster's pods. Each of its instances carries the attributes
 * `eks.amazonaws.com/nodegroup=<name>` and `eks:cluster-name=<cluster>`.
 *
 *   CreateNodegroup ─▶ CREATING ─▶ ACTIVE      DeleteNodegroup ─▶ DELETING ─▶ gone
 *   UpdateNodegroupConfig (scalingConfig, labels, taints) ─▶ an Update, Successful
 */
import { ApiError } from '../errors.ts';
import { checkChildName } from './names.ts';

export type NodegroupStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'CREATE_FAILED' | 'DELETE_FAILED' | 'DEGRADED';

/** The attribute naming an instance's node group (EKS's node label of the same name). */
export const NODEGROUP_ATTRIBUTE = 'eks.amazonaws.com/nodegroup';
/** The attribute naming an instance's cluster. */
export const CLUSTER_ATTRIBUTE = 'eks:cluster-name';
/** EKS's defaults when scalingConfig is left out: 2 nodes, between 1 and 2. */
export const DEFAULT_SCALING = { minSize: 1, maxSize: 2, desiredSize: 2 } as const;
/** EKS's limit on nodes in one managed node group. */
export const MAX_NODEGROUP_SIZE = 1000;

export interface ScalingConfig {
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredSize: number;
}

export interface NodegroupRecord {
  readonly nodegroupName: string;
  readonly nodegroupArn: string;
  readonly clusterName: string;
  readonly version: string;
  readonly releaseVersion: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly status: NodegroupStatus;
  readonly capacityType: string;
  readonly scalingConfig: ScalingConfig;
  readonly instanceTypes: readonly string[];
  readonly subnets: readonly string[];
  readonly amiType: string;
  readonly nodeRole: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly unknown[];
  readonly diskSize: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The container instances that are its nodes (ARNs), as the node group controller assigned them (nodes.ts). */
  readonly instances: readonly string[];
  /** Why it has fewer nodes than it wants (DEGRADED), as EKS's NodegroupHealth issues. */
  readonly issues?: readonly { code: string; message: string; resourceIds: string[] }[];
}

export interface CreateNodegroupInput {
  readonly nodegroupName: string;
  readonly scalingConfig?: Partial<ScalingConfig>;
  readonly subnets: string[];
  readonly instanceTypes?: string[];
  readonly amiType?: string;
  readonly capacityType?: string;
  readonly nodeRole: string;
  readonly labels?: Record<string, string>;
  readonly taints?: unknown[];
  readonly diskSize?: number;
  readonly tags?: Record<string, string>;
  readonly version?: string;
}

export function checkScaling(s: Partial<ScalingConfig>, base: ScalingConfig, clusterName: string, nodegroupName: string): ScalingConfig {
  const out = { minSize: s.minSize ?? base.minSize, maxSize: s.maxSize ?? base.maxSize, desiredSize: s.desiredSize ?? base.desiredSize };
  const bad = (m: string) => new ApiError('InvalidParameterException', m, { clusterName, nodegroupName });
  if (out.minSize < 0) throw bad(`minSize must be 0 or more; it was ${out.minSize}.`);
  if (out.maxSize < 1 || out.maxSize > MAX_NODEGROUP_SIZE) throw bad(`maxSize must be between 1 and ${MAX_NODEGROUP_SIZE}; it was ${out.maxSize}.`);
  if (out.minSize > out.maxSize) throw bad(`Minimum capacity ${out.minSize} can't be greater than maximum capacity ${out.maxSize}.`);
  if (out.desiredSize < out.minSize) throw bad(`Desired capacity ${out.desiredSize} can't be lower than minimum capacity ${out.minSize}.`);
  if (out.desiredSize > out.maxSize) throw bad(`Desired capacity ${out.desiredSize} can't be greater than maximum capacity ${out.maxSize}.`);
  return out;
}

export function newNodegroup(cluster: { name: string; arn: string; version: string }, input: CreateNodegroupInput, id: string, now: number): NodegroupRecord {
  checkChildName('nodegroupName', input.nodegroupName, cluster.name);
  if (input.version !== undefined && input.version !== cluster.version) {
    throw new ApiError('InvalidParameterException', `The node group's version ${input.version} must be the cluster's (${cluster.version}) when it is made.`, { clusterName: cluster.name, nodegroupName: input.nodegroupName });
  }
  const scalingConfig = checkScaling(input.scalingConfig ?? {}, DEFAULT_SCALING, cluster.name, input.nodegroupName);
  return {
    nodegroupName: input.nodegroupName,
    nodegroupArn: `${cluster.arn.replace(':cluster/', ':nodegroup/')}/${input.nodegroupName}/${id}`,
    clusterName: cluster.name,
    version: cluster.version,
    releaseVersion: `${cluster.version}.0-berth`,
    createdAt: now,
    modifiedAt: now,
    status: 'CREATING',
    capacityType: input.capacityType ?? 'ON_DEMAND',
    scalingConfig,
    instanceTypes: input.instanceTypes ?? ['t3.medium'],
    subnets: input.subnets,
    amiType: input.amiType ?? 'AL2023_x86_64_STANDARD',
    nodeRole: input.nodeRole,
    labels: input.labels ?? {},
    taints: input.taints ?? [],
    diskSize: input.diskSize ?? 20,
    tags: input.tags ?? {},
    instances: [],
  };
}

export function nodegroupView(n: NodegroupRecord): Record<string, unknown> {
  return {
    nodegroupName: n.nodegroupName, nodegroupArn: n.nodegroupArn, clusterName: n.clusterName, version: n.version,
    releaseVersion: n.releaseVersion, createdAt: n.createdAt / 1000, modifiedAt: n.modifiedAt / 1000, status: n.status,
    capacityType: n.capacityType, scalingConfig: n.scalingConfig, instanceTypes: n.instanceTypes, subnets: n.subnets,
    amiType: n.amiType, nodeRole: n.nodeRole, labels: n.labels, ...(n.taints.length > 0 && { taints: n.taints }),
    resources: { autoScalingGroups: [{ name: `eks-${n.nodegroupName}` }] }, diskSize: n.diskSize,
    health: { issues: n.issues ?? [] }, updateConfig: { maxUnavailable: 1 }, tags: n.tags,
  };
}

export function nodegroupNotFound(clusterName: string, name: string): ApiError {
  return new ApiError('ResourceNotFoundException', `No node group found for name: ${name}.`, { clusterName, nodegroupName: name });
}
