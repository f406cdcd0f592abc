/**
 * The names and versions EKS accepts, as its API reference and user guide state them.
 * Pure rules: the API handlers call them before anything is written.
 */
import { ApiError } from '../errors.ts';

/** ClusterName in the EKS model: a letter or digit first, then letters, digits, `-` and `_`; 1–100 characters. */
export const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
export const MAX_CLUSTER_NAME = 100;
/** Node group and Fargate profile names (EKS user guide): the same characters, at most 63. */
export const MAX_CHILD_NAME = 63;

/**
 * Kubernetes versions Berth's clusters serve, oldest first. The newest is the default
 * (CreateCluster without `version`): 1.32, the version of the kubectl on Berth's machines,
 * which speaks to API servers one minor version either side.
 */
export const KUBERNETES_VERSIONS = ['1.29', '1.30', '1.31', '1.32'] as const;
export const DEFAULT_KUBERNETES_VERSION = '1.32';
/** The EKS platform version a new cluster of any version reports (EKS numbers them per version from eks.1). */
export const PLATFORM_VERSION = 'eks.1';

export function checkClusterName(name: string): void {
  if (name.length < 1 || name.length > MAX_CLUSTER_NAME || !CLUSTER_NAME.test(name)) {
    throw new ApiError('InvalidParameterException', `The cluster name '${name}' is not valid: use 1 to ${MAX_CLUSTER_NAME} letters, digits, hyphens and underscores, starting with a letter or digit (pattern ${CLUSTER_NAME.source}).`, { clusterName: name });
  }
}

/** Node group or Fargate profile name: `what` names it in the message. */
export function checkChildName(what: 'nodegroupName' | 'fargateProfileName', name: string, clusterName: string): void {
  if (name.length < 1 || name.length > MAX_CHILD_NAME || !CLUSTER_NAME.test(name)) {
    throw new ApiError('InvalidParameterException', `The ${what === 'nodegroupName' ? 'node group' : 'Fargate profile'} name '${name}' is not valid: use 1 to ${MAX_CHILD_NAME} letters, digits, hyphens and underscores, starting with a letter or digit.`, { clusterName, [what]: name });
  }
}

export function checkVersion(version: string, clusterName: string): void {
  if (!(KUBERNETES_VERSIONS as readonly string[]).includes(version)) {
    throw new ApiError('InvalidParameterException', `unsupported Kubernetes version ${version}: Berth's clusters serve ${KUBERNETES_VERSIONS.join(', ')}.`, { clusterName });
  }
}

/** UpdateClusterVersion moves one minor version up at a time, as EKS does. */
export function checkVersionUpdate(from: string, to: string, clusterName: string): void {
  checkVersion(to, clusterName);
  const [, a] = from.split('.').map(Number) as [number, number];
  const [, b] = to.split('.').map(Number) as [number, number];
  if (b !== a + 1) {
    throw new ApiError('InvalidParameterException', `Unsupported Kubernetes minor version update from ${from} to ${to}: update one minor version at a time (${from} → 1.${a + 1}).`, { clusterName });
  }
}
