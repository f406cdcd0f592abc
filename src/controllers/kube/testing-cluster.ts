/**
 * A small in-memory namespace for testing the workload controllers together, as the API
 * server and a kubelet would treat their writes: uids, resourceVersions (a write from a stale
 * one fails), generations, pods that become Ready after a few steps (or never, for a bad
 * image), deletions at once. Test support only.
 */
import { reconcileDeployment } from './deployment.ts';
import { reconcileReplicaSet } from './replica-set.ts';
import { timestamp, type WorkloadAction } from './workload-actions.ts';
import type { Deployment, ObjectMeta, Pod, ReplicaSet } from './workload-objects.ts';

type AnyObject = { metadata: ObjectMeta; spec?: unknown; status?: unknown };

export class TestNamespace {
  readonly objects = {
    deployments: new Map<string, Deployment>(), replicasets: new Map<string, ReplicaSet>(), pods: new Map<string, Pod>(),
    endpointslices: new Map<string, AnyObject>(), endpoints: new Map<string, AnyObject>(),
    services: new Map<string, AnyObject>(), jobs: new Map<string, AnyObject>(), daemonsets: new Map<string, AnyObject>(),
  };
  now = Date.parse('2026-12-07T12:00:00Z');
  #version = 0;
  #uid = 0;
  #suffix = 0;
  /** Steps a new pod takes to become Ready; Infinity: never (a bad image). */
  readyAfter: (pod: Pod) => number = () => 1;
  readonly #age = new Map<string, number>();
  conflicts = 0;

  apply(actions: readonly WorkloadAction[]): void {
    for (const a of actions) {
      const map = this.objects[a.resource] as Map<string, AnyObject>;
      if (a.type === 'create') {
        const o = structuredClone(a.object) as AnyObject;
        const name = o.metadata.name!;
        if (map.has(name)) { this.conflicts++; continue; }
        o.metadata = { ...o.metadata, uid: `uid-${++this.#uid}`, resourceVersion: String(++this.#version), generation: 1, creationTimestamp: timestamp(this.now + this.#uid) };
        map.set(name, o);
        if (a.resource === 'pods') this.#age.set(name, 0);
      } else if (a.type === 'update' || a.type === 'updateStatus') {
        const cur = map.get(a.name);
        if (!cur || cur.metadata.resourceVersion !== a.resourceVersion) { this.conflicts++; continue; }
        if (a.type === 'update') {
          const o = structuredClone(a.object) as AnyObject;
          const specChanged = JSON.stringify(o.spec) !== JSON.stringify(cur.spec);
          map.set(a.name, { ...o, status: cur.status, metadata: { ...o.metadata, resourceVersion: String(++this.#version), generation: (cur.metadata.generation ?? 1) + (specChanged ? 1 : 0) } });
        } else {
          map.set(a.name, { ...cur, status: structuredClone(a.status), metadata: { ...cur.metadata, resourceVersion: String(++this.#version) } });
        }
      } else {
        map.delete(a.name);
      }
    }
  }

  /** A user's write of the Deployment (create or change its spec). */
  putDeployment(d: Deployment): void {
    const cur = this.objects.deployments.get(d.metadata.name!);
    if (!cur) return this.apply([{ type: 'create', resource: 'deployments', namespace: 'default', object: d }]);
    this.apply([{ type: 'update', resource: 'deployments', namespace: 'default', name: d.metadata.name!, resourceVersion: cur.metadata.resourceVersion!, object: { ...cur, spec: d.spec } }]);
  }

  /** One round: the kubelet's side (pods age, some become Ready), then each controller once. */
  step(): void {
    this.now += 1000;
    for (const [name, pod] of this.objects.pods) {
      const age = (this.#age.get(name) ?? 0) + 1;
      this.#age.set(name, age);
      if (age >= this.readyAfter(pod) && !pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
        pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: timestamp(this.now) }] };
        pod.spec = { ...pod.spec, nodeName: 'host-1' };
        pod.metadata.resourceVersion = String(++this.#version);
      } else if (!pod.status) {
        pod.status = { phase: 'Pending' };
      }
    }
    for (const rs of [...this.objects.replicasets.values()]) {
      this.apply(reconcileReplicaSet(rs, [...this.objects.pods.values()], this.now, () => `p${(++this.#suffix).toString(36).padStart(4, '0')}`));
    }
    for (const d of [...this.objects.deployments.values()]) {
      this.apply(reconcileDeployment(d, [...this.objects.replicasets.values()], this.now));
    }
  }

  /** What `kubectl rollout status` decides from the Deployment: done, still waiting, or failed. */
  rolloutStatus(name: string): 'done' | 'waiting' | 'failed' {
    const d = this.objects.deployments.get(name)!;
    const s = d.status;
    if (!s || (d.metadata.generation ?? 1) > (s.observedGeneration ?? 0)) return 'waiting';
    if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) return 'failed';
    const want = d.spec.replicas ?? 1;
    if ((s.updatedReplicas ?? 0) < want) return 'waiting';
    if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return 'waiting';
    if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return 'waiting';
    return 'done';
  }
}
