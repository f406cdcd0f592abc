// Tokens as `aws eks get-token` (the aws CLI v1 on PATH, what kubeconfig runs) makes them,
// checked by a cluster's Authenticate: session credentials in full, long-term keys as the
// root, and forged, expired, other clusters' or other services' tokens refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { issueSessionCredentials } from '../../identity/session-credentials.ts';
import { associatePolicy, newAccessEntry, POLICY_ARN_PREFIX, type AccessEntryRecord } from '../../core/eks/access.ts';
import { checkToken, eksAuthenticator, TOKEN_LIFETIME_MS } from './authenticate.ts';

const KEY = Buffer.alloc(32, 9);
const ACCOUNT = '000000000000';
const ROLE = 'arn:aws:iam::000000000000:role/dev';
const CLUSTER_ARN = 'arn:aws:eks:us-east-1:000000000000:cluster/demo';

function getToken(cluster: string, env: Record<string, string>): string {
  const out = execFileSync('aws', ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', cluster], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...env },
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { status: { token: string } }).status.token;
}

const creds = issueSessionCredentials(KEY, { roleArn: ROLE, sessionName: 'alice' }, Date.now(), Buffer.from('0123456789'));
const sessionEnv = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken };
const token = getToken('demo', sessionEnv);
const otherCluster = getToken('other', sessionEnv);
const rootToken = getToken('demo', { AWS_ACCESS_KEY_ID: 'AKIDBERTHTEST', AWS_SECRET_ACCESS_KEY: 'anything' });

const entries = new Map<string, AccessEntryRecord>([
  [ROLE, newAccessEntry('demo', CLUSTER_ARN, 'e1', { principalArn: ROLE, kubernetesGroups: ['devs'] }, 0)],
  [`arn:aws:iam::${ACCOUNT}:root`, associatePolicy(newAccessEntry('demo', CLUSTER_ARN, 'e2', { principalArn: `arn:aws:iam::${ACCOUNT}:root` }, 0), `${POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`, { type: 'cluster' }, 0)],
]);
const options = { identityKey: KEY, accountId: ACCOUNT, clusterName: 'demo', isBerthHost: (h: string) => h === '127.0.0.1:8700' };
const authenticate = eksAuthenticator({ ...options, accessEntry: async (arn) => entries.get(arn) });

test('a session\'s token is its role\'s entry\'s user', async () => {
  const user = await authenticate(token, Date.now());
  assert.equal(user?.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
  assert.deepEqual(user?.groups, ['devs', 'system:authenticated']);
  assert.deepEqual(user?.extra?.accessKeyId, [creds.accessKeyId]);
});

test('a verified token is remembered until it expires, and its entry is read every time', async () => {
  let entry: AccessEntryRecord | undefined = entries.get(ROLE);
  const auth = eksAuthenticator({ ...options, accessEntry: async () => entry });
  const now = Date.now();
  assert.equal((await auth(token, now))?.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
  assert.equal((await auth(token, now + 1000))?.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
  entry = undefined;
  assert.equal(await auth(token, now + 2000), undefined, 'a deleted entry locks the user out at once');
  entry = entries.get(ROLE);
  assert.equal(await auth(token, now + TOKEN_LIFETIME_MS + 1000), undefined, 'a remembered token still expires');
});

test('with entry revisions, a remembered token\'s user is reused while its entry\'s revision holds, made again when it moves, refused when it goes', async () => {
  let entry: AccessEntryRecord | undefined = entries.get(ROLE);
  let revision: number | undefined = 7;
  let reads = 0;
  const auth = eksAuthenticator({ ...options, accessEntry: async () => { reads++; return entry; }, accessEntryRevision: async () => revision });
  const now = Date.now();
  const first = await auth(token, now);
  assert.deepEqual(first?.groups, ['devs', 'system:authenticated']);
  assert.equal(await auth(token, now + 1000), first, 'the same user, the entry not read again');
  assert.equal(reads, 1);
  entry = { ...entry!, kubernetesGroups: ['admins'] };
  revision = 8;
  assert.deepEqual((await auth(token, now + 2000))?.groups, ['admins', 'system:authenticated'], 'a changed entry is read again at once');
  assert.equal(reads, 2);
  revision = undefined;
  assert.equal(await auth(token, now + 3000), undefined, 'a deleted entry locks the user out at once');
  revision = 9;
  assert.equal(await auth(token, now + TOKEN_LIFETIME_MS + 1000), undefined, 'a remembered token still expires');
  // A token that differs from a remembered one is checked on its own, never taken for it.
  const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BA' : 'AA');
  assert.equal(await auth(tampered, now), undefined);
  assert.equal((await auth(token, now))?.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
});

test('a long-term key\'s token is the root\'s (Berth holds no secret to check it with)', async () => {
  const user = await authenticate(rootToken, Date.now());
  assert.equal(user?.username, 'arn:aws:iam::000000000000:root');
  assert.deepEqual(user?.groups, ['system:authenticated'], 'the creator is an admin by its access policy, in no privileged group');
  assert.deepEqual(user?.accessPolicies, [{ clusterRole: 'cluster-admin' }]);
});

test('another cluster\'s, an expired, a tampered or a foreign token proves nothing', async () => {
  assert.equal(await authenticate(otherCluster, Date.now()), undefined, 'x-k8s-aws-id is signed: another cluster\'s does not verify');
  assert.deepEqual(checkToken(otherCluster, Date.now(), options), { ok: false, why: 'signature does not hold for this cluster' });
  assert.equal(await authenticate(token, Date.now() + TOKEN_LIFETIME_MS + 1000), undefined, 'past 15 minutes');
  const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
  const encode = (u: string) => `k8s-aws-v1.${Buffer.from(u).toString('base64url')}`;
  const sig = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)![1]!;
  const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
  assert.equal(await authenticate(encode(url.replace(sig, flipped)), Date.now()), undefined, 'a changed signature');
  assert.equal(await authenticate(encode(url.replace('Action=GetCallerIdentity', 'Action=GetSessionToken')), Date.now()), undefined, 'another action');
  assert.equal(await authenticate(encode(url.replace('sts.us-east-1.amazonaws.com', 'evil.example.com')), Date.now()), undefined, 'another host');
  assert.equal(await authenticate(encode(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=3600')), Date.now()), undefined, 'asks for more than 15 minutes');
  const otherKey = eksAuthenticator({ ...options, identityKey: Buffer.alloc(32, 1), accessEntry: async (arn) => entries.get(arn) });
  assert.equal(await otherKey(token, Date.now()), undefined, 'a session token another control plane sealed');
  for (const junk of ['', 'k8s-aws-v1.', 'k8s-aws-v1.!!!', 'Bearer x', encode('not a url')]) assert.equal(await authenticate(junk, Date.now()), undefined, junk);
  const noEntry = eksAuthenticator({ ...options, accessEntry: async () => undefined });
  assert.equal(await noEntry(token, Date.now()), undefined, 'a principal without an access entry');
});

test('a token presigned for Berth\'s own address is accepted as its STS', () => {
  const local = getToken('demo', { ...sessionEnv, AWS_ENDPOINT_URL: 'http://127.0.0.1:8700' });
  assert.match(Buffer.from(local.slice(11), 'base64url').toString(), /^http:\/\/127\.0\.0\.1:8700\/\?Action=GetCallerIdentity/);
  const checked = checkToken(local, Date.now(), options);
  assert.ok(checked.ok, JSON.stringify(checked));
  assert.equal(checkToken(local, Date.now(), { ...options, isBerthHost: () => false }).ok, false);
});
