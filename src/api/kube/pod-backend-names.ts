/**
 * Finding a pod by name: the pods backend's dependencies, the name index (one key per pod,
 * `podNameKey` of core/kube/pod/hosting.ts, holding its task's key) and the Pod a held task
 * shows. A pod is its task (core/workload/task-store.ts owns the task's keys); the index is
 * what makes a name unique in its namespace and what lists a cluster's pods in name order.
 *
 *   namespace/name ─▶ podNameKey ─▶ { task: <task key> } ─▶ readTaskAt ─▶ HeldPod ─▶ podObject
 */
import type { Store } from '../../store/store.ts';
import type { InstanceRecords } from '../../cluster/instance-records.ts';
import { nodeName } from '../../core/kube/node-view.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import { podNameKey } from '../../core/kube/pod/hosting.ts';
import { fargatePodNode, isFargatePod } from '../../core/kube/fargate-node.ts';
import type { PodNode } from '../../core/kube/pod/status-view.ts';
import { podView } from '../../core/kube/pod/view.ts';
import { readTaskAt, type StoredTask } from '../../core/workload/task-store.ts';
import type { TaskSpec } from '../../core/workload/spec.ts';
import type { TaskStatus } from '../../core/workload/status.ts';
import type { ClusterDns } from '../../core/kube/pod/containers.ts';
import type { MasterService } from '../../core/kube/pod/service-env.ts';
import type { KubeClusterRef, KubeSchemas } from './contract.ts';
import type { Obj } from './kind-rules.ts';
import type { PodTokenRequest } from './service-account-tokens.ts';

/**
 * Issues a service account token for a pod's projected `kube-api-access` volume. The default
 * ({@link placeholderToken}) is an opaque placeholder; the composition root gives the real
 * issuer (signed service account tokens) once there is one.
 */
export type IssueToken = (request: PodTokenRequest) => string;

export interface PodBackendDeps {
  readonly store: Store;
  readonly cluster: KubeClusterRef;
  readonly schemas: KubeSchemas;
  /** Epoch ms. */
  readonly now: () => number;
  /** A new pod uid (a dashed UUID); the pod's task id is it without dashes. Also container ids. */
  readonly newUid: () => string;
  /** generateName suffixes and the admission's `kube-api-access-xxxxx` suffix. */
  readonly rng: () => number;
  readonly issueToken?: IssueToken;
  /** The node a placed task runs on (name, InternalIP); without it the view shows the stored spec.nodeName. */
  readonly nodeOf?: (instanceArn: string) => Promise<PodNode | undefined>;
  /** The cluster's DNS service, when it serves one: pods resolve through it. */
  readonly clusterDns?: ClusterDns;
  /** The `kubernetes` Service (its cluster IP and port): pods get its variables, as from a kubelet. */
  readonly masterService?: MasterService;
}

/** The default token issuer: opaque, not a JWT; nothing accepts it as a credential. */
export const placeholderToken: IssueToken = (r) => `berth-placeholder-token.${r.namespace}.${r.serviceAccountName}`;

/** A pod as read: its name key and the task it names, both halves present. */
export interface HeldPod {
  readonly nameKey: string;
  readonly nameRevision: number;
  readonly task: StoredTask;
  readonly spec: TaskSpec;
  readonly status: TaskStatus;
  readonly node: PodNode | undefined;
}

export const scopeOf = (c: KubeClusterRef): Scope => ({ account: c.account, region: c.region });

/** What a name key holds. */
export interface NameEntry {
  /** The task's key (its spec's). */
  readonly task: string;
}

export const nameValue = (taskKey: string): string => JSON.stringify({ task: taskKey } satisfies NameEntry);

/** The pod a task is, when it is one of this cluster's. */
export async function holdTask(d: PodBackendDeps, nameKey: string, nameRevision: number, task: StoredTask | undefined): Promise<HeldPod | undefined> {
  const spec = task?.spec;
  const status = task?.status;
  if (!task || !spec?.kube || !status || spec.kube.clusterUid !== d.cluster.uid) return undefined;
  const arn = spec.placement.instanceArn;
  // A Fargate pod's node is its own, named by its address (core/kube/fargate-node.ts).
  const node = isFargatePod(spec) ? fargatePodNode(spec, status, d.cluster.region) : arn !== undefined && d.nodeOf ? await d.nodeOf(arn) : undefined;
  return { nameKey, nameRevision, task, spec, status, node };
}

/** The pod named `name` in `namespace`, or undefined (no name key, or its task is gone). */
export async function readPod(d: PodBackendDeps, namespace: string, name: string): Promise<HeldPod | undefined> {
  const kv = await d.store.get(podNameKey(d.cluster.uid, namespace, name));
  if (!kv) return undefined;
  const entry = JSON.parse(kv.value) as NameEntry;
  return holdTask(d, kv.key, kv.modRevision, await readTaskAt(d.store, entry.task));
}

/** The Pod a held pod shows (resourceVersion: the later of its halves' revisions). */
export function podObject(p: Pick<HeldPod, 'spec' | 'status' | 'node' | 'task'>): Obj {
  return podView(p.spec, p.status, { spec: p.task.specRevision, status: p.task.statusRevision }, p.node) as unknown as Obj;
}

/** The node a placed pod's task runs on, as the Pod view names it: its host's node name (the instance's EC2 id) and address (the pod's hostIP). */
export function podNodeOf(instances: Pick<InstanceRecords, 'get'>): (instanceArn: string) => Promise<PodNode | undefined> {
  return async (arn) => {
    const held = await instances.get(arn);
    return held && { name: nodeName(held.record), ...(held.record.agentAddress !== undefined && { ip: held.record.agentAddress }) };
  };
}
