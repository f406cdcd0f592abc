/**
 * When a pod goes, and the one transaction that removes it. A pod is removed when nothing of
 * it runs (never placed, or its task STOPPED) and it is being deleted with no finalizer left,
 * or at once when forced (grace period 0). Its task goes with its name key when nothing runs;
 * a pod forced while it runs leaves its task to stop as an ECS task, without its Kubernetes
 * part, so no watcher of the cluster's pods sees it again. Pure.
 */
import type { Op, Txn } from '../../../store/store.ts';
import { deleteTaskTxn, specWriteTxn, type StoredTask } from '../../workload/task-store.ts';
import type { TaskSpec } from '../../workload/spec.ts';
import type { TaskStatus } from '../../workload/status.ts';
import { podNameKey } from './hosting.ts';

/** Whether nothing of the pod runs or will: never placed, or its task STOPPED. */
export const nothingRuns = (spec: TaskSpec, status: TaskStatus): boolean => spec.placement.instanceArn === undefined || status.lastStatus === 'STOPPED';

/** A deleted pod (deletionTimestamp set) whose finalizers are gone and whose containers stopped: it goes now. */
export function removalDue(spec: TaskSpec, status: TaskStatus): boolean {
  const k = spec.kube;
  return k?.deletionTimestamp !== undefined && (k.finalizers ?? []).length === 0 && nothingRuns(spec, status);
}

/** The transaction that removes a pod's task (as read: its spec's revision pins it) and its name key. */
export function podRemovalTxn(t: Pick<StoredTask, 'key' | 'specRevision'> & { readonly spec: TaskSpec; readonly status: TaskStatus }): Txn {
  const k = t.spec.kube;
  if (!k) throw new Error(`task ${t.spec.id} is not a pod`);
  const nameOp: Op = { type: 'delete', key: podNameKey(k.clusterUid, k.namespace, k.name) };
  if (nothingRuns(t.spec, t.status)) {
    const txn = deleteTaskTxn(t);
    return { ...txn, ops: [...txn.ops, nameOp] };
  }
  const { kube: _kube, ...rest } = t.spec;
  const stopped: TaskSpec = {
    ...rest, generation: t.spec.generation + 1, desiredStatus: 'STOPPED', stop: t.spec.stop ?? { code: 'UserInitiated', reason: 'Pod deleted' },
    // Forced: no grace period.
    containers: t.spec.containers.map((c) => ({ ...c, stopTimeout: 0 })),
  };
  const txn = specWriteTxn(t, stopped);
  return { ...txn, ops: [...txn.ops, nameOp] };
}
