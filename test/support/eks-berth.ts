/**
 * A control plane with EKS served for the EKS tests: `startServer` in this process (as
 * `berth up --no-agent` runs it) with the test KubeApiHost (eks-kube-host.ts) wired in,
 * which `berth up` gets from src/api/kube once that host exists. Restartable on its data
 * dir and port, as a kill and `berth up` again would be.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { testKubeHost, type TestKubeHost } from './eks-kube-host.ts';

export interface EksBerth {
  readonly endpoint: string;
  readonly host: TestKubeHost;
  readonly log: () => string;
  /** The join token agents join with (simulated agents, in the node group tests). */
  joinToken(): string;
  /** Stops the control plane (its clusters' API servers close) and starts it again on the same port and data dir. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEksBerth(): Promise<EksBerth> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-'));
  const host = testKubeHost();
  let log = '';
  const start = (port: number) => startServer({
    host: '127.0.0.1', port, dataDir, accountId: '000000000000', region: 'us-east-1', kubeApiHost: () => host,
    log: (line) => (log += `${line}\n`),
  });
  let server: RunningServer = await start(0);
  const port = server.port;
  return {
    endpoint: server.url,
    host,
    log: () => log,
    joinToken: () => readFileSync(join(dataDir, 'join-token'), 'utf8').trim(),
    async restart() {
      await server.close();
      server = await start(port);
    },
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
