/**
 * Where a pod's task lives on the ECS side. Every EKS cluster's pods are tasks of one ECS
 * cluster, the one `berth up` and a bare `berth agent` register their hosts into: node
 * groups claim their hosts from it, the pod scheduler places pods on them, and `berth ps`
 * (or `aws ecs list-tasks --cluster default`) shows pods beside ECS tasks. A pod's task is
 * found by its uid (to-spec.ts: taskIdOfUid) within this cluster; its group is
 * `pod:<namespace>/<name>` (POD_GROUP_PREFIX), its `kube.clusterUid` names the EKS cluster.
 */
export const POD_ECS_CLUSTER = 'default';

/** A pod task's ECS task group: `pod:<namespace>/<name>`. */
export const POD_GROUP_PREFIX = 'pod:';

export const podGroup = (namespace: string, name: string): string => `${POD_GROUP_PREFIX}${namespace}/${name}`;

/**
 * A pod's task: no task definition (an ECS task always has one) and the pod group. The
 * group alone is not enough: RunTask's --group may be any text, `pod:…` too.
 */
export function isPodTask(t: { readonly taskDefinitionArn: string; readonly group: string }): boolean {
  return t.taskDefinitionArn === '' && t.group.startsWith(POD_GROUP_PREFIX);
}

/**
 * A pod's name is unique in its namespace: this key (under the EKS cluster's kube keys, so a
 * DeleteCluster's purge removes it) holds the task key of the pod of that name, created "must
 * not exist" in the transaction that creates the task and deleted in the one that removes it.
 */
export const podNameKey = (clusterUid: string, namespace: string, name: string): string => `${podNamesPrefix(clusterUid, namespace)}${name}`;

/** The name keys of a cluster's pods (in one namespace when given), in namespace and name order. */
export const podNamesPrefix = (clusterUid: string, namespace?: string): string => `/berth/kube/${clusterUid}/podnames/${namespace === undefined ? '' : `${namespace}/`}`;
