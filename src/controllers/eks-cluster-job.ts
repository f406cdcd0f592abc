/**
 * Runs the EKS cluster controller (eks-clusters.ts) in the process that serves the
 * clusters' API servers: on start (every ACTIVE cluster reopened on the port it had) and
 * on every change under /eks/, one pass at a time. A step that fails is logged and the
 * pass is tried again after RETRY_MS; every write is a compare-and-set on what was read,
 * so a pass decided on stale records changes nothing.
 */
import type { Authenticate, KubeApiHost } from '../api/kube/contract.ts';
import type { SigningKey } from '../identity/service-account-token.ts';
import type { ClusterRecord } from '../core/eks/cluster.ts';
import { clusterKeyScope, eksKeys } from '../core/eks/keys.ts';
import type { UpdateRecord } from '../core/eks/update.ts';
import type { Store, Watch } from '../store/store.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { keys as ecsKeys } from '../core/ecs/keys.ts';
import { NODEGROUP_ATTRIBUTE, type NodegroupRecord } from '../core/eks/nodegroup.ts';
import type { NodeCandidate } from '../core/eks/nodes.ts';
import { nodegroupSteps, planClusters, type ClusterStep, type HeldChild, type HeldCluster, type HeldNodegroup, type NodegroupStep } from './eks-clusters.ts';

/** How soon a pass with a failed step is tried again. */
export const RETRY_MS = 2_000;
/** Keys read per page of the /eks/ listing (a pass reads every cluster, node group and profile: EKS's quotas keep them to hundreds per region). */
const PAGE = 1_000;

const PROFILE = /^\/eks\/[^/]+\/[^/]+\/fargate-profiles\/[^/]+\/[^/]+$/;
const NODEGROUP = /^\/eks\/([^/]+)\/([^/]+)\/nodegroups\/[^/]+\/[^/]+$/;
/**
 * How often node groups look for hosts again while any exists: hosts join and leave
 * without a write under /eks/ (a DEGRADED node group takes a host that joins within this).
 */
export const NODES_RESYNC_MS = 5_000;

export interface EksClusterJobOptions {
  readonly store: Store;
  readonly host: KubeApiHost;
  /** Where API servers listen: the address `berth up` binds. */
  readonly listenHost: string;
  /** The host name clients dial in `endpoint` (the listen address, or 127.0.0.1 when that is every interface). */
  readonly advertiseHost: string;
  /** Where pods reach the API servers (KubeApiOptions.inClusterHost); absent: at `listenHost`. */
  readonly inClusterHost?: string;
  /** The bearer token check of one cluster (api/eks/authenticate.ts). */
  readonly authenticate: (cluster: HeldCluster) => Authenticate;
  readonly log: (line: string) => void;
  readonly now: () => number;
  /**
   * A service account signing key for a cluster made before clusters had one (CreateCluster
   * makes it since); absent, such a cluster is served without service account tokens.
   */
  readonly newServiceAccountKey?: () => Promise<SigningKey>;
}

export interface EksClusterJob {
  /** Resolves once the pass running (or due) now has finished: tests and start-up wait on it. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Served {
  readonly uid: string;
  readonly version: string;
  readonly port: number;
}

export async function startEksClusterJob(o: EksClusterJobOptions): Promise<EksClusterJob> {
  const open = new Map<string, Served>();
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let haveNodegroups = false;
  /** The last failure logged per step, so a step retried every RETRY_MS (a port taken at start-up) logs once until its error changes; bounded by the steps of one pass. */
  let failures = new Map<string, string>();
  let failuresNow = new Map<string, string>();
  const logOnce = (what: string, e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    failuresNow.set(what, message);
    if (failures.get(what) !== message) o.log(`eks cluster controller: ${what} failed: ${message}`);
  };

  const schedule = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const ok = await pass().catch((e: unknown) => {
          o.log(`eks cluster controller: ${e instanceof Error ? e.stack : String(e)}`);
          return false;
        });
        if (!ok && !closed && !retry) retry = setTimeout(() => { retry = undefined; void schedule(); }, RETRY_MS);
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  /** One pass: read, plan, act. False when a step failed. */
  async function pass(): Promise<boolean> {
    const clusters: HeldCluster[] = [];
    const children: HeldChild[] = [];
    const nodegroups: HeldNodegroup[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await o.store.list(eksKeys.all(), { limit: PAGE, ...(after !== undefined && { after }) });
      for (const kv of page.items) {
        const c = clusterKeyScope(kv.key);
        if (c) clusters.push({ scope: { account: c.account, region: c.region }, key: kv.key, modRevision: kv.modRevision, record: JSON.parse(kv.value) as ClusterRecord });
        else if (PROFILE.test(kv.key)) children.push({ key: kv.key, modRevision: kv.modRevision, status: (JSON.parse(kv.value) as { status: string }).status });
        else {
          const m = NODEGROUP.exec(kv.key);
          if (m) nodegroups.push({ scope: { account: m[1]!, region: m[2]! }, key: kv.key, modRevision: kv.modRevision, record: JSON.parse(kv.value) as NodegroupRecord });
        }
      }
      if (!page.more || page.items.length === 0) break;
      after = page.items.at(-1)!.key;
    }
    let ok = true;
    for (const step of planClusters(clusters, children, [...open.values()])) {
      if (closed) break;
      try {
        await act(step);
      } catch (e) {
        ok = false;
        logOnce(`${step.kind} ${'cluster' in step ? step.cluster.record.name : 'uid' in step ? step.uid : step.child.key}`, e);
      }
    }
    const instances = new Map<string, NodeCandidate[]>();
    for (const ng of nodegroups) {
      if (closed) break;
      const scopeKey = ecsKeys.scope(ng.scope);
      if (!instances.has(scopeKey)) instances.set(scopeKey, await candidates(`${scopeKey}instances/`));
      try {
        await actNodegroup(nodegroupSteps(ng, instances.get(scopeKey)!, o.now()));
      } catch (e) {
        ok = false;
        logOnce(`node group ${ng.record.clusterName}/${ng.record.nodegroupName}`, e);
      }
    }
    haveNodegroups = nodegroups.length > 0;
    // What failed this pass is what the next one compares with; what succeeded is forgotten.
    failures = failuresNow;
    failuresNow = new Map();
    return ok;
  }

  /** The container instances under `prefix` as node candidates (an account's hosts in a region: bounded by ECS's 5,000 per cluster). */
  async function candidates(prefix: string): Promise<NodeCandidate[]> {
    const out: NodeCandidate[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await o.store.list(prefix, { limit: PAGE, ...(after !== undefined && { after }) });
      for (const kv of page.items) {
        const r = JSON.parse(kv.value) as ContainerInstanceRecord;
        // The key is <prefix><ECS cluster>/<id>.
        const cluster = kv.key.slice(prefix.length).split('/')[0]!;
        out.push({ key: kv.key, modRevision: kv.modRevision, arn: r.containerInstanceArn, cluster, status: r.status, agentConnected: r.agentConnected, attributes: r.attributes });
      }
      if (!page.more || page.items.length === 0) return out;
      after = page.items.at(-1)!.key;
    }
  }

  async function actNodegroup(steps: readonly NodegroupStep[]): Promise<void> {
    for (const step of steps) {
      if (step.kind === 'instances') {
        for (const w of step.writes) {
          const kv = await o.store.get(w.key);
          if (!kv || kv.modRevision !== w.modRevision) {
            again = true;
            return;
          }
          const { kubeNode, ...record } = JSON.parse(kv.value) as ContainerInstanceRecord;
          // A host let go leaves its node's Kubernetes fields (annotations, taints, cordon) behind with the node.
          const claimed = w.attributes.some((a) => a.name === NODEGROUP_ATTRIBUTE);
          const next = { ...record, attributes: w.attributes, ...(claimed && kubeNode && { kubeNode }) };
          const r = await o.store.txn({ if: [{ key: w.key, modRevision: w.modRevision }], ops: [{ type: 'put', key: w.key, value: JSON.stringify(next) }] });
          // A host that changed meanwhile (its agent reported): the next pass decides again on it.
          if (!r.ok) {
            again = true;
            return;
          }
        }
      } else if (step.kind === 'nodegroup') {
        const r = await o.store.txn({ if: [{ key: step.nodegroup.key, modRevision: step.nodegroup.modRevision }], ops: [{ type: 'put', key: step.nodegroup.key, value: JSON.stringify(step.next) }] });
        if (!r.ok) again = true;
      } else {
        const r = await o.store.txn({ if: [{ key: step.nodegroup.key, modRevision: step.nodegroup.modRevision }], ops: [{ type: 'delete', key: step.nodegroup.key }] });
        if (!r.ok) again = true;
      }
    }
  }

  async function serve(c: HeldCluster, port: number): Promise<Served> {
    const known = open.get(c.record.uid);
    if (known && known.version === c.record.version) return known;
    if (known) {
      await o.host.close(c.record.uid);
      open.delete(c.record.uid);
    }
    const secrets = await clusterSecrets(c);
    const api = await o.host.open({
      cluster: { account: c.scope.account, region: c.scope.region, name: c.record.name, uid: c.record.uid, version: c.record.version, serviceIpv4Cidr: c.record.serviceIpv4Cidr },
      tls: { cert: secrets.servingCert, key: secrets.servingKey, ...(secrets.caCert !== undefined && { ca: secrets.caCert }) },
      host: o.listenHost,
      port,
      ...(o.inClusterHost !== undefined && { inClusterHost: o.inClusterHost }),
      authenticate: o.authenticate(c),
      ...(secrets.serviceAccountKey && { serviceAccounts: { key: secrets.serviceAccountKey, issuerFor: endpointOf } }),
    });
    const served: Served = { uid: c.record.uid, version: c.record.version, port: Number(new URL(api.url).port) };
    open.set(c.record.uid, served);
    return served;
  }

  /**
   * The cluster's keys; one made before service account tokens gets its signing key now, kept
   * with a compare-and-set (two control planes opening it at once keep one key).
   */
  async function clusterSecrets(c: HeldCluster): Promise<{ servingCert: string; servingKey: string; caCert?: string; serviceAccountKey?: SigningKey }> {
    const key = eksKeys.secrets(c.scope, c.record.name);
    for (;;) {
      const kv = await o.store.get(key);
      if (!kv) throw new Error(`cluster ${c.record.name} has no keys in the store`);
      const secrets = JSON.parse(kv.value) as { servingCert: string; servingKey: string; caCert?: string; serviceAccountKey?: SigningKey };
      if (secrets.serviceAccountKey || !o.newServiceAccountKey) return secrets;
      const next = { ...secrets, serviceAccountKey: await o.newServiceAccountKey() };
      const r = await o.store.txn({ if: [{ key, modRevision: kv.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(next) }] });
      if (r.ok) return next;
    }
  }

  /** `https://host:port` clients dial: the cluster's endpoint, and its service account issuer. */
  function endpointOf(port: number): string {
    return `https://${o.advertiseHost.includes(':') ? `[${o.advertiseHost}]` : o.advertiseHost}:${port}`;
  }

  /** Writes `change` of the cluster record if it is still the one the plan read. */
  async function writeCluster(c: HeldCluster, next: ClusterRecord, extra: { type: 'put'; key: string; value: string }[] = []): Promise<void> {
    const r = await o.store.txn({ if: [{ key: c.key, modRevision: c.modRevision }], ops: [{ type: 'put', key: c.key, value: JSON.stringify(next) }, ...extra] });
    if (!r.ok) again = true;
  }

  async function act(step: ClusterStep): Promise<void> {
    switch (step.kind) {
      case 'open':
      case 'reopen': {
        const c = step.cluster;
        const served = await serve(c, step.port);
        const endpoint = endpointOf(served.port);
        if (step.kind === 'open' && step.after === 'activate') {
          // The endpoint is the cluster's OIDC issuer too: its API server answers the discovery documents.
          await writeCluster(c, { ...c.record, status: 'ACTIVE', endpoint, port: served.port, oidcIssuer: endpoint });
        } else if (step.kind === 'open' && step.after === 'finish-update') {
          const { pendingUpdate, ...rest } = c.record;
          const extra: { type: 'put'; key: string; value: string }[] = [];
          if (pendingUpdate !== undefined) {
            const u = await o.store.get(eksKeys.update(c.scope, c.record.name, pendingUpdate));
            if (u) extra.push({ type: 'put', key: u.key, value: JSON.stringify({ ...(JSON.parse(u.value) as UpdateRecord), status: 'Successful' }) });
          }
          await writeCluster(c, { ...rest, status: 'ACTIVE', endpoint, port: served.port }, extra);
        } else if (step.kind === 'open' && c.record.oidcIssuer !== endpoint) {
          // A cluster made active before tokens (or served at another address now): its issuer is where it answers.
          await writeCluster(c, { ...c.record, oidcIssuer: endpoint });
        }
        return;
      }
      case 'close':
        await o.host.close(step.uid);
        open.delete(step.uid);
        return;
      case 'remove': {
        const c = step.cluster;
        // The cluster's Kubernetes objects go with it (a cluster made again under the name has another uid).
        if (o.host.purge) await o.host.purge(c.record.uid);
        else if (open.has(c.record.uid)) await o.host.close(c.record.uid);
        open.delete(c.record.uid);
        const r = await o.store.txn({
          if: [{ key: c.key, modRevision: c.modRevision }],
          ops: [
            { type: 'delete', key: c.key },
            { type: 'delete', key: eksKeys.secrets(c.scope, c.record.name) },
            ...eksKeys.clusterChildren(c.scope, c.record.name).map((prefix) => ({ type: 'deletePrefix' as const, prefix })),
          ],
        });
        if (!r.ok) again = true;
        return;
      }
      case 'activate-child': {
        const kv = await o.store.get(step.child.key);
        if (!kv || kv.modRevision !== step.child.modRevision) return;
        const next = { ...(JSON.parse(kv.value) as Record<string, unknown>), status: 'ACTIVE', modifiedAt: o.now() };
        await o.store.txn({ if: [{ key: kv.key, modRevision: kv.modRevision }], ops: [{ type: 'put', key: kv.key, value: JSON.stringify(next) }] });
        return;
      }
      case 'remove-child':
        await o.store.txn({ if: [{ key: step.child.key, modRevision: step.child.modRevision }], ops: [{ type: 'delete', key: step.child.key }] });
        return;
    }
  }

  const resync = setInterval(() => void (haveNodegroups && schedule()), NODES_RESYNC_MS);
  resync.unref();
  const revision = await o.store.revision();
  const watch: Watch = o.store.watch(eksKeys.all(), revision, () => void schedule());
  await schedule();
  return {
    settled: () => running ?? Promise.resolve(),
    async close() {
      closed = true;
      watch.close();
      clearInterval(resync);
      if (retry) clearTimeout(retry);
      await running;
      for (const uid of [...open.keys()]) await o.host.close(uid).catch(() => undefined);
      open.clear();
    },
  };
}
