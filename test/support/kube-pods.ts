/**
 * Pods for tests of the workload controllers until the pods backend (pods as tasks) is
 * served: a registry with a `pods` row on the generic backend — only ever a test's registry,
 * never the served one — and a stand-in kubelet that plays each new pod's life through the
 * `pods/status` subresource, as the node would report it: Running with an address and Ready
 * (or left Pending, or Succeeded / Failed for a Job's pods), as the test's `fate` says.
 */
import { KINDS, KindRegistry, type KindInfo } from '../../src/api/kube/kinds.ts';
import { columnsFor } from '../../src/api/kube/table-columns.ts';
import type { KubeServer } from '../../src/api/kube/server.ts';
import type { Obj } from '../../src/api/kube/kind-rules.ts';
import { timestamp } from '../../src/api/kube/generic-storage.ts';
import type { StorageBackend } from '../../src/api/kube/storage-backend.ts';

export const TEST_PODS: KindInfo = {
  group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  nameRule: 'subdomain', generation: false, fieldSelectors: ['spec.nodeName', 'status.phase'], backend: 'generic', columns: columnsFor('', 'pods'),
};

/** The served kinds with the test-only generic pods row in place of the served one (and any other test rows, such as generic nodes). */
export function registryWithPods(extra: readonly KindInfo[] = []): KindRegistry {
  return new KindRegistry([...KINDS.filter((k) => k.plural !== 'pods'), TEST_PODS, ...extra]);
}

export const TEST_NODES: KindInfo = {
  group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], categories: [],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  nameRule: 'subdomain', generation: false, fieldSelectors: [], backend: 'generic', columns: columnsFor('', 'nodes'),
};

/** What becomes of a pod: Ready (Running, ready), Pending (never starts: a bad image), or a finished phase. */
export type PodFate = 'Ready' | 'Pending' | 'Succeeded' | 'Failed';

export interface FakeKubelet {
  /** Pods it has moved, by name. */
  readonly seen: Set<string>;
  close(): void;
}

/**
 * Plays the kubelet for every pod created on `server`'s generic pods row (or on `storage`, a
 * pods backend of its own): its status as `fate(pod)` says.
 */
export async function playKubelet(server: KubeServer, fate: (pod: Obj) => PodFate = () => 'Ready', pods: KindInfo = TEST_PODS, storage: StorageBackend = server.storage): Promise<FakeKubelet> {
  const seen = new Set<string>();
  let ip = 10;
  const move = async (pod: Obj): Promise<void> => {
    const name = pod.metadata.name!;
    const f = fate(pod);
    if (f === 'Pending') return;
    const now = timestamp(Date.now());
    const podIP = `10.244.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`;
    const ready = f === 'Ready' ? 'True' : 'False';
    await storage.update(pods, pod.metadata.namespace, name, (cur) => cur && {
      ...cur,
      status: {
        phase: f === 'Ready' ? 'Running' : f, podIP, podIPs: [{ ip: podIP }], hostIP: '10.0.0.1', startTime: now,
        conditions: [{ type: 'Ready', status: ready, lastProbeTime: null, lastTransitionTime: now }, { type: 'ContainersReady', status: ready, lastProbeTime: null, lastTransitionTime: now }],
      },
    }, { dryRun: false, fieldManager: 'kubelet', subresource: 'status' }).catch(() => undefined);
  };
  const close = await storage.watch({ kind: pods, namespace: undefined, labels: [], fields: [], resourceVersion: undefined, sendInitialEvents: false, allowBookmarks: false }, (e) => {
    if (e.type !== 'ADDED') return;
    const pod = e.object as Obj;
    if (seen.has(`${pod.metadata.namespace}/${pod.metadata.name}`)) return;
    seen.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    void move(pod);
  });
  return { seen, close };
}
