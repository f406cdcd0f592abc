/**
 * Following a cluster's Fargate pods from a revision, for the watch of their nodes (each such
 * pod is its own node's: core/kube/fargate-node.ts). One store watch over the task halves of
 * the account and region, as the pods watch (pod-backend-reads.ts), keeps each Fargate pod's
 * spec and status; every change of one is told with the pod as it then is (undefined once it
 * is gone or no longer a Fargate pod of the cluster), at the revision of the write.
 *
 *   listPods (now) ─▶ seed: each Fargate pod told once, at its revision
 *   task halves watch (from) ─▶ spec / status put newer than the half held ─▶ told
 *                             └▶ spec deleted, or no longer ours ─────────▶ told gone
 *
 * writeFargatePodSpec writes what a user wrote on such a pod's node (its labels and annotations,
 * core/kube/fargate-node.ts editFargateNode) to the pod's task spec, if unchanged since read.
 *
 * The seed is read after `from`: events the watch replays that are not newer than the half
 * held are skipped, so the pods are never told backwards.
 */
import type { WatchEvent } from '../../store/store.ts';
import { POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { specWriteTxn, taskHalfOfKey, taskHalvesPrefix } from '../../core/workload/task-store.ts';
import type { TaskSpec } from '../../core/workload/spec.ts';
import type { TaskStatus } from '../../core/workload/status.ts';
import { listPods, type FargatePod, type FollowedHalves } from './pod-backend-reads.ts';
import { scopeOf, type PodBackendDeps } from './pod-backend-names.ts';

/** A Fargate pod's change: the pod (undefined: gone) at `revision`; `id` is its task's. */
export interface FargatePodChange {
  readonly id: string;
  readonly revision: number;
  readonly pod: FargatePod | undefined;
}

/** A pod followed: both halves as last seen. Bounded by the cluster's Fargate pods. */
type Followed = FollowedHalves;

/** Whether a task spec is a pod of this cluster that runs on Fargate (placed or not yet). */
const onFargate = (spec: TaskSpec | undefined, clusterUid: string): spec is TaskSpec => spec?.kube?.clusterUid === clusterUid && spec.launchType === 'FARGATE';

const told = (f: Followed): FargatePod | undefined => f.status && { spec: f.spec, status: f.status, revision: Math.max(f.specRevision, f.statusRevision), task: { key: f.key, specRevision: f.specRevision } };

/** A follow of the Fargate pods: the task ids of the pods it started from (its seed), and its close. */
export interface FargatePodsWatch {
  readonly seeded: ReadonlySet<string>;
  close(): void;
}

/**
 * Starts following the cluster's Fargate pods after revision `from`; `listener` is called in
 * revision order, synchronously with the store's events (so a caller may merge them with
 * another watch of the same store).
 */
export async function watchFargatePods(d: PodBackendDeps, from: number, listener: (change: FargatePodChange) => void): Promise<FargatePodsWatch> {
  const uid = d.cluster.uid;
  const followed = new Map<string, Followed>();
  const { entries } = await listPods(d, undefined, { labels: [], fields: [], limit: 0, continueToken: undefined });
  const seeded: FargatePodChange[] = [];
  for (const { held } of entries) {
    if (!onFargate(held.spec, uid)) continue;
    const f: Followed = { key: held.task.key, spec: held.spec, specRevision: held.task.specRevision, status: held.status, statusRevision: held.task.statusRevision };
    followed.set(held.spec.id, f);
    seeded.push({ id: held.spec.id, revision: Math.max(f.specRevision, f.statusRevision), pod: told(f) });
  }
  for (const c of seeded.sort((a, b) => a.revision - b.revision)) listener(c);
  const onEvent = (e: WatchEvent): void => {
    const at = taskHalfOfKey(e.kv.key);
    if (!at || at.ref.cluster !== POD_ECS_CLUSTER) return;
    const id = at.ref.id;
    const f = followed.get(id);
    if (at.half === 'status') {
      if (!f || e.type === 'delete' || e.kv.modRevision <= f.statusRevision) return;
      f.status = JSON.parse(e.kv.value) as TaskStatus;
      f.statusRevision = e.kv.modRevision;
      listener({ id, revision: e.revision, pod: told(f) });
      return;
    }
    if (f && e.type === 'put' && e.kv.modRevision <= f.specRevision) return;
    // A spec of another cluster's pod, or an ECS task's, is not parsed.
    const spec = e.type === 'put' && e.kv.value.includes(uid) ? JSON.parse(e.kv.value) as TaskSpec : undefined;
    if (!onFargate(spec, uid)) {
      if (f) {
        followed.delete(id);
        listener({ id, revision: e.revision, pod: undefined });
      }
      return;
    }
    if (f) {
      f.spec = spec;
      f.specRevision = e.kv.modRevision;
      listener({ id, revision: e.revision, pod: told(f) });
    } else followed.set(id, { key: e.kv.key, spec, specRevision: e.kv.modRevision, status: undefined, statusRevision: 0 });
  };
  const watch = d.store.watch(taskHalvesPrefix(scopeOf(d.cluster)), from, onEvent);
  return { seeded: new Set(followed.keys()), close: () => watch.close() };
}

/** Writes a Fargate pod's task spec if it is as read: the write's revision, or undefined when the spec changed meanwhile. */
export async function writeFargatePodSpec(d: Pick<PodBackendDeps, 'store'>, pod: FargatePod, spec: TaskSpec): Promise<number | undefined> {
  const r = await d.store.txn(specWriteTxn(pod.task, spec));
  return r.ok ? r.revision : undefined;
}
