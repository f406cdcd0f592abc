/**
 * Runs the Kubernetes reconciler (reconcile.ts) for one cluster, started by whoever composes its
 * API server (src/server/server.ts hands it to src/api/kube as `controllers`): any
 * change under the cluster's keys updates its metadata cache and marks it dirty; a pass (at most
 * one in flight, PASS_DELAY_MS after the change that started it) asks the reconciler, and
 * applies its actions through the storage backend, as an API client would. A refused action
 * (gone, changed) is left to the next pass. Kinds kept outside the cluster's keys (pods as
 * tasks, nodes as container instances) are followed through their own backends
 * (kind-follower.ts: list, watch, list again after a 410), so their changes start passes and
 * their refs join the metadata cache. Each pod's change, whichever backend keeps pods, is
 * compared with its last state for the scheduler's and kubelet's Events (pod-events.ts),
 * written in the background (event-recorder.ts).
 */
import type { KeyValue } from '../../store/store.ts';
import { reconcileKube, type KubeAction, type KubeObjectRef } from './reconcile.ts';
import type { KindInfo } from '../../api/kube/kinds.ts';
import { isTombstone, resourcePrefix, clusterPrefix } from '../../api/kube/keys.ts';
import { decode } from '../../api/kube/stored-object.ts';
import type { KubeControllerDeps, KubeControllers } from '../../api/kube/server.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import { StatusError } from '../../api/kube/status.ts';
import { eachKey } from '../../store/json.ts';
import { generatedName } from '../../core/kube/names.ts';
import { WorkloadPass } from './workload-pass.ts';
import { followKind } from './kind-follower.ts';
import { EventRecorder } from './event-recorder.ts';
import { podEvents, slimPod } from './pod-events.ts';
import type { Pod } from './workload-objects.ts';
import { ROOT_CA_CONFIGMAP } from '../../core/kube/pod/defaults.ts';
import { ROOT_CA_DESCRIPTION, ROOT_CA_DESCRIPTION_ANNOTATION } from './reconcile.ts';

/** Delay between a change and the pass it starts: changes in that window share the pass. */
export const PASS_DELAY_MS = 20;
/** Earliest a wake-up comes after the pass that asked for it. */
export const MIN_WAKE_DELAY_MS = 1000;
/** The manager the controllers' writes are recorded under. */
export const CONTROLLER_MANAGER = 'berth-kube-controller-manager';
/** Pods whose last state is kept for their Events (a slim copy each): past this, new pods' transitions are read from nothing (the correlator still folds repeats). */
export const MAX_TRACKED_PODS = 50_000;

/** What a test may watch of the loop. */
export interface KubeControllerHooks {
  /** Called as each pass starts. */
  readonly onPass?: () => void;
}

const resourceName = (k: KindInfo): string => (k.group === '' ? k.plural : `${k.plural}.${k.group}`);

function refOf(k: KindInfo, o: Obj): KubeObjectRef {
  const m = o.metadata;
  const rootCA = k.plural === 'configmaps' && k.group === '' && m.name === ROOT_CA_CONFIGMAP;
  return {
    resource: resourceName(k), namespace: m.namespace, name: m.name!, uid: m.uid!, deleting: m.deletionTimestamp !== undefined,
    finalizers: m.finalizers ?? [], ownerUids: (m.ownerReferences ?? []).map((r) => r.uid),
    ...(k.plural === 'namespaces' && k.group === '' && { contentFinalizer: ((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).includes('kubernetes') }),
    ...(k.plural === 'events' && { lastSeenAt: eventLastSeen(o) }),
    ...(rootCA && { rootCA: { ca: (o.data as Record<string, string> | undefined)?.['ca.crt'], described: m.annotations?.[ROOT_CA_DESCRIPTION_ANNOTATION] === ROOT_CA_DESCRIPTION } }),
  };
}

/** When an event was last seen: its series' last observation, last timestamp or event time, else its creation. */
function eventLastSeen(o: Obj): number {
  const series = o.series as { lastObservedTime?: string } | undefined;
  for (const t of [series?.lastObservedTime, o.lastTimestamp, o.eventTime, o.metadata.creationTimestamp]) {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}

const isPods = (k: KindInfo): boolean => k.group === '' && k.plural === 'pods';

export async function startKubeControllers(deps: KubeControllerDeps, hooks: KubeControllerHooks = {}): Promise<KubeControllers> {
  const byResource = new Map(deps.registry.kinds.filter((k) => k.backend === 'generic').map((k) => [resourceName(k), k]));
  const storage = (k: KindInfo) => deps.backends.for(k);
  let closed = false;
  let running: Promise<void> | undefined;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  // The metadata the reconciler decides on, one small ref per object of the cluster, kept
  // current from the watch of the cluster's keys: a pass reads no store.
  const objects = new Map<string, KubeObjectRef>();
  const base = clusterPrefix(deps.clusterUid);
  const kindByPrefix = new Map<string, KindInfo>();
  for (const k of deps.registry.kinds) {
    // Views (events.k8s.io) and reviews have no keys of their own.
    if (k.backend === 'generic' && !kindByPrefix.has(resourcePrefix(deps.clusterUid, k))) kindByPrefix.set(resourcePrefix(deps.clusterUid, k), k);
  }
  const kindOf = (key: string): KindInfo | undefined => {
    const second = key.indexOf('/', key.indexOf('/', base.length) + 1);
    return second < 0 ? undefined : kindByPrefix.get(key.slice(0, second + 1));
  };
  const events = new EventRecorder({ registry: deps.registry, backends: deps.backends, now: deps.now, fieldManager: CONTROLLER_MANAGER });
  // Each pod's last state (slim), to read its Events from the next one.
  const pods = new Map<string, Pod>();
  const podChanged = (key: string, after: Obj | undefined, quiet: boolean): void => {
    if (!after) {
      pods.delete(key);
      return;
    }
    const next = slimPod(after as unknown as Pod);
    if (!quiet) events.enqueue(podEvents(pods.get(key), next));
    if (pods.has(key) || pods.size < MAX_TRACKED_PODS) pods.set(key, next);
  };
  // `quiet`: the initial listing, whose pods' pasts are not news.
  const track = (kv: KeyValue, deleted: boolean, quiet = false): void => {
    if (isTombstone(kv.key)) return;
    if (deleted) {
      objects.delete(kv.key);
      pods.delete(kv.key);
      return;
    }
    const k = kindOf(kv.key);
    if (!k) return;
    const o = decode(kv.value, kv.modRevision);
    objects.set(kv.key, refOf(k, o));
    if (isPods(k)) podChanged(kv.key, o, quiet);
  };
  // Watch from before the listing: events it replays bring anything listed at an older state up to date.
  const from = await deps.store.revision();
  for (const prefix of kindByPrefix.keys()) await eachKey(deps.store, prefix, (kv) => track(kv, false, true));

  const rng = deps.rng ?? Math.random;
  const workloads = new WorkloadPass({
    registry: deps.registry, backends: deps.backends, now: deps.now, fieldManager: CONTROLLER_MANAGER, suffix: () => generatedName('', rng), events,
    ...(deps.apiServer && { apiServer: deps.apiServer }),
  });

  const apply = async (a: KubeAction): Promise<void> => {
    const opts = { dryRun: false, fieldManager: CONTROLLER_MANAGER };
    const nsKind = deps.registry.byResource('', 'v1', 'namespaces')!;
    switch (a.type) {
      case 'createNamespace':
        await storage(nsKind).create(nsKind, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: a.name } }, opts);
        return;
      case 'createServiceAccount':
        const sa = deps.registry.byResource('', 'v1', 'serviceaccounts')!;
        await storage(sa).create(sa, a.namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: a.name } }, opts);
        return;
      case 'delete':
        await storage(byResource.get(a.resource)!).delete(byResource.get(a.resource)!, a.namespace, a.name, { dryRun: false, propagationPolicy: a.foreground ? 'Foreground' : 'Background', preconditions: { uid: a.uid } });
        return;
      case 'removeFinalizer':
        await storage(byResource.get(a.resource)!).update(byResource.get(a.resource)!, a.namespace, a.name, (cur) => {
          if (cur) cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== a.finalizer);
          return cur;
        }, opts);
        return;
      case 'removeOwnerReference':
        await storage(byResource.get(a.resource)!).update(byResource.get(a.resource)!, a.namespace, a.name, (cur) => {
          if (cur) {
            const refs = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== a.ownerUid);
            if (refs.length > 0) cur.metadata.ownerReferences = refs;
            else delete cur.metadata.ownerReferences;
          }
          return cur;
        }, opts);
        return;
      case 'finalizeNamespace':
        await storage(nsKind).update(nsKind, undefined, a.name, (cur) => {
          if (cur) {
            const spec = (cur.spec ?? {}) as { finalizers?: string[] };
            cur.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes') };
          }
          return cur;
        }, { ...opts, subresource: 'finalize' });
        return;
      case 'publishRootCA': {
        const cm = deps.registry.byResource('', 'v1', 'configmaps')!;
        const annotations = { [ROOT_CA_DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION };
        const data = { 'ca.crt': a.ca };
        if (a.create) await storage(cm).create(cm, a.namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations }, data } as Obj, opts);
        else {
          await storage(cm).update(cm, a.namespace, ROOT_CA_CONFIGMAP, (cur) => cur && { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, ...annotations } }, data }, opts);
        }
        return;
      }
    }
  };

  const pass = async (): Promise<void> => {
    dirty = false;
    hooks.onPass?.();
    const { actions, wakeAt } = reconcileKube({ objects: [...objects.values()], ...(deps.rootCA !== undefined && { rootCA: deps.rootCA }) }, deps.now());
    wakeFor(wakeAt);
    let applied = 0;
    for (const a of actions) {
      if (closed) return;
      try {
        await apply(a);
        applied++;
      } catch (err) {
        // Gone or changed since the snapshot: the change's own event brings the next pass.
        if (!(err instanceof StatusError)) throw err;
      }
    }
    // Which workload kinds have objects (from the metadata cache), so an idle cluster lists nothing.
    const present = new Set<string>();
    for (const o of objects.values()) {
      present.add(o.resource.split('.')[0]!);
      if (o.resource === 'namespaces' && o.name === 'default' && !o.deleting) present.add('default-namespace');
    }
    if (!closed) {
      const w = await workloads.run(present);
      applied += w.applied;
      if (w.wakeAt !== undefined && (wakeAt === undefined || w.wakeAt < wakeAt)) wakeFor(w.wakeAt);
    }
    // More may follow from what was just done (a pass is capped at MAX_ACTIONS_PER_PASS);
    // actions that all failed wait for a change instead of spinning.
    if (applied > 0) dirty = true;
  };

  // One timer for the reconciler's wakeAt (the next event expiry), at least MIN_WAKE_DELAY_MS ahead.
  let wake: NodeJS.Timeout | undefined;
  const wakeFor = (at: number | undefined): void => {
    if (wake) clearTimeout(wake);
    wake = undefined;
    if (at === undefined || closed) return;
    wake = setTimeout(() => schedule(), Math.max(MIN_WAKE_DELAY_MS, at - deps.now()));
    wake.unref();
  };

  const schedule = (): void => {
    dirty = true;
    if (closed || timer || running) return;
    timer = setTimeout(() => {
      timer = undefined;
      running = pass().catch((err: unknown) => {
        console.error(`berth: kube controllers of cluster ${deps.clusterUid}: ${(err as Error).message}`);
      }).finally(() => {
        running = undefined;
        if (dirty) schedule();
        else {
          const w = idleWaiters;
          idleWaiters = [];
          // Settled once the Events of what happened are written too.
          void events.idle().then(() => {
            for (const f of w) f();
          });
        }
      });
    }, PASS_DELAY_MS);
  };

  const watch = deps.store.watch(base, from, (e) => {
    track(e.kv, e.type === 'delete');
    schedule();
  });
  // Kinds kept outside the cluster's keys (pods as tasks, nodes as container instances): their
  // own backends' watches keep their refs in the metadata cache (so garbage collection and
  // namespace deletion reach them) and start passes; a relist replaces the kind's refs whole.
  const followers: (() => void)[] = [];
  for (const resource of ['pods', 'nodes'] as const) {
    const k = workloads.kindOf(resource);
    if (!k || k.backend === 'generic') continue;
    byResource.set(resourceName(k), k);
    const prefix = `outside:${k.plural}/`;
    const keyOf = (o: Obj) => `${prefix}${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
    let listed = false;
    followers.push(await followKind({
      backend: deps.backends.for(k), kind: k,
      log: (m) => console.error(`berth: kube controllers of cluster ${deps.clusterUid}: ${m}`),
      onList: (items) => {
        const present = new Set<string>();
        for (const o of items) {
          const key = keyOf(o);
          present.add(key);
          objects.set(key, refOf(k, o));
          // The first listing is the state the loop starts from; a relist's differences are news.
          if (isPods(k)) podChanged(key, o, !listed);
        }
        for (const key of objects.keys()) {
          if (key.startsWith(prefix) && !present.has(key)) {
            objects.delete(key);
            pods.delete(key);
          }
        }
        listed = true;
        schedule();
      },
      onEvent: (type, o) => {
        const key = keyOf(o);
        if (type === 'DELETED') {
          objects.delete(key);
          pods.delete(key);
        } else {
          objects.set(key, refOf(k, o));
          if (isPods(k)) podChanged(key, o, false);
        }
        schedule();
      },
    }));
  }
  schedule();
  return {
    settled: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      schedule();
    }),
    close: async () => {
      closed = true;
      watch.close();
      for (const close of followers) close();
      if (timer) clearTimeout(timer);
      if (wake) clearTimeout(wake);
      await running;
      await events.idle();
      for (const f of idleWaiters) f();
    },
  };
}
