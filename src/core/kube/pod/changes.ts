/**
 * Changes to a pod's task after it was made: an update the API server allowed (admit.ts) and
 * a graceful delete. Each returns the new spec (generation + 1), as every other writer of a
 * task's spec does; the agent sees the neutral parts (an image, a grace period, the stop) and
 * the Pod view the kube part. Pure.
 */
import type { TaskSpec } from '../../workload/spec.ts';
import { kubeTime } from './to-spec.ts';
import type { Pod } from './types.ts';

/** The task spec after an admitted update of its pod to `pod`: metadata, images and the grace period. */
export function applyPodUpdate(spec: TaskSpec, pod: Pod): TaskSpec {
  const k = spec.kube;
  if (!k) throw new Error(`task ${spec.id} is not a pod`);
  const meta = pod.metadata ?? {};
  const podSpec = structuredClone(pod.spec ?? k.podSpec);
  // nodeName is the placement's, shown by the view; a client's PUT echoes it back.
  if (k.podSpec.nodeName === undefined) delete podSpec.nodeName;
  const images = new Map([...(podSpec.initContainers ?? []), ...podSpec.containers].map((c) => [c.name, c.image ?? '']));
  const grace = podSpec.terminationGracePeriodSeconds;
  const { labels: _l, annotations: _a, ownerReferences: _o, finalizers: _f, managedFields: _m, ...kept } = k;
  return {
    ...spec,
    generation: spec.generation + 1,
    containers: spec.containers.map((c) => ({ ...c, image: images.get(c.name) ?? c.image, ...(grace !== undefined && grace >= 0 && { stopTimeout: grace }) })),
    kube: {
      ...kept,
      ...(meta.labels !== undefined && { labels: meta.labels }),
      ...(meta.annotations !== undefined && { annotations: meta.annotations }),
      ...(meta.ownerReferences !== undefined && { ownerReferences: meta.ownerReferences }),
      ...(meta.finalizers !== undefined && { finalizers: meta.finalizers }),
      ...(meta.managedFields !== undefined && { managedFields: meta.managedFields }),
      podSpec,
    },
  };
}

/**
 * The task spec of a pod deleted at `now` (epoch ms) with `graceSeconds` (the request's, else
 * the pod's terminationGracePeriodSeconds): Terminating until its containers stop, each given
 * that long between SIGTERM and SIGKILL.
 */
export function deletePod(spec: TaskSpec, now: number, graceSeconds: number | undefined): TaskSpec {
  const k = spec.kube;
  if (!k) throw new Error(`task ${spec.id} is not a pod`);
  // A second delete may shorten the grace period, never lengthen it (the API server's rule).
  const asked = graceSeconds ?? k.podSpec.terminationGracePeriodSeconds ?? 30;
  const grace = k.deletionGracePeriodSeconds !== undefined ? Math.min(k.deletionGracePeriodSeconds, asked) : asked;
  const deletionTimestamp = k.deletionTimestamp !== undefined && grace === k.deletionGracePeriodSeconds ? k.deletionTimestamp : kubeTime(now + grace * 1000);
  return {
    ...spec,
    generation: spec.generation + 1,
    desiredStatus: 'STOPPED',
    stop: spec.stop ?? { code: 'UserInitiated', reason: 'Pod deleted' },
    containers: spec.containers.map((c) => ({ ...c, stopTimeout: grace })),
    kube: { ...k, deletionTimestamp, deletionGracePeriodSeconds: grace },
  };
}
