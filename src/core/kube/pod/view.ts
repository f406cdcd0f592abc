/**
 * The Pod as a view of a task (core/v1 Pod, as `kubectl get pod -o yaml` shows it): metadata
 * and spec from the spec's kube part (as the API server stored them), `spec.nodeName` from the
 * placement, status from the task's status. The twin of the ECS Task view
 * (core/ecs/task-model.ts ecsTaskView). Pure.
 *
 *   TaskSpec { kube: metadata, podSpec } ─┐
 *   placement → node (name, IP) ──────────┼─ podView ─▶ Pod { metadata, spec, status }
 *   TaskStatus ───────────────────────────┘                     └ status-view.ts
 */
import type { TaskSpec } from '../../workload/spec.ts';
import type { TaskStatus } from '../../workload/status.ts';
import { podStatusView, type PodNode } from './status-view.ts';
import { podUid } from './to-spec.ts';
import type { ObjectMeta, Pod } from './types.ts';

/** The store revisions of the task's two keys: the pod's resourceVersion is the later (either changing changes the pod). */
export interface PodRevisions {
  spec: number;
  status: number;
}

/** The resourceVersion of a pod kept under two keys. */
export const podResourceVersion = (r: PodRevisions): string => String(Math.max(r.spec, r.status));

/** The Pod of a task made from one (spec.kube present). */
export function podView(spec: TaskSpec, status: TaskStatus, revisions: PodRevisions, node?: PodNode): Pod {
  const k = spec.kube;
  if (!k) throw new Error(`task ${spec.id} is not a pod`);
  const metadata: ObjectMeta = {
    name: k.name,
    ...(k.generateName !== undefined && { generateName: k.generateName }),
    namespace: k.namespace,
    uid: podUid(spec.id),
    resourceVersion: podResourceVersion(revisions),
    creationTimestamp: k.creationTimestamp,
    ...(k.deletionTimestamp !== undefined && { deletionTimestamp: k.deletionTimestamp }),
    ...(k.deletionGracePeriodSeconds !== undefined && { deletionGracePeriodSeconds: k.deletionGracePeriodSeconds }),
    ...(k.labels !== undefined && { labels: k.labels }),
    ...(k.annotations !== undefined && { annotations: k.annotations }),
    ...(k.ownerReferences !== undefined && { ownerReferences: k.ownerReferences }),
    ...(k.finalizers !== undefined && { finalizers: k.finalizers }),
    ...(k.managedFields !== undefined && { managedFields: k.managedFields }),
  };
  const nodeName = node?.name ?? k.podSpec.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { ...k.podSpec, ...(nodeName !== undefined && { nodeName }) },
    status: podStatusView(spec, status, node),
  };
}
