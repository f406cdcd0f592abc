// Service account tokens of an EKS cluster through the real clients: `kubectl create token`,
// then kubectl and @kubernetes/client-node with that token alone (no AWS credentials): who it
// is, what RBAC lets it do, and the API server's 401 for an expired token, another cluster's
// token, and a token whose service account or bound Secret is gone. The cluster's OIDC issuer
// (DescribeCluster's identity.oidc.issuer) answers discovery, and its keys verify the tokens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { eksKeys } from '../src/core/eks/keys.ts';
import { issueServiceAccountToken, type SigningKey } from '../src/identity/service-account-token.ts';

const cli = AWS_CLIS[1];
let server: RunningServer;
let dataDir: string;
let dir: string;
const clusters: Record<string, { endpoint: string; ca: string; issuer: string }> = {};
const eks = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, server.url, ['eks', ...args]);

async function createCluster(name: string): Promise<void> {
  await eks('create-cluster', '--name', name, '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await eks('wait', 'cluster-active', '--name', name);
  const c = (await eks<{ cluster: { endpoint: string; certificateAuthority: { data: string }; identity: { oidc: { issuer: string } } } }>('describe-cluster', '--name', name)).cluster;
  const ca = Buffer.from(c.certificateAuthority.data, 'base64').toString('utf8');
  writeFileSync(join(dir, `${name}-ca.crt`), ca);
  clusters[name] = { endpoint: c.endpoint, ca, issuer: c.identity.oidc.issuer };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-eks-sat-data-'));
  dir = mkdtempSync(join(tmpdir(), 'berth-eks-sat-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir, accountId: '000000000000', region: 'us-east-1', log: () => {} });
  await createCluster('sat');
  await createCluster('other');
});
after(async () => {
  await server?.close();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

/**
 * kubectl as the cluster's creator: `aws eks get-token` once per cluster (what
 * update-kubeconfig's exec plugin runs before every kubectl; good for 15 minutes, longer than
 * this file takes), then its token, so each call does not start the aws CLI again.
 */
const adminTokens = new Map<string, string>();
async function adminRun(cluster: string, args: string[], input?: string) {
  let token = adminTokens.get(cluster);
  if (!token) {
    token = (await eks<{ status: { token: string } }>('get-token', '--cluster-name', cluster)).status.token;
    adminTokens.set(cluster, token);
  }
  return withToken(cluster, token, args, input);
}
async function admin(cluster: string, args: string[], input?: string): Promise<string> {
  const r = await adminRun(cluster, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** kubectl with a bearer token and nothing else: an empty kubeconfig, the server and its CA on the command line. */
function withToken(cluster: string, token: string, args: string[], input?: string) {
  const empty = join(dir, 'empty.config');
  writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
  const c = clusters[cluster]!;
  return run('kubectl', ['--kubeconfig', empty, '--server', c.endpoint, '--certificate-authority', join(dir, `${cluster}-ca.crt`), '--token', token, ...args], { env: { PATH: process.env.PATH ?? '' }, ...(input !== undefined && { input }) });
}

test('kubectl create token: the token is the service account, for an hour by default, from the cluster\'s issuer', async () => {
  await admin('sat', ['create', 'namespace', 'shop']);
  await admin('sat', ['create', 'serviceaccount', 'robot', '-n', 'shop']);
  const token = (await admin('sat', ['create', 'token', 'robot', '-n', 'shop'])).trim();
  const claims = decodeJwt(token);
  assert.equal(claims.iss, clusters.sat!.endpoint, 'the issuer is the cluster\'s endpoint');
  assert.equal(clusters.sat!.issuer, clusters.sat!.endpoint, 'DescribeCluster names it');
  assert.equal(claims.exp! - claims.iat!, 3600);
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc']);

  const who = await withToken('sat', token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const info = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups: string[]; uid: string } } }).status.userInfo;
  assert.equal(info.username, 'system:serviceaccount:shop:robot');
  assert.deepEqual(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated']);
  const sa = JSON.parse(await admin('sat', ['get', 'serviceaccount', 'robot', '-n', 'shop', '-o', 'json'])) as { metadata: { uid: string } };
  assert.equal(info.uid, sa.metadata.uid);

  const long = decodeJwt((await admin('sat', ['create', 'token', 'robot', '-n', 'shop', '--duration', '2h', '--audience', 'vault'])).trim());
  assert.deepEqual([long.exp! - long.iat!, long.aud], [7200, ['vault']]);
  const short = await adminRun('sat', ['create', 'token', 'robot', '-n', 'shop', '--duration', '5m']);
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
  const missing = await adminRun('sat', ['create', 'token', 'nobody', '-n', 'shop']);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
});

test('RBAC decides what the token may do: forbidden until a RoleBinding names the service account', async () => {
  await admin('sat', ['create', 'configmap', 'menu', '-n', 'shop', '--from-literal=dish=soup']);
  const token = (await admin('sat', ['create', 'token', 'robot', '-n', 'shop'])).trim();
  const denied = await withToken('sat', token, ['get', 'configmaps', '-n', 'shop']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /configmaps is forbidden: User "system:serviceaccount:shop:robot" cannot list resource "configmaps" in API group "" in the namespace "shop"/);
  await admin('sat', ['create', 'rolebinding', 'robot-view', '-n', 'shop', '--clusterrole', 'view', '--serviceaccount', 'shop:robot']);
  const allowed = await withToken('sat', token, ['get', 'configmap', 'menu', '-n', 'shop', '-o', 'jsonpath={.data.dish}']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(allowed.stdout, 'soup');
  const write = await withToken('sat', token, ['create', 'configmap', 'x', '-n', 'shop']);
  assert.match(write.stderr, /configmaps is forbidden: User "system:serviceaccount:shop:robot" cannot create resource "configmaps"/);
  assert.equal((await withToken('sat', token, ['get', 'configmaps', '-n', 'default'])).code, 1, 'the binding is in shop only');

  // @kubernetes/client-node with the token alone.
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sat', server: clusters.sat!.endpoint, caData: Buffer.from(clusters.sat!.ca).toString('base64') }],
    users: [{ name: 'robot', token }], contexts: [{ name: 'robot', cluster: 'sat', user: 'robot' }], currentContext: 'robot',
  });
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const list = await api.listNamespacedConfigMap({ namespace: 'shop' });
  assert.ok(list.items.some((c) => c.metadata?.name === 'menu'));
  await assert.rejects(api.listNamespacedConfigMap({ namespace: 'default' }), (e: { code?: number }) => e.code === 403);
});

const unauthorized = (r: { code: number; stderr: string }) => {
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
};

test('401 Unauthorized: an expired token, another cluster\'s, a forged one, a deleted service account\'s, a deleted bound Secret\'s', async () => {
  // Signed with this cluster's own key (read from its keys, as only the control plane can) but an hour and two minutes old.
  const scope = { account: '000000000000', region: 'us-east-1' };
  const secrets = JSON.parse((await server.store.get(eksKeys.secrets(scope, 'sat')))!.value) as { serviceAccountKey: SigningKey };
  const sa = JSON.parse(await admin('sat', ['get', 'serviceaccount', 'robot', '-n', 'shop', '-o', 'json'])) as { metadata: { uid: string } };
  const past = Math.floor(Date.now() / 1000) - 3720;
  const expired = await issueServiceAccountToken(secrets.serviceAccountKey, { namespace: 'shop', serviceAccount: { name: 'robot', uid: sa.metadata.uid } },
    { issuer: clusters.sat!.issuer, expirationSeconds: 3600, now: past, id: 'expired' });
  unauthorized(await withToken('sat', expired, ['get', 'configmaps', '-n', 'shop']));

  await admin('other', ['create', 'namespace', 'shop']);
  await admin('other', ['create', 'serviceaccount', 'robot', '-n', 'shop']);
  const foreign = (await admin('other', ['create', 'token', 'robot', '-n', 'shop'])).trim();
  assert.equal((await withToken('other', foreign, ['auth', 'whoami'])).code, 0, 'good on its own cluster');
  unauthorized(await withToken('sat', foreign, ['auth', 'whoami']));

  const good = (await admin('sat', ['create', 'token', 'robot', '-n', 'shop'])).trim();
  const [h, p, s] = good.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(good), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
  assert.notEqual(p, forged.split('.')[1]);
  unauthorized(await withToken('sat', forged, ['auth', 'whoami']));

  await admin('sat', ['create', 'secret', 'generic', 'ticket', '-n', 'shop']);
  const bound = (await admin('sat', ['create', 'token', 'robot', '-n', 'shop', '--bound-object-kind', 'Secret', '--bound-object-name', 'ticket'])).trim();
  assert.equal((await withToken('sat', bound, ['auth', 'whoami'])).code, 0);
  await admin('sat', ['delete', 'secret', 'ticket', '-n', 'shop']);
  unauthorized(await withToken('sat', bound, ['auth', 'whoami']));

  assert.equal((await withToken('sat', good, ['auth', 'whoami'])).code, 0);
  await admin('sat', ['delete', 'serviceaccount', 'robot', '-n', 'shop']);
  unauthorized(await withToken('sat', good, ['auth', 'whoami']));
  await admin('sat', ['create', 'serviceaccount', 'robot', '-n', 'shop']);
  unauthorized(await withToken('sat', good, ['auth', 'whoami']));
});

function getJson(url: string, ca: string): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(text) as unknown }));
    }).on('error', reject).end();
  });
}

test('OIDC discovery at the issuer, unauthenticated: its JWKS verifies the cluster\'s tokens', async () => {
  const { issuer, ca } = clusters.sat!;
  const config = await getJson(`${issuer}/.well-known/openid-configuration`, ca);
  assert.equal(config.status, 200);
  const doc = config.body as { issuer: string; jwks_uri: string };
  assert.deepEqual(doc, { issuer, jwks_uri: `${issuer}/openid/v1/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] });
  const keys = await getJson(doc.jwks_uri, ca);
  assert.deepEqual([keys.status, keys.type], [200, 'application/jwk-set+json']);
  const token = (await admin('sat', ['create', 'token', 'robot', '-n', 'shop', '--audience', 'sts.amazonaws.com'])).trim();
  const verified = await jwtVerify(token, createLocalJWKSet(keys.body as JSONWebKeySet), { issuer, audience: 'sts.amazonaws.com' });
  assert.equal(verified.payload.sub, 'system:serviceaccount:shop:robot');
  const foreign = (await admin('other', ['create', 'token', 'robot', '-n', 'shop'])).trim();
  await assert.rejects(jwtVerify(foreign, createLocalJWKSet(keys.body as JSONWebKeySet)));
});

test('a kubernetes.io/service-account-token Secret is filled by the token controller; its token works until the account goes, and the Secret with it', async () => {
  await admin('sat', ['create', 'serviceaccount', 'legacy', '-n', 'shop']);
  await admin('sat', ['apply', '-f', '-'], `apiVersion: v1
kind: Secret
metadata:
  name: legacy-token
  namespace: shop
  annotations:
    kubernetes.io/service-account.name: legacy
type: kubernetes.io/service-account-token
`);
  let data: Record<string, string> = {};
  await until('the token controller fills the Secret', async () => {
    const s = JSON.parse(await admin('sat', ['get', 'secret', 'legacy-token', '-n', 'shop', '-o', 'json'])) as { data?: Record<string, string> };
    data = s.data ?? {};
    return data.token !== undefined ? true : undefined;
  }, 20_000);
  assert.equal(Buffer.from(data.namespace!, 'base64').toString(), 'shop');
  const token = Buffer.from(data.token!, 'base64').toString();
  assert.equal(decodeJwt(token).iss, 'kubernetes/serviceaccount');
  const who = await withToken('sat', token, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(who.stdout, 'system:serviceaccount:shop:legacy', who.stderr);
  const sa = JSON.parse(await admin('sat', ['get', 'secret', 'legacy-token', '-n', 'shop', '-o', 'json'])) as { metadata: { annotations: Record<string, string> } };
  const uid = (JSON.parse(await admin('sat', ['get', 'serviceaccount', 'legacy', '-n', 'shop', '-o', 'json'])) as { metadata: { uid: string } }).metadata.uid;
  assert.equal(sa.metadata.annotations['kubernetes.io/service-account.uid'], uid);

  await admin('sat', ['delete', 'serviceaccount', 'legacy', '-n', 'shop']);
  unauthorized(await withToken('sat', token, ['auth', 'whoami']));
  await until('the Secret deleted with its account', async () => ((await adminRun('sat', ['get', 'secret', 'legacy-token', '-n', 'shop'])).code !== 0 ? true : undefined), 20_000);
});
