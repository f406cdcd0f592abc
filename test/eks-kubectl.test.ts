// The whole way a new user goes, with Berth's own Kubernetes API server behind EKS (no test
// host): `aws eks create-cluster`, wait ACTIVE, `aws eks update-kubeconfig`, then kubectl
// with nothing else configured — namespaces, a ConfigMap applied client-side then
// server-side, `kubectl diff`, a stale write refused — and DeleteCluster taking the cluster's
// objects with it (a cluster made again under the name starts empty).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { awsEnv } from './support/aws-cli.ts';
import { run } from './support/run.ts';

let server: RunningServer;
let dataDir: string;
let dir: string;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-kubectl-'));
  dir = mkdtempSync(join(tmpdir(), 'berth-eks-kubeconfig-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {} });
});
after(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...awsEnv(), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache') });
const aws = async (...args: string[]) => {
  const r = await run('/usr/bin/aws', ['--endpoint-url', server.url, ...args], { env: env() });
  assert.equal(r.code, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const kubectl = (args: string[], input?: string) => run('kubectl', args, { env: env(), ...(input !== undefined && { input }) });

const configMap = (greeting: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  labels: {app: web}
data:
  greeting: ${greeting}
`;

test('create-cluster, update-kubeconfig, then kubectl works against the cluster with nothing else configured', async () => {
  await aws('eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await aws('eks', 'wait', 'cluster-active', '--name', 'demo');
  await aws('eks', 'update-kubeconfig', '--name', 'demo');
  assert.match(readFileSync(join(dir, 'config'), 'utf8'), /get-token/);

  const version = await kubectl(['version', '-o', 'json']);
  assert.equal(version.code, 0, version.stderr);
  assert.match((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, /^v1\.32\.\d+-eks-berth$/);
  const ns = await kubectl(['get', 'namespaces', '-o', 'name']);
  assert.deepEqual(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  // The API server's own Service, at the first address of the cluster's serviceIpv4Cidr (EKS's default 10.100.0.0/16).
  for (let i = 0; i < 40 && (await kubectl(['get', 'service', 'kubernetes'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 250));
  assert.equal((await kubectl(['get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout, '10.100.0.1');
  // The cluster's CA, as DescribeCluster gives it to the kubeconfig, published in every namespace for pods (kube-root-ca.crt).
  const caData = /certificate-authority-data: (\S+)/.exec(readFileSync(join(dir, 'config'), 'utf8'))![1]!;
  for (let i = 0; i < 40 && (await kubectl(['get', 'configmap', 'kube-root-ca.crt'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 250));
  assert.equal((await kubectl(['-n', 'kube-system', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}'])).stdout, Buffer.from(caData, 'base64').toString('utf8'));

  const file = join(dir, 'cm.yaml');
  writeFileSync(file, configMap('hello'));
  assert.equal((await kubectl(['apply', '-f', file])).stdout.trim(), 'configmap/web created');
  writeFileSync(file, configMap('bonjour'));
  const diff = await kubectl(['diff', '-f', file]);
  assert.equal(diff.code, 1, 'kubectl diff exits 1 when there are differences');
  assert.match(diff.stdout, /^\+ {2}greeting: bonjour$/m);
  const ssa = await kubectl(['apply', '--server-side', '-f', file]);
  assert.equal(ssa.code, 0, ssa.stderr);
  assert.doesNotMatch(ssa.stderr, /rejected managed fields migration/);
  assert.equal((await kubectl(['get', 'configmap', 'web', '-o', 'jsonpath={.data.greeting}'])).stdout, 'bonjour');

  // A write from a stale read is refused with the API server's 409, and changes nothing.
  const stale = JSON.parse((await kubectl(['get', 'configmap', 'web', '-o', 'json'])).stdout) as { metadata: { resourceVersion: string }; data: Record<string, string> };
  await kubectl(['label', 'configmap', 'web', 'tier=front']);
  stale.data.greeting = 'stale';
  const replace = await kubectl(['replace', '-f', '-'], JSON.stringify(stale));
  assert.notEqual(replace.code, 0);
  assert.match(replace.stderr, /Operation cannot be fulfilled on configmaps "web": the object has been modified; please apply your changes to the latest version and try again/);
  assert.equal((await kubectl(['get', 'configmap', 'web', '-o', 'jsonpath={.data.greeting}'])).stdout, 'bonjour');
});

test('a cluster deleted and made again under its name starts with none of the old objects', async () => {
  await aws('eks', 'delete-cluster', '--name', 'demo');
  await aws('eks', 'wait', 'cluster-deleted', '--name', 'demo');
  await aws('eks', 'create-cluster', '--name', 'demo', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await aws('eks', 'wait', 'cluster-active', '--name', 'demo');
  await aws('eks', 'update-kubeconfig', '--name', 'demo');
  const cms = await kubectl(['get', 'configmaps', '-o', 'name']);
  assert.equal(cms.code, 0, cms.stderr);
  // Nothing of the old cluster's; at most the new one's own CA ConfigMap.
  assert.deepEqual(cms.stdout.trim().split('\n').filter((l) => l !== '' && l !== 'configmap/kube-root-ca.crt'), []);
});
