/**
 * The control plane's service tables: one per EKS cluster whose API server runs, kept from a
 * watch of its Services and EndpointSlices (through the cluster's storage backends, as any
 * API client reads them), recomputed when they change (TABLE_DELAY_MS after the change that
 * started it, changes in that window sharing it), and sent to whoever follows the cluster
 * (sessions.ts: the agents of the cluster's nodes): the whole table when one starts
 * following, then each change as a delta from the version before it.
 *
 *   kube storage backends ─ watch services, endpointslices ─▶ ClusterFeed (objects by key)
 *        └─ TABLE_DELAY_MS later: serviceTable() ─▶ diffTable(previous) ─▶ version + 1 ─▶ followers
 *   follow(clusterKey, send) ─▶ full table now (null while the cluster has no API server)
 *
 * Bounded by the clusters' own objects (one parsed object per Service and EndpointSlice) and
 * the followers (one per agent session).
 */
import type { KubeControllerDeps } from '../api/kube/server.ts';
import type { KindInfo } from '../api/kube/kinds.ts';
import type { Obj } from '../api/kube/kind-rules.ts';
import type { OutEvent } from '../api/kube/storage-backend.ts';
import { dnsServiceIP, parseRange } from '../core/kube/service-ips.ts';
import { DNS_SERVICE_NAME, DNS_SERVICE_NAMESPACE, EKS_DEFAULT_SERVICE_CIDR, ensureDnsService } from './dns-service.ts';
import { CLUSTER_DOMAIN, diffTable, serviceTable, type ServiceEntry, type ServiceObject, type SliceObject, type TableUpdate } from './table.ts';

/** Delay between a change and the table it recomputes: a burst of slice updates (a rollout) is one delta. */
export const TABLE_DELAY_MS = 20;
/** Wait before a watch that ended (too slow a reader, a restart of the store's watch) is started again. */
export const REWATCH_DELAY_MS = 500;

/** How many times the `kube-dns` Service is tried, REWATCH_DELAY_MS apart, when its create fails (kube-system not made yet). */
export const DNS_SERVICE_TRIES = 20;
const DNS_SERVICE_KEY = `${DNS_SERVICE_NAMESPACE}/${DNS_SERVICE_NAME}`;

/** The cluster a node belongs to: its account, region and EKS cluster name. */
export const clusterKey = (c: { readonly account: string; readonly region: string; readonly name: string }): string => `${c.account}/${c.region}/${c.name}`;

/** The identity of a cluster the controller hook gives (src/api/kube KubeClusterRef). */
export interface FeedCluster {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceIpv4Cidr?: string;
}

interface Feed {
  readonly cluster: FeedCluster;
  readonly dns: { readonly ip: string; readonly domain: string };
  entries: ServiceEntry[];
  version: number;
}

export class ServiceTables {
  readonly #feeds = new Map<string, Feed>();
  /** Followers per cluster key; a key may be followed before its cluster's feed starts. */
  readonly #followers = new Map<string, Set<(u: TableUpdate) => void>>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void = () => undefined) {
    this.#log = log;
  }

  /**
   * Follows the cluster `key` (clusterKey): `send` gets its whole table now, then every change.
   * Returns the unfollow.
   */
  follow(key: string, send: (u: TableUpdate) => void): () => void {
    let set = this.#followers.get(key);
    if (!set) this.#followers.set(key, (set = new Set()));
    set.add(send);
    send(this.#full(key));
    return () => {
      set.delete(send);
      if (set.size === 0 && this.#followers.get(key) === set) this.#followers.delete(key);
    };
  }

  /** The whole table of `key` now (a follower that lost count asks again). */
  full(key: string): TableUpdate {
    return this.#full(key);
  }

  #full(key: string): TableUpdate {
    const f = this.#feeds.get(key);
    return f ? { kind: 'full', version: f.version, table: { cluster: f.cluster.uid, dns: f.dns, entries: f.entries } } : { kind: 'full', version: 0, table: null };
  }

  #broadcast(key: string, u: TableUpdate): void {
    for (const send of this.#followers.get(key) ?? []) {
      try {
        send(u);
      } catch (err) {
        this.#log(`service tables: a follower of ${key}: ${String(err)}`);
      }
    }
  }

  /**
   * The per-cluster part, started with the cluster's other controllers (the API server's
   * `controllers` hook): keeps the `kube-dns` Service, watches Services and EndpointSlices,
   * and publishes the table until closed.
   */
  async startCluster(deps: KubeControllerDeps, cluster: FeedCluster): Promise<{ close(): Promise<void> }> {
    const key = clusterKey(cluster);
    const dnsIP = dnsServiceIP(parseRange(cluster.serviceIpv4Cidr ?? EKS_DEFAULT_SERVICE_CIDR));
    const feed: Feed = { cluster, dns: { ip: dnsIP, domain: CLUSTER_DOMAIN }, entries: [], version: 1 };
    const servicesKind = deps.registry.byResource('', 'v1', 'services');
    const slicesKind = deps.registry.byResource('discovery.k8s.io', 'v1', 'endpointslices');
    const services = new Map<string, ServiceObject>();
    const slices = new Map<string, SliceObject>();
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    /** Each kind's current watch's close (a restarted watch replaces its own). */
    const closers = new Map<string, () => void>();

    const recompute = (): void => {
      timer = undefined;
      // Before the first whole table is out, that table takes every change in.
      if (closed || this.#feeds.get(key) !== feed) return;
      if (servicesKind && !services.has(DNS_SERVICE_KEY)) keepDnsService();
      const next = serviceTable([...services.values()], [...slices.values()]);
      const delta = diffTable(feed.entries, next);
      if (delta.put.length === 0 && delta.remove.length === 0) return;
      feed.entries = next;
      const from = feed.version;
      feed.version += 1;
      this.#broadcast(key, { kind: 'delta', from, version: feed.version, ...delta });
    };
    const changed = (): void => {
      if (!closed && timer === undefined) timer = setTimeout(recompute, TABLE_DELAY_MS);
    };

    /** One kind's watch: its initial state swapped in whole once listed, then each event; started again when it ends. */
    const watch = async <T>(kind: KindInfo, into: Map<string, T>): Promise<void> => {
      let initial: Map<string, T> | undefined = new Map();
      const keyOf = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
      const again = (): void => {
        if (closed) return;
        const t = setTimeout(() => void watch(kind, into).catch((err: unknown) => this.#log(`service tables: watching ${kind.plural} of ${key}: ${String(err)}`)), REWATCH_DELAY_MS);
        t.unref();
      };
      // The watch's close, once it started (an ERROR during its start ends it right after).
      const held: { stop?: () => void } = {};
      let ended = false;
      const onEvent = (e: OutEvent): void => {
        if (closed || ended) return;
        if (e.type === 'ERROR') {
          ended = true;
          held.stop?.();
          again();
          return;
        }
        if (e.type === 'BOOKMARK') {
          if (initial && e.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') {
            into.clear();
            for (const [k, v] of initial) into.set(k, v);
            initial = undefined;
            changed();
          }
          return;
        }
        const target = initial ?? into;
        if (e.type === 'DELETED') target.delete(keyOf(e.object));
        else target.set(keyOf(e.object), e.object as unknown as T);
        if (!initial) changed();
      };
      const stop = await deps.backends.for(kind).watch({
        kind, namespace: undefined, labels: [], fields: [], resourceVersion: undefined, sendInitialEvents: true, allowBookmarks: true,
      }, onEvent);
      held.stop = stop;
      if (closed || ended) stop();
      else closers.set(kind.plural, stop);
    };

    /** The `kube-dns` Service, made when missing (a few tries: its namespace may not be made yet). */
    let keeping = false;
    const keepDnsService = (tries = DNS_SERVICE_TRIES): void => {
      if (!servicesKind || keeping || closed) return;
      keeping = true;
      void ensureDnsService(deps, servicesKind, dnsIP).then(() => { keeping = false; }, (err: unknown) => {
        keeping = false;
        if (tries <= 1) return this.#log(`service tables: the kube-dns Service of ${key}: ${String(err)}`);
        setTimeout(() => keepDnsService(tries - 1), REWATCH_DELAY_MS).unref();
      });
    };

    if (servicesKind) await watch(servicesKind, services);
    if (slicesKind) await watch(slicesKind, slices);
    feed.entries = serviceTable([...services.values()], [...slices.values()]);
    this.#feeds.set(key, feed);
    // Nodes that followed before the cluster was served learn its table now.
    this.#broadcast(key, this.#full(key));
    if (!services.has(DNS_SERVICE_KEY)) keepDnsService();
    return {
      close: async () => {
        closed = true;
        if (timer) clearTimeout(timer);
        for (const c of closers.values()) c();
        if (this.#feeds.get(key) === feed) {
          this.#feeds.delete(key);
          this.#broadcast(key, this.#full(key));
        }
      },
    };
  }
}
