/**
 * A Kubernetes API server of one cluster for tests: its own CA and serving certificate
 * (openssl), a temp SQLite store, a fixed-token Authenticate (the EKS part's token check
 * replaces it in Berth), the schemas double, a kubeconfig, and a kubectl runner.
 */
import { NodeBackend } from '../../src/api/kube/node-backend.ts';
import { PodBackend, podNodeOf } from '../../src/api/kube/pod-backend.ts';
import { instanceRecords } from '../../src/cluster/instance-records.ts';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { KubeServer, type KubeServerDeps, type StartKubeControllers } from '../../src/api/kube/server.ts';
import { startKubeControllers, type KubeControllerHooks } from '../../src/controllers/kube/controller-loop.ts';
import type { KubeSchemas, KubeUser } from '../../src/api/kube/contract.ts';
import type { KindRegistry } from '../../src/api/kube/kinds.ts';
import type { StorageBackend } from '../../src/api/kube/storage-backend.ts';
import { schemasDouble } from './kube-schemas-double.ts';

export const ADMIN_TOKEN = 'berth-test-admin-token';
/** A user outside system:masters with no bindings of its own: RBAC's defaults only (discovery, reviews). */
export const VIEWER_TOKEN = 'berth-test-viewer-token';
/** A user in the group `devs`, which RBAC tests bind. */
export const DEV_TOKEN = 'berth-test-dev-token';
/** The service account `web:builder`, as its token resolves. */
export const BUILDER_TOKEN = 'berth-test-builder-token';

export interface KubeTestServer {
  readonly url: string;
  readonly dir: string;
  readonly ca: string;
  readonly kubeconfig: string;
  readonly store: SqliteStore;
  readonly server: KubeServer;
  /** Runs kubectl with this server's kubeconfig; resolves stdout, rejects with stderr on failure. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** Like kubectl, but resolves { code, stdout, stderr } whatever the exit code. */
  kubectlResult(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubernetes']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), cert: readFileSync(join(dir, 'server.crt'), 'utf8'), key: readFileSync(join(dir, 'server.key'), 'utf8') };
}

export function kubeconfigFor(url: string, ca: string, token: string): string {
  const data = Buffer.from(ca).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: berth
  cluster:
    server: ${url}
    certificate-authority-data: ${data}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: berth
  context:
    cluster: berth
    user: admin
    namespace: default
current-context: berth
`;
}

const USERS: Record<string, KubeUser> = {
  [ADMIN_TOKEN]: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
  [VIEWER_TOKEN]: { username: 'viewer', groups: ['system:authenticated'] },
  [DEV_TOKEN]: { username: 'dev', groups: ['devs', 'system:authenticated'] },
  [BUILDER_TOKEN]: { username: 'system:serviceaccount:web:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated'] },
};

/**
 * `schemas`: Berth's real ones (src/api/kube/schema) where a test needs what they do; the double by default.
 * `controllerHooks`: what a test watches of the controller loop (each pass's start).
 * `controllers`: the controllers to run instead of the loop (svcnet's tables beside it).
 * `pods`: the agents pods' streams reach (pods/log, exec, attach, portforward), and how a pod is found.
 * `inClusterHost`: the address pods reach the server at (it listens there too; the `kubernetes` Endpoints name it).
 */
export async function startKubeTestServer(options: {
  now?: () => number; historyRevisions?: number; schemas?: KubeSchemas; registry?: KindRegistry; backends?: Readonly<Record<string, StorageBackend>>; controllerHooks?: KubeControllerHooks;
  controllers?: StartKubeControllers; pods?: KubeServerDeps['pods']; inClusterHost?: string;
} = {}): Promise<KubeTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kube-'));
  const certs = makeCerts(dir);
  const store = await openSqliteStore(join(dir, 'state.db'), { ...(options.historyRevisions !== undefined && { historyRevisions: options.historyRevisions }) });
  const cluster = { account: '000000000000', region: 'us-east-1', name: 'test', uid: 'c0ffee00-0000-4000-8000-000000000001', version: '1.32' };
  const now = options.now ?? Date.now;
  // The nodes and pods backends as server.ts composes them (no instance is claimed here: no nodes), unless the test brings its own.
  const schemas = options.schemas ?? schemasDouble();
  const instances = instanceRecords(store);
  const backends = {
    nodes: new NodeBackend({ instances, cluster, now }),
    pods: new PodBackend({ store, cluster, schemas, now, newUid: randomUUID, rng: Math.random, nodeOf: podNodeOf(instances) }),
    ...options.backends,
  };
  const server = new KubeServer({
    cluster, tls: { cert: certs.cert, key: certs.key, ca: certs.ca }, host: '127.0.0.1', port: 0,
    authenticate: async (token) => USERS[token], store, now, ...(options.inClusterHost !== undefined && { inClusterHost: options.inClusterHost }),
  }, { schemas, controllers: options.controllers ?? ((deps) => startKubeControllers(deps, options.controllerHooks)), ...(options.registry && { registry: options.registry }), backends, ...(options.pods && { pods: options.pods }) });
  const api = await server.listen();
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigFor(api.url, certs.ca, ADMIN_TOKEN));
  const kubectlResult = (args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache'), HOME: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
  return {
    url: api.url, dir, ca: certs.ca, kubeconfig, store, server,
    kubectlResult,
    kubectl: async (args, input) => {
      const r = await kubectlResult(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    close: async () => {
      await api.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
