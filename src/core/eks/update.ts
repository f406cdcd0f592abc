/**
 * EKS updates (UpdateClusterVersion, UpdateClusterConfig, UpdateNodegroupConfig): each
 * change is an Update with an id, a type, its params and a status DescribeUpdate shows.
 * Config changes apply at once (Successful); a version update is InProgress until the
 * cluster's API server serves the new version (the cluster controller finishes it).
 */
import { ApiError } from '../errors.ts';

export type UpdateStatus = 'InProgress' | 'Failed' | 'Cancelled' | 'Successful';
export type UpdateType = 'VersionUpdate' | 'EndpointAccessUpdate' | 'LoggingUpdate' | 'ConfigUpdate' | 'AccessConfigUpdate';

export interface UpdateRecord {
  readonly id: string;
  readonly status: UpdateStatus;
  readonly type: UpdateType;
  readonly params: readonly { readonly type: string; readonly value: string }[];
  readonly createdAt: number;
  readonly errors: readonly unknown[];
  /** The node group it is of, when it is one's. */
  readonly nodegroupName?: string;
}

export function updateView(u: UpdateRecord): Record<string, unknown> {
  return { id: u.id, status: u.status, type: u.type, params: u.params, createdAt: u.createdAt / 1000, errors: u.errors };
}

export function updateNotFound(clusterName: string, id: string): ApiError {
  return new ApiError('ResourceNotFoundException', `No update found for ID: ${id}.`, { clusterName });
}
