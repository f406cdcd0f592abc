// EKS access policies and RBAC through the real clients: `aws eks` access entries and
// policies, `aws sts assume-role` sessions, `aws eks update-kubeconfig`, then kubectl as each
// principal. The creator is an admin by its AmazonEKSClusterAdminPolicy (in no privileged
// group); AmazonEKSViewPolicy may read but not write; a namespace-scoped policy grants in its
// namespaces only; an entry's kubernetesGroups get what ordinary RBAC binds to them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsEnv } from './support/aws-cli.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';

const cli = AWS_CLIS[0];
// Berth's own Kubernetes API server behind EKS (no test host), as `berth up` serves it.
let server: RunningServer;
const berth = { get endpoint(): string {
  return server.url;
} };
let dataDir: string;
let dir: string;
const eks = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['eks', ...args]);
const POLICY = 'arn:aws:eks::aws:cluster-access-policy/';
const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-rbac-data-'));
  dir = mkdtempSync(join(tmpdir(), 'berth-eks-rbac-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {} });
  await eks('create-cluster', '--name', 'rb', '--role-arn', role('eks'), '--resources-vpc-config', 'subnetIds=subnet-a');
  await eks('wait', 'cluster-active', '--name', 'rb');
  const up = await run(cli.bin, ['--endpoint-url', berth.endpoint, 'eks', 'update-kubeconfig', '--name', 'rb', '--kubeconfig', join(dir, 'config')], { env: awsEnv() });
  assert.equal(up.code, 0, up.stderr);
});
after(async () => {
  await server?.close();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

interface Session { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }
/** One session per role for the whole file (an hour long): assuming a role per command is slow. */
const sessions = new Map<string, Session>();

/** kubectl as the creator (the CLI's own credentials), or as a session of `roleName`. */
async function kubectlAs(roleName: string | undefined, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let env: Record<string, string> = { ...awsEnv(), KUBECONFIG: join(dir, 'config'), KUBECACHEDIR: join(dir, 'cache'), AWS_ENDPOINT_URL: berth.endpoint };
  if (roleName !== undefined) {
    let c = sessions.get(roleName);
    if (!c) {
      c = (await aws<{ Credentials: Session }>(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', role(roleName), '--role-session-name', 'alice'])).Credentials;
      sessions.set(roleName, c);
    }
    env = { ...env, AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken };
  }
  return run('kubectl', args, { env });
}

const writeTemp = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const ok = async (roleName: string | undefined, args: string[]): Promise<string> => {
  const r = await kubectlAs(roleName, args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

test('the creator is an admin by its access policy, in no privileged group', async () => {
  const who = JSON.parse(await ok(undefined, ['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { groups: string[] } } };
  assert.deepEqual(who.status.userInfo.groups, ['system:authenticated']);
  assert.equal((await ok(undefined, ['auth', 'can-i', '*', '*'])).trim(), 'yes');
  await ok(undefined, ['create', 'namespace', 'web']);
  await ok(undefined, ['create', 'configmap', 'app', '-n', 'web', '--from-literal=a=1']);
});

test('AmazonEKSViewPolicy reads but does not write; a namespace scope grants in its namespaces only', async () => {
  await eks('create-access-entry', '--cluster-name', 'rb', '--principal-arn', role('viewer'));
  await eks('associate-access-policy', '--cluster-name', 'rb', '--principal-arn', role('viewer'), '--policy-arn', `${POLICY}AmazonEKSViewPolicy`, '--access-scope', 'type=cluster');
  assert.match(await ok('viewer', ['get', 'configmap', 'app', '-n', 'web']), /^app\s+1\s+/m);
  const write = await kubectlAs('viewer', ['create', 'configmap', 'x', '-n', 'web', '--from-literal=a=1']);
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /configmaps is forbidden: User "arn:aws:sts::000000000000:assumed-role\/viewer\/alice" cannot create resource "configmaps" in API group "" in the namespace "web"/);
  assert.equal((await kubectlAs('viewer', ['get', 'secrets', '-n', 'web'])).code === 0, false, 'view does not read secrets');
  assert.equal((await ok('viewer', ['auth', 'can-i', 'list', 'pods', '-A'])).trim(), 'yes');

  await eks('create-access-entry', '--cluster-name', 'rb', '--principal-arn', role('editor'));
  await eks('associate-access-policy', '--cluster-name', 'rb', '--principal-arn', role('editor'), '--policy-arn', `${POLICY}AmazonEKSEditPolicy`, '--access-scope', 'type=namespace,namespaces=web');
  assert.equal((await ok('editor', ['create', 'configmap', 'x', '-n', 'web', '--from-literal=a=1'])).trim(), 'configmap/x created');
  assert.equal((await kubectlAs('editor', ['auth', 'can-i', 'create', 'configmaps', '-n', 'default'])).stdout.trim(), 'no');
  // Disassociating takes effect at the next request: the entry is read per request.
  await eks('disassociate-access-policy', '--cluster-name', 'rb', '--principal-arn', role('editor'), '--policy-arn', `${POLICY}AmazonEKSEditPolicy`);
  assert.equal((await kubectlAs('editor', ['auth', 'can-i', 'create', 'configmaps', '-n', 'web'])).stdout.trim(), 'no');
});

test('an entry\'s kubernetesGroups get what a Role and RoleBinding grant them, in that namespace only', async () => {
  await eks('create-access-entry', '--cluster-name', 'rb', '--principal-arn', role('dev'), '--kubernetes-groups', 'devs');
  assert.match((await kubectlAs('dev', ['get', 'cm', '-n', 'web'])).stderr, /Forbidden/, 'no policy, no binding: nothing');
  // Applied server-side, then client-side with one verb more, on the cluster's real schemas.
  const roleYaml = (verbs: string) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: cm, namespace: web}\nrules:\n- {apiGroups: [""], resources: [configmaps], verbs: [${verbs}]}\n`;
  await ok(undefined, ['apply', '--server-side', '-f', writeTemp('role.yaml', roleYaml('get, list'))]);
  assert.match(await ok(undefined, ['apply', '--server-side', '--force-conflicts', '-f', writeTemp('role.yaml', roleYaml('get, list, create'))]), /role\.rbac\.authorization\.k8s\.io\/cm serverside-applied/);
  assert.equal(await ok(undefined, ['get', 'role', 'cm', '-n', 'web', '-o', 'jsonpath={.rules[0].verbs}']), '["get","list","create"]');
  await ok(undefined, ['create', 'rolebinding', 'devs-cm', '-n', 'web', '--role=cm', '--group=devs']);
  await until('the binding to reach the authorizer', async () => ((await kubectlAs('dev', ['auth', 'can-i', 'create', 'configmaps', '-n', 'web'])).stdout.trim() === 'yes' ? true : undefined), 10_000);
  assert.equal((await ok('dev', ['create', 'configmap', 'y', '-n', 'web', '--from-literal=a=1'])).trim(), 'configmap/y created');
  const other = await kubectlAs('dev', ['get', 'cm', '-n', 'default']);
  assert.match(other.stderr, /configmaps is forbidden: User "arn:aws:sts::000000000000:assumed-role\/dev\/alice" cannot list resource "configmaps" in API group "" in the namespace "default"/);
  assert.equal((await kubectlAs('dev', ['auth', 'can-i', 'create', 'configmaps', '-n', 'default'])).stdout.trim(), 'no');
});

test('after a restart the same grants hold: the cache loads what was stored, the bootstrap writes nothing new', async () => {
  const port = server.port;
  const before = JSON.parse(await ok(undefined, ['get', 'clusterrole', 'view', '-o', 'json'])) as { metadata: { resourceVersion: string } };
  await server.close();
  server = await startServer({ host: '127.0.0.1', port, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {} });
  await until('the cluster\'s API server again', async () => ((await kubectlAs(undefined, ['get', 'ns', 'web'])).code === 0 ? true : undefined), 30_000);
  assert.equal((await ok('dev', ['auth', 'can-i', 'create', 'configmaps', '-n', 'web'])).trim(), 'yes', 'the RoleBinding, loaded at start');
  assert.equal((await kubectlAs('viewer', ['auth', 'can-i', 'create', 'configmaps', '-n', 'web'])).stdout.trim(), 'no');
  const after = JSON.parse(await ok(undefined, ['get', 'clusterrole', 'view', '-o', 'json'])) as { metadata: { resourceVersion: string } };
  assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'view was not rewritten');
});
