/**
 * EKS as the server composes it: the service (for the REST-JSON door) and, when the server
 * has a KubeApiHost, the cluster controller that serves each cluster's API server with
 * the cluster's own certificate and token check. server.ts wires it in a few lines.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { AccessEntryRecord } from '../core/eks/access.ts';
import { eksKeys } from '../core/eks/keys.ts';
import { startEksClusterJob, type EksClusterJob } from '../controllers/eks-cluster-job.ts';
import type { Store } from '../store/store.ts';
import type { JsonService } from '../api/aws/service.ts';
import type { KubeApiHost } from '../api/kube/contract.ts';
import { eksAuthenticator } from '../api/eks/authenticate.ts';
import { newClusterKeys } from '../api/eks/cluster-keys.ts';
import { createEksService } from '../api/eks/index.ts';
import { readJson } from '../api/eks/records.ts';
import { newSigningKey } from '../identity/service-account-token.ts';

export interface EksPartOptions {
  readonly store: Store;
  readonly identityKey: Buffer;
  readonly accountId: string;
  /** The address the control plane binds (`berth up --host`): clusters' API servers listen there too. */
  readonly listenHost: string;
  /** Where pods reach clusters' API servers (the in-process agent's pod bridge gateway); absent: at listenHost. */
  readonly inClusterHost?: string;
  readonly kubeApiHost?: KubeApiHost;
  readonly log: (line: string) => void;
}

export interface EksPart {
  readonly service: JsonService;
  /** Starts the cluster controller once the control plane listens on `port` (tokens presigned for Berth's STS name that port). */
  start(port: number): Promise<void>;
  close(): Promise<void>;
}

/** Every interface: clients on this machine dial the loopback address. */
const ANY = new Set(['0.0.0.0', '::', '']);

export function eksPart(o: EksPartOptions): EksPart {
  const advertiseHost = ANY.has(o.listenHost) ? '127.0.0.1' : o.listenHost;
  // Listening on every interface, the API servers are dialled by any of the machine's addresses and its name.
  const everyAddress = ANY.has(o.listenHost) ? [hostname(), ...Object.values(networkInterfaces()).flat().map((i) => i?.address).filter((a): a is string => a !== undefined && !a.includes('%'))] : [];
  // The in-cluster address too: a pod may dial the `kubernetes` endpoint directly.
  const apiHosts = [...new Set([advertiseHost, 'localhost', '127.0.0.1', ...everyAddress, ...(o.inClusterHost !== undefined ? [o.inClusterHost] : [])])];
  const service = createEksService({
    store: o.store, apiHosts, newClusterKeys, newServiceAccountKey: newSigningKey, newId: randomUUID, newHex: () => randomBytes(16).toString('hex'),
  });
  let job: EksClusterJob | undefined;
  return {
    service,
    async start(port) {
      if (!o.kubeApiHost) {
        o.log('eks: no Kubernetes API server host is wired: clusters stay CREATING');
        return;
      }
      job = await startEksClusterJob({
        store: o.store, host: o.kubeApiHost, listenHost: o.listenHost, advertiseHost, ...(o.inClusterHost !== undefined && { inClusterHost: o.inClusterHost }), log: o.log, now: Date.now, newServiceAccountKey: newSigningKey,
        authenticate: (c) => eksAuthenticator({
          identityKey: o.identityKey,
          accountId: o.accountId,
          clusterName: c.record.name,
          isBerthHost: (host) => isBerthHost(host, apiHosts, port),
          accessEntry: async (arn) => (await readJson<AccessEntryRecord>(o.store, eksKeys.accessEntry(c.scope, c.record.name, arn)))?.value,
          accessEntryRevision: (arn) => o.store.modRevision(eksKeys.accessEntry(c.scope, c.record.name, arn)),
        }),
      });
    },
    async close() {
      await job?.close();
    },
  };
}

/**
 * Whether a token's URL was presigned for Berth's own STS: Berth's port, on one of the API
 * hosts or an IP literal (the control plane also listens on the simulated hosts' bridge,
 * `berth up --hosts`). Nothing is ever fetched from it: the signature covers the host, and
 * this only refuses URLs made for some other service.
 */
export function isBerthHost(host: string, apiHosts: readonly string[], port: number): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/i.exec(host);
  if (!m || Number(m[2]) !== port) return false;
  const name = m[1]!;
  return apiHosts.includes(name) || /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith('[');
}
