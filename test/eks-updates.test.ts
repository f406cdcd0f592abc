// Changing an EKS cluster through the aws CLI: a version update (UPDATING → ACTIVE, its API
// server serving the new version on the same port), config updates, DescribeUpdate and
// ListUpdates, tags, and access entries with their policies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsEnv, awsFails } from './support/aws-cli.ts';
import { run } from './support/run.ts';
import { startEksBerth, type EksBerth } from './support/eks-berth.ts';
import { until } from './support/until.ts';

const cli = AWS_CLIS[0];
let berth: EksBerth;
const eks = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['eks', ...args]);
const ARN = 'arn:aws:eks:us-east-1:000000000000:cluster/up';

before(async () => {
  berth = await startEksBerth();
  await eks('create-cluster', '--name', 'up', '--kubernetes-version', '1.31', '--role-arn', 'arn:aws:iam::000000000000:role/eks', '--resources-vpc-config', 'subnetIds=subnet-a');
  await eks('wait', 'cluster-active', '--name', 'up');
});
after(async () => {
  await berth?.stop();
});

interface Update { id: string; status: string; type: string; params: { type: string; value: string }[] }

test('a version update: one minor version up, served on the same port, then Successful', async () => {
  const before = (await eks<{ cluster: { endpoint: string } }>('describe-cluster', '--name', 'up')).cluster;
  const skip = await awsFails(cli, berth.endpoint, ['eks', 'update-cluster-version', '--name', 'up', '--kubernetes-version', '1.33']);
  assert.equal(skip.code, 'InvalidParameterException');
  const { update } = await eks<{ update: Update }>('update-cluster-version', '--name', 'up', '--kubernetes-version', '1.32');
  assert.equal(update.type, 'VersionUpdate');
  assert.deepEqual(update.params[0], { type: 'Version', value: '1.32' });
  const done = await until('the update Successful', async () => {
    const u = (await eks<{ update: Update }>('describe-update', '--name', 'up', '--update-id', update.id)).update;
    return u.status === 'Successful' ? u : undefined;
  }, 30_000);
  assert.equal(done.id, update.id);
  const after = (await eks<{ cluster: { status: string; version: string; endpoint: string } }>('describe-cluster', '--name', 'up')).cluster;
  assert.deepEqual([after.status, after.version, after.endpoint], ['ACTIVE', '1.32', before.endpoint]);
  assert.ok([...berth.host.served.values()].some((s) => s.name === 'up' && s.version === '1.32'), 'the API server serves 1.32');
  assert.ok((await eks<{ updateIds: string[] }>('list-updates', '--name', 'up')).updateIds.includes(update.id));
  const unknown = await awsFails(cli, berth.endpoint, ['eks', 'describe-update', '--name', 'up', '--update-id', 'nope']);
  assert.deepEqual([unknown.code, unknown.message], ['ResourceNotFoundException', 'No update found for ID: nope.']);
});

test('config updates apply at once; the authentication mode only moves towards API', async () => {
  const logging = await eks<{ update: Update }>('update-cluster-config', '--name', 'up', '--logging', '{"clusterLogging":[{"types":["api"],"enabled":true}]}');
  assert.deepEqual([logging.update.type, logging.update.status], ['LoggingUpdate', 'Successful']);
  const described = (await eks<{ cluster: { logging: unknown } }>('describe-cluster', '--name', 'up')).cluster;
  assert.deepEqual(described.logging, { clusterLogging: [{ types: ['api'], enabled: true }] });
  const api = await eks<{ update: Update }>('update-cluster-config', '--name', 'up', '--access-config', 'authenticationMode=API');
  assert.equal(api.update.type, 'AccessConfigUpdate');
  const back = await awsFails(cli, berth.endpoint, ['eks', 'update-cluster-config', '--name', 'up', '--access-config', 'authenticationMode=API_AND_CONFIG_MAP']);
  assert.equal(back.code, 'InvalidParameterException');
});

test('tags on a cluster by ARN', async () => {
  await eks('tag-resource', '--resource-arn', ARN, '--tags', 'team=core,env=dev');
  await eks('untag-resource', '--resource-arn', ARN, '--tag-keys', 'env');
  assert.deepEqual((await eks<{ tags: Record<string, string> }>('list-tags-for-resource', '--resource-arn', ARN)).tags, { team: 'core' });
  const bad = await awsFails(cli, berth.endpoint, ['eks', 'list-tags-for-resource', '--resource-arn', 'arn:aws:eks:us-east-1:000000000000:cluster/none']);
  assert.equal(bad.code, 'NotFoundException');
  const malformed = await awsFails(cli, berth.endpoint, ['eks', 'tag-resource', '--resource-arn', 'arn:aws:s3:::bucket', '--tags', 'a=b']);
  assert.equal(malformed.code, 'BadRequestException');
});

test('access entries: the creator is an admin; entries, their policies and the errors EKS gives', async () => {
  assert.deepEqual((await eks<{ accessEntries: string[] }>('list-access-entries', '--cluster-name', 'up')).accessEntries, ['arn:aws:iam::000000000000:root']);
  const creator = await eks<{ associatedAccessPolicies: { policyArn: string; accessScope: { type: string } }[] }>('list-associated-access-policies', '--cluster-name', 'up', '--principal-arn', 'arn:aws:iam::000000000000:root');
  assert.deepEqual(creator.associatedAccessPolicies.map((p) => [p.policyArn, p.accessScope.type]), [['arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', 'cluster']]);
  const policies = await eks<{ accessPolicies: { name: string }[] }>('list-access-policies');
  assert.deepEqual(policies.accessPolicies.map((p) => p.name), ['AmazonEKSAdminPolicy', 'AmazonEKSClusterAdminPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSViewPolicy']);

  const role = 'arn:aws:iam::000000000000:role/dev';
  const made = await eks<{ accessEntry: { username: string; kubernetesGroups: string[]; type: string } }>('create-access-entry', '--cluster-name', 'up', '--principal-arn', role, '--kubernetes-groups', 'devs');
  assert.deepEqual(made.accessEntry, { ...made.accessEntry, username: 'arn:aws:sts::000000000000:assumed-role/dev/{{SessionName}}', kubernetesGroups: ['devs'], type: 'STANDARD' });
  const dup = await awsFails(cli, berth.endpoint, ['eks', 'create-access-entry', '--cluster-name', 'up', '--principal-arn', role]);
  assert.deepEqual([dup.code, dup.message], ['ResourceInUseException', 'The specified access entry resource is already in use on this cluster.']);
  const system = await awsFails(cli, berth.endpoint, ['eks', 'create-access-entry', '--cluster-name', 'up', '--principal-arn', 'arn:aws:iam::000000000000:role/x', '--kubernetes-groups', 'system:masters']);
  assert.equal(system.code, 'InvalidParameterException');
  await eks('update-access-entry', '--cluster-name', 'up', '--principal-arn', role, '--kubernetes-groups', 'devs', 'ops');
  assert.deepEqual((await eks<{ accessEntry: { kubernetesGroups: string[] } }>('describe-access-entry', '--cluster-name', 'up', '--principal-arn', role)).accessEntry.kubernetesGroups, ['devs', 'ops']);
  await eks('associate-access-policy', '--cluster-name', 'up', '--principal-arn', role, '--policy-arn', 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy', '--access-scope', 'type=namespace,namespaces=web');
  const badPolicy = await awsFails(cli, berth.endpoint, ['eks', 'associate-access-policy', '--cluster-name', 'up', '--principal-arn', role, '--policy-arn', 'arn:aws:iam::aws:policy/AdministratorAccess', '--access-scope', 'type=cluster']);
  assert.equal(badPolicy.code, 'InvalidParameterException');
  assert.deepEqual((await eks<{ accessEntries: string[] }>('list-access-entries', '--cluster-name', 'up', '--associated-policy-arn', 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy')).accessEntries, [role]);

  // A session of the role, through kubectl: its token proves the session, its entry names the user.
  const dir = mkdtempSync(join(tmpdir(), 'berth-kubeconfig-'));
  try {
    const kubeconfig = join(dir, 'config');
    const up = await run(cli.bin, ['--endpoint-url', berth.endpoint, 'eks', 'update-kubeconfig', '--name', 'up', '--kubeconfig', kubeconfig], { env: awsEnv() });
    assert.equal(up.code, 0, up.stderr);
    const { Credentials: c } = await aws<{ Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }>(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', role, '--role-session-name', 'alice']);
    const env = { ...awsEnv(), KUBECONFIG: kubeconfig, AWS_ENDPOINT_URL: berth.endpoint, AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken };
    const whoami = await run('kubectl', ['auth', 'whoami', '-o', 'json'], { env });
    assert.equal(whoami.code, 0, whoami.stderr);
    const user = (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[]; extra: Record<string, string[]> } } }).status.userInfo;
    assert.equal(user.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
    assert.deepEqual(user.groups, ['devs', 'ops', 'system:authenticated']);
    assert.deepEqual(user.extra.accessKeyId, [c.AccessKeyId]);
    const wrongSecret = await run('kubectl', ['auth', 'whoami'], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) } });
    assert.notEqual(wrongSecret.code, 0);
    assert.match(wrongSecret.stderr, /Unauthorized/, 'a token signed with the wrong secret proves nothing');
    const forged = await run('kubectl', ['--token', 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8', 'version'], { env });
    assert.match(forged.stderr, /You must be logged in to the server/, 'a token that is no presigned URL proves nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  await eks('disassociate-access-policy', '--cluster-name', 'up', '--principal-arn', role, '--policy-arn', 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy');
  await eks('delete-access-entry', '--cluster-name', 'up', '--principal-arn', role);
  const gone = await awsFails(cli, berth.endpoint, ['eks', 'describe-access-entry', '--cluster-name', 'up', '--principal-arn', role]);
  assert.deepEqual([gone.code, gone.message], ['ResourceNotFoundException', "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."]);
});
