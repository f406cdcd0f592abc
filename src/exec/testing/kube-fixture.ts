/**
 * A small Kubernetes API server for testing the streaming protocols with kubectl itself:
 * discovery for pods and their subresources, one Running pod, and its `exec` and
 * `portforward` upgrades handed to the test. Plain HTTP, no auth.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { acceptPortForwardUpgrade } from '../kube-port-forward.ts';

export const POD = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'box', namespace: 'default', uid: '0b1d5c2e-0000-4000-8000-000000000001' },
  spec: { containers: [{ name: 'main', image: 'busybox', ports: [{ containerPort: 80 }] }] },
  status: { phase: 'Running' },
};

const DOCUMENTS: Record<string, object> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  ] },
  '/api/v1/namespaces/default/pods/box': POD,
};

export interface KubeFixture {
  readonly kubeconfig: string;
  kubectl(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

/**
 * `onUpgrade(subresource, ws, query)` gets each accepted upgrade of the pod's `exec` or
 * `portforward`; `protocols` picks the sub-protocol from those offered (false refuses).
 */
export async function startKubeFixture(
  protocols: (offered: Set<string>) => string | false,
  onUpgrade: (subresource: 'exec' | 'portforward', ws: WebSocket, query: URLSearchParams, req: IncomingMessage) => void,
): Promise<KubeFixture> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: protocols });
  const server: Server = createServer((req, res) => {
    const body = DOCUMENTS[new URL(req.url!, 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url!, 'http://x');
    const m = /^\/api\/v1\/namespaces\/default\/pods\/box\/(exec|portforward)$/.exec(url.pathname);
    if (!m) return socket.destroy();
    const handled = (ws: WebSocket) => onUpgrade(m[1] as 'exec' | 'portforward', ws, url.searchParams, req);
    if (m[1] === 'portforward' && acceptPortForwardUpgrade(wss, req, socket, head, handled)) return;
    wss.handleUpgrade(req, socket, head, (ws) => onUpgrade(m[1] as 'exec' | 'portforward', ws, url.searchParams, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'berth-kube-fixture-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
    users: [{ name: 'u', user: {} }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
  }));
  return {
    kubeconfig,
    kubectl: (args, input) => new Promise((resolve) => {
      const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    }),
    close() {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
