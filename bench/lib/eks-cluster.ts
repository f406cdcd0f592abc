/**
 * An EKS cluster as the Kubernetes benchmarks make one: with the aws CLI v2 as a user runs it
 * against Berth (create-cluster, describe-cluster until ACTIVE, get-token), and what a pod
 * needs before it can be created (its namespace's default service account).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeClient } from './kube-client.ts';

const run = promisify(execFile);
/** How long the EKS cluster gets to become ACTIVE. */
const ACTIVE_TIMEOUT_MS = 60_000;
/** How long a namespace's default service account (the controllers make it) gets to appear. */
const SERVICE_ACCOUNT_TIMEOUT_MS = 30_000;

/** The aws CLI v2 as a user runs it against Berth (credentials and config of its own in `dir`). */
export async function aws(endpoint: string, args: string[], dir: string): Promise<Record<string, unknown>> {
  const env = {
    ...process.env, AWS_ACCESS_KEY_ID: 'AKIDBERTHBENCH', AWS_SECRET_ACCESS_KEY: 'berth-bench-secret', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'), AWS_PAGER: '',
  };
  const { stdout } = await run('/usr/bin/aws', ['--endpoint-url', endpoint, '--output', 'json', ...args], { env });
  return stdout.trim() ? JSON.parse(stdout) as Record<string, unknown> : {};
}

/** Creates EKS cluster `name`; its endpoint, CA and a token once it is ACTIVE. */
export async function makeCluster(berthUrl: string, dir: string, name: string): Promise<{ endpoint: string; ca: string; token: string }> {
  await aws(berthUrl, ['eks', 'create-cluster', '--name', name, '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a'], dir);
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { cluster } = await aws(berthUrl, ['eks', 'describe-cluster', '--name', name], dir) as { cluster: { status: string; endpoint?: string; certificateAuthority?: { data?: string } } };
    if (cluster.status === 'ACTIVE' && cluster.endpoint && cluster.certificateAuthority?.data) {
      const { status } = await aws(berthUrl, ['eks', 'get-token', '--cluster-name', name], dir) as { status: { token: string } };
      return { endpoint: cluster.endpoint, ca: Buffer.from(cluster.certificateAuthority.data, 'base64').toString('utf8'), token: status.token };
    }
    if (Date.now() > deadline) throw new Error(`the EKS cluster was not ACTIVE within ${ACTIVE_TIMEOUT_MS} ms (${cluster.status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the namespace's default service account: the pod admission mounts its token. */
export async function waitServiceAccount(kube: KubeClient, namespace: string): Promise<void> {
  const deadline = Date.now() + SERVICE_ACCOUNT_TIMEOUT_MS;
  while ((await kube.request('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`the namespace ${namespace} had no default service account within ${SERVICE_ACCOUNT_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
