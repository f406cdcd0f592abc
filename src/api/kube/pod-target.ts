/**
 * Which task and container a pod's streams (logs, exec, attach, port-forward) go to. A pod is
 * a task (src/core/kube/pod/hosting.ts): in the ECS cluster POD_ECS_CLUSTER, with the id its uid
 * gives (taskIdOfUid). The routes take a `ResolvePod`; `resolvePodFromStore` is the one Berth
 * composes, over the pods backend and the task store; tests give their own.
 */
import type { Store } from '../../store/store.ts';
import { readTask } from '../../core/workload/task-store.ts';
import { POD_ECS_CLUSTER } from '../../core/kube/pod/hosting.ts';
import { taskIdOfUid } from '../../core/kube/pod/to-spec.ts';
import type { KindInfo } from './kinds.ts';
import type { StorageBackend } from './storage-backend.ts';
import { badRequest, notFound, StatusError } from './status.ts';

/** A pod as its streams need it. */
export interface PodTarget {
  readonly taskArn: string;
  readonly taskId: string;
  /** The host that runs it; absent while it is not placed. */
  readonly containerInstanceArn: string | undefined;
  /** Its app containers in spec order, each with the runtime's id once it runs. */
  readonly containers: readonly { readonly name: string; readonly runtimeId?: string; /** Its spec's `stdin: true`: started with stdin open, attachable with -i. */ readonly stdin?: boolean; readonly tty?: boolean }[];
  /** The pod's phase: Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase: string;
}

/** The pod `namespace/name`'s target, or the API server's error (404 NotFound as the pods resource words it). */
export type ResolvePod = (namespace: string, name: string) => Promise<PodTarget | StatusError>;

const PODS = { group: '', plural: 'pods' };

/**
 * The container a request names, as the API server picks it (pod strategy's
 * streamLocation): the only one when none is named; with several, none named is a 400
 * listing them; a name the pod does not have is a 400.
 */
export function chooseContainer(pod: string, containers: readonly { readonly name: string }[], requested: string | undefined): string | StatusError {
  const names = containers.map((c) => c.name);
  if (requested === undefined || requested === '') {
    if (names.length === 1) return names[0]!;
    if (names.length === 0) return badRequest(`a container name must be specified for pod ${pod}`);
    return badRequest(`a container name must be specified for pod ${pod}, choose one of: [${names.join(' ')}]`);
  }
  if (!names.includes(requested)) return badRequest(`container ${requested} is not valid for pod ${pod}`);
  return requested;
}

/**
 * Berth's ResolvePod: the pod from the pods backend (its uid, containers and phase), its task
 * from the task store under the cluster's account and region.
 */
export function resolvePodFromStore(o: { store: Store; pods: StorageBackend; podKind: KindInfo; scope: { account: string; region: string } }): ResolvePod {
  return async (namespace, name) => {
    let pod;
    try {
      pod = await o.pods.get(o.podKind, namespace, name);
    } catch (e) {
      if (e instanceof StatusError) return e;
      throw e;
    }
    const uid = pod.metadata.uid;
    const spec = (pod as { spec?: { containers?: { name: string; stdin?: boolean; tty?: boolean }[] } }).spec;
    const phase = (pod as { status?: { phase?: string } }).status?.phase ?? 'Pending';
    const stored = uid ? await readTask(o.store, { scope: o.scope, cluster: POD_ECS_CLUSTER, id: taskIdOfUid(uid) }) : undefined;
    // A pod whose task is gone (deleted meanwhile) has nothing to stream from: as good as not found.
    if (!stored) return notFound(PODS, name);
    const runtimeIds = new Map(stored.record.containers.map((c) => [c.name, c.runtimeId]));
    return {
      taskArn: stored.record.taskArn,
      taskId: taskIdOfUid(uid!),
      containerInstanceArn: stored.record.containerInstanceArn,
      containers: (spec?.containers ?? []).map((c) => ({
        name: c.name,
        ...(runtimeIds.get(c.name) !== undefined && { runtimeId: runtimeIds.get(c.name)! }),
        ...(c.stdin === true && { stdin: true }),
        ...(c.tty === true && { tty: true }),
      })),
      phase,
    };
  };
}
