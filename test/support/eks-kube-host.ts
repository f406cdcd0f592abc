/**
 * A small KubeApiHost for the EKS tests (the real one is src/api/kube's): each cluster is
 * an HTTPS server with the certificate the EKS side gives it, which answers `/version`
 * (as kubectl version reads it) and `POST …/selfsubjectreviews` (kubectl auth whoami) for
 * a request whose bearer token the cluster's Authenticate accepts, and 401 otherwise. It
 * exercises what the EKS side owns: certificates, ports, reopening, token checks.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeApi, KubeApiHost, KubeApiOptions, KubeUser } from '../../src/api/kube/contract.ts';

export interface TestKubeHost extends KubeApiHost {
  /** Clusters open now, by uid, with the port and version each serves. */
  readonly served: Map<string, { port: number; version: string; name: string }>;
  /** Every user a request was authenticated as, newest last. */
  readonly users: KubeUser[];
}

export function testKubeHost(): TestKubeHost {
  const servers = new Map<string, Server>();
  const served = new Map<string, { port: number; version: string; name: string }>();
  const users: KubeUser[] = [];
  return {
    served,
    users,
    async open(o: Omit<KubeApiOptions, 'store' | 'now'>): Promise<KubeApi> {
      const server = createServer({ cert: o.tls.cert, key: o.tls.key }, (req, res) => {
        const auth = req.headers.authorization ?? '';
        const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
        void o.authenticate(token, Date.now()).then((user) => {
          res.setHeader('Content-Type', 'application/json');
          if (!user) {
            res.writeHead(401);
            res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
            return;
          }
          users.push(user);
          if (req.url?.startsWith('/version')) {
            res.end(JSON.stringify({ major: '1', minor: o.cluster.version.split('.')[1], gitVersion: `v${o.cluster.version}.0-eks-berth-test`, platform: 'linux/amd64' }));
          } else if (req.method === 'POST' && req.url?.startsWith('/apis/authentication.k8s.io/v1/selfsubjectreviews')) {
            res.writeHead(201);
            res.end(JSON.stringify({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo: user } }));
          } else {
            res.writeHead(404);
            res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
          }
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      servers.set(o.cluster.uid, server);
      served.set(o.cluster.uid, { port, version: o.cluster.version, name: o.cluster.name });
      return { url: `https://${o.host}:${port}`, close: () => this.close(o.cluster.uid) };
    },
    async close(uid: string): Promise<void> {
      const server = servers.get(uid);
      servers.delete(uid);
      served.delete(uid);
      if (!server) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
