/**
 * The KubeApiHost of the contract: one API server per ACTIVE cluster, opened by the EKS side
 * (with the store and clock of the control plane) and closed when the cluster goes.
 */
import type { KubeApi, KubeApiHost, KubeApiOptions, KubeClusterRef, KubeSchemas } from './contract.ts';
import type { StorageBackend } from './storage-backend.ts';
import type { Store } from '../../store/store.ts';
import { KubeServer, type KubeServerDeps } from './server.ts';
import type { PodTokenIssuer } from './service-account-tokens.ts';
import { clusterRoot } from './keys.ts';
import { removeClusterPods } from './pod-backend.ts';

export interface KubeApiHostDeps extends Omit<KubeServerDeps, 'schemas'> {
  readonly store: Store;
  readonly now: () => number;
  /** The schemas of a cluster's Kubernetes version (the kubeschema part's KubeSchemas). */
  readonly schemasFor: (version: string) => KubeSchemas;
  /**
   * Backends of one cluster beside `backends` (nodes: the container instances its node groups
   * claimed, which depend on its account, region and name; pods: its tasks, written with its
   * schemas' managedFields), by the kinds.ts rows' names. `podToken` signs the cluster's pods'
   * projected service account tokens (the pods backend's token input), synchronously, once the
   * server listens.
   */
  readonly backendsFor?: (cluster: KubeClusterRef, schemas: KubeSchemas, podToken: PodTokenIssuer) => Readonly<Record<string, StorageBackend>>;
}

export class BerthKubeApiHost implements KubeApiHost {
  readonly #deps: KubeApiHostDeps;
  /** Servers by cluster uid, as promises so two opens of one cluster at once share one server. */
  readonly #open = new Map<string, Promise<KubeApi>>();

  constructor(deps: KubeApiHostDeps) {
    this.#deps = deps;
  }

  async open(options: Omit<KubeApiOptions, 'store' | 'now'>): Promise<KubeApi> {
    const uid = options.cluster.uid;
    const running = this.#open.get(uid);
    if (running) return running;
    const { store, now, schemasFor, backendsFor, ...rest } = this.#deps;
    const schemas = schemasFor(options.cluster.version);
    // The server is made after its backends; a pod's token is asked only once it serves requests.
    const podToken: PodTokenIssuer = (request) => server.podToken(request);
    const backends = { ...rest.backends, ...backendsFor?.(options.cluster, schemas, podToken) };
    const server = new KubeServer({ ...options, store, now }, { ...rest, backends, schemas });
    const starting = server.listen();
    this.#open.set(uid, starting);
    // A server that failed to start (its port taken) is forgotten, so a later open tries again.
    starting.catch(() => {
      if (this.#open.get(uid) === starting) this.#open.delete(uid);
    });
    return starting;
  }

  async close(clusterUid: string): Promise<void> {
    const api = this.#open.get(clusterUid);
    this.#open.delete(clusterUid);
    await (await api?.catch(() => undefined))?.close();
  }

  /**
   * Closes the cluster's server and removes every object it kept (DeleteCluster: a cluster
   * created again under the same name has another uid, so nothing else would ever read them),
   * its pods' tasks first (stopped, or gone when nothing of them runs).
   */
  async purge(clusterUid: string): Promise<void> {
    await this.close(clusterUid);
    await removeClusterPods(this.#deps.store, clusterUid);
    await this.#deps.store.txn({ ops: [{ type: 'deletePrefix', prefix: clusterRoot(clusterUid) }] });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#open.keys()].map((uid) => this.close(uid)));
  }
}
