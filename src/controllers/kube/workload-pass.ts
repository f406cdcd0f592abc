/**
 * One pass of the workload controllers over a cluster, run by controller-loop.ts after the
 * metadata reconciler: reads the workload kinds through their storage backends (a fresh list
 * each pass, so a pass always sees the previous pass's writes: the pure controllers keep no
 * expectations), asks each controller (deployment.ts, replica-set.ts, endpoints.ts, job.ts,
 * daemon-set.ts, api-server-service.ts) and applies their WorkloadActions as an API client,
 * each write pinned to the resourceVersion it was decided from. Without a pods kind the pod
 * controllers idle; the `kubernetes` Service is kept either way.
 */
import type { Backends } from '../../api/kube/backends.ts';
import type { KindInfo, KindRegistry } from '../../api/kube/kinds.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import { conflict, StatusError } from '../../api/kube/status.ts';
import { reconcileDeployment } from './deployment.ts';
import { reconcileReplicaSet } from './replica-set.ts';
import { reconcileEndpoints, SERVICE_NAME_LABEL, type EndpointSlice, type Service } from './endpoints.ts';
import { jobExpiresAt, reconcileJob, type Job } from './job.ts';
import { reconcileDaemonSet, type DaemonSet, type Node } from './daemon-set.ts';
import { reconcileApiServerService, type ApiServerEndpoint } from './api-server-service.ts';
import type { WorkloadAction, WorkloadResource } from './workload-actions.ts';
import type { EventRecorder } from './event-recorder.ts';
import { readySince, type Deployment, type Pod, type ReplicaSet } from './workload-objects.ts';

export interface WorkloadPassDeps {
  readonly registry: KindRegistry;
  readonly backends: Backends;
  readonly now: () => number;
  /** Five characters that make a generated name unique. */
  readonly suffix: () => string;
  /** The manager the writes are recorded under. */
  readonly fieldManager: string;
  /** Where the controllers' Events go (correlated, as client-go's recorder does). */
  readonly events: EventRecorder;
  /** The `kubernetes` Service's address and the API server's, when the server gives them. */
  readonly apiServer?: ApiServerEndpoint;
}

const WHERE: Readonly<Record<WorkloadResource | 'nodes', readonly [string, string, string]>> = {
  pods: ['', 'v1', 'pods'], nodes: ['', 'v1', 'nodes'], services: ['', 'v1', 'services'], endpoints: ['', 'v1', 'endpoints'],
  endpointslices: ['discovery.k8s.io', 'v1', 'endpointslices'], deployments: ['apps', 'v1', 'deployments'],
  replicasets: ['apps', 'v1', 'replicasets'], daemonsets: ['apps', 'v1', 'daemonsets'], jobs: ['batch', 'v1', 'jobs'],
};

/** The first batch of a run of creates: Kubernetes' SlowStartInitialBatchSize; each next batch doubles. */
export const SLOW_START_INITIAL_BATCH = 1;
/** Most creates of one pass in flight at once (the store commits them together). */
export const MAX_CREATE_BATCH = 32;

const byNamespace = <T extends { metadata: { namespace?: string } }>(items: readonly T[]): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const o of items) {
    const ns = o.metadata.namespace ?? '';
    let list = out.get(ns);
    if (!list) out.set(ns, (list = []));
    list.push(o);
  }
  return out;
};

/** When the objects' decisions change with time alone: availability after minReadySeconds, progress and active deadlines, finished Jobs' TTLs. */
function timers(deployments: readonly Deployment[], replicaSets: readonly ReplicaSet[], daemonSets: readonly DaemonSet[], jobs: readonly Job[], pods: readonly Pod[]): number[] {
  const out: number[] = [];
  const owners = new Map<string, number>();
  for (const o of [...replicaSets, ...daemonSets]) if ((o.spec.minReadySeconds ?? 0) > 0) owners.set(o.metadata.uid!, o.spec.minReadySeconds!);
  for (const p of pods) {
    const minReady = owners.get(p.metadata.ownerReferences?.find((r) => r.controller)?.uid ?? '');
    const since = readySince(p);
    if (minReady !== undefined && since !== undefined) out.push(since + minReady * 1000);
  }
  for (const d of deployments) {
    const c = d.status?.conditions?.find((x) => x.type === 'Progressing');
    if (c?.status === 'True' && c.reason !== 'NewReplicaSetAvailable' && !d.spec.paused && c.lastUpdateTime) {
      out.push(Date.parse(c.lastUpdateTime) + (d.spec.progressDeadlineSeconds ?? 600) * 1000 + 1000);
    }
  }
  for (const j of jobs) {
    const finished = j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (!finished && j.spec.activeDeadlineSeconds !== undefined && j.status?.startTime) out.push(Date.parse(j.status.startTime) + j.spec.activeDeadlineSeconds * 1000);
    const expires = jobExpiresAt(j);
    if (expires !== undefined) out.push(expires);
  }
  return out;
}

export class WorkloadPass {
  readonly #d: WorkloadPassDeps;
  constructor(deps: WorkloadPassDeps) {
    this.#d = deps;
  }

  kindOf(resource: WorkloadResource | 'nodes'): KindInfo | undefined {
    const [g, v, p] = WHERE[resource];
    return this.#d.registry.byResource(g, v, p);
  }

  async #list<T>(resource: WorkloadResource | 'nodes'): Promise<T[]> {
    const kind = this.kindOf(resource);
    if (!kind) return [];
    const page = await this.#d.backends.for(kind).list(kind, undefined, { labels: [], fields: [], limit: 0, continueToken: undefined });
    return page.items as unknown as T[];
  }

  /**
   * Decides and applies one round; resolves to how many writes were made (0: settled or all
   * refused) and when time alone changes a decision (a pod becoming available after
   * minReadySeconds, a rollout's progress deadline, a Job's active deadline), epoch ms.
   */
  async run(present: ReadonlySet<string>): Promise<{ applied: number; wakeAt: number | undefined }> {
    let wakeAt: number | undefined;
    const wakeBy = (at: number) => {
      if (Number.isFinite(at) && at > now && (wakeAt === undefined || at < wakeAt)) wakeAt = at;
    };
    const now = this.#d.now();
    const actions: WorkloadAction[] = [];
    const has = (r: WorkloadResource) => present.has(r);
    if (this.#d.apiServer && this.kindOf('services') && present.has('default-namespace')) {
      const [services, endpoints, slices] = await Promise.all([this.#list<Obj>('services'), this.#list<Obj>('endpoints'), this.#list<Obj>('endpointslices')]);
      const find = <T extends { metadata: { namespace?: string; name?: string } }>(items: T[]) => items.find((o) => o.metadata.namespace === 'default' && o.metadata.name === 'kubernetes');
      actions.push(...reconcileApiServerService(this.#d.apiServer, find(services), find(endpoints), find(slices)));
    }
    const podsKind = this.kindOf('pods');
    if (podsKind && (has('replicasets') || has('deployments') || has('services') || has('jobs') || has('daemonsets'))) {
      const [deployments, replicaSets, pods, services, slices, endpoints, jobs, daemonSets, nodes] = await Promise.all([
        this.#list<Deployment>('deployments'), this.#list<ReplicaSet>('replicasets'), this.#list<Pod>('pods'), this.#list<Service>('services'),
        this.#list<EndpointSlice>('endpointslices'), this.#list<Obj>('endpoints'), this.#list<Job>('jobs'), this.#list<DaemonSet>('daemonsets'), this.#list<Node>('nodes'),
      ]);
      const rsIn = byNamespace(replicaSets);
      const podsIn = byNamespace(pods);
      for (const d of deployments) actions.push(...reconcileDeployment(d, rsIn.get(d.metadata.namespace!) ?? [], now));
      for (const at of timers(deployments, replicaSets, daemonSets, jobs, pods)) wakeBy(at);
      for (const rs of replicaSets) actions.push(...reconcileReplicaSet(rs, podsIn.get(rs.metadata.namespace!) ?? [], now, this.#d.suffix));
      for (const job of jobs) actions.push(...reconcileJob(job, podsIn.get(job.metadata.namespace!) ?? [], now, this.#d.suffix));
      for (const ds of daemonSets) actions.push(...reconcileDaemonSet(ds, podsIn.get(ds.metadata.namespace!) ?? [], nodes, now, this.#d.suffix));
      for (const svc of services) {
        const ns = svc.metadata.namespace!;
        const own = slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name);
        const ep = endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === svc.metadata.name);
        actions.push(...reconcileEndpoints(svc, podsIn.get(ns) ?? [], own, ep as never, this.#d.suffix));
      }
    }
    let applied = 0;
    for (let i = 0; i < actions.length;) {
      // A run of creates (a ReplicaSet's or Job's missing pods) goes in slow-start batches, as
      // the Kubernetes controllers' slowStartBatch: one store commit each, run one after
      // another, spread a 50-pod ReplicaSet's pods over 2 s (bench/README.md, kube-deploy).
      let end = i;
      while (end < actions.length && actions[end]!.type === 'create') end++;
      if (end === i) {
        if (await this.#applyOne(actions[i]!)) applied++;
        i++;
        continue;
      }
      for (let size = SLOW_START_INITIAL_BATCH; i < end; size = Math.min(size * 2, MAX_CREATE_BATCH)) {
        const batch = actions.slice(i, Math.min(end, i + size));
        i += batch.length;
        applied += (await Promise.all(batch.map((a) => this.#applyOne(a)))).filter(Boolean).length;
      }
    }
    return { applied, wakeAt };
  }

  /** Applies one action and records its event; false when it was refused (changed or gone since it was read). */
  async #applyOne(a: WorkloadAction): Promise<boolean> {
    try {
      await this.#apply(a);
    } catch (err) {
      // Changed or gone since it was read: the change's own event brings the next pass.
      if (!(err instanceof StatusError)) throw err;
      return false;
    }
    if (a.event) await this.#d.events.record(a.event);
    return true;
  }


  async #apply(a: WorkloadAction): Promise<void> {
    const kind = this.kindOf(a.resource);
    if (!kind) return;
    const backend = this.#d.backends.for(kind);
    const opts = { dryRun: false, fieldManager: this.#d.fieldManager };
    switch (a.type) {
      case 'create':
        await backend.create(kind, a.namespace, structuredClone(a.object) as Obj, opts);
        return;
      case 'update':
        await backend.update(kind, a.namespace, a.name, (cur) => {
          if (!cur) return undefined;
          if (cur.metadata.resourceVersion !== a.resourceVersion) throw conflict(kind, a.name);
          const next = structuredClone(a.object) as Obj;
          next.metadata.resourceVersion = a.resourceVersion;
          return next;
        }, opts);
        return;
      case 'updateStatus':
        await backend.update(kind, a.namespace, a.name, (cur) => {
          if (!cur) return undefined;
          if (cur.metadata.resourceVersion !== a.resourceVersion) throw conflict(kind, a.name);
          return { ...cur, status: structuredClone(a.status) as Record<string, unknown> };
        }, { ...opts, subresource: 'status' });
        return;
      case 'delete':
        await backend.delete(kind, a.namespace, a.name, { dryRun: false, propagationPolicy: 'Background', preconditions: { uid: a.uid } });
        return;
    }
  }
}
