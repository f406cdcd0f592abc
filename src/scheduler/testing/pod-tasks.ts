/**
 * Pod tasks as the pods backend stores them (core/kube/pod/hosting.ts): a Pod defaulted, made
 * a task spec by podToTaskSpec, with no host, and a fresh status, put through the task store.
 * For the pod scheduler's tests (the placer's, the end-to-end one), which create pods
 * without the pods API.
 */
import type { Scope } from '../../core/ecs/scope.ts';
import { POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { defaultPod } from '../../core/kube/pod/defaults.ts';
import { podToTaskSpec } from '../../core/kube/pod/to-spec.ts';
import type { PodSpec } from '../../core/kube/pod/types.ts';
import type { TaskStatus } from '../../core/workload/status.ts';
import { splitTaskOps } from '../../core/workload/task-store.ts';
import type { Op } from '../../store/store.ts';

/** Container ids enough for any test pod (one per container, init containers included). */
const CONTAINER_IDS = Array.from({ length: 16 }, (_, k) => `c${k}`);

/** The id of the n-th test pod's task: 32 hex digits. */
export const podTaskId = (n: number): string => (0xb0d000 + n).toString(16).padStart(32, '0');

/**
 * The store ops that make pod `name` (namespace default) of the EKS cluster `clusterUid`,
 * waiting for a node (`fargate`: a Fargate profile selected it, waiting for Fargate capacity).
 */
export function podTaskOps(scope: Scope, n: number, name: string, clusterUid: string, spec: Partial<PodSpec> = {}, now = 1_700_000_000_000, fargate = false): Op[] {
  const pod = defaultPod({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }], ...spec },
  }, undefined);
  const id = podTaskId(n);
  const { spec: taskSpec } = podToTaskSpec(pod, {
    id, now, clusterUid, ...(fargate && { fargate }), ecs: { scope, clusterName: POD_ECS_CLUSTER, containerIds: CONTAINER_IDS },
    configMap: () => undefined, secret: () => undefined, token: () => 'token',
  });
  const status: TaskStatus = {
    lastStatus: 'PROVISIONING', changes: 0, healthStatus: 'UNKNOWN', attachments: [],
    containers: taskSpec.containers.map((c) => ({ name: c.name, lastStatus: 'PENDING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN' })),
  };
  return splitTaskOps({ scope, cluster: POD_ECS_CLUSTER, id }, taskSpec, status);
}
