// Role sessions through the real clients against `berth up`: who the caller is (STS
// GetCallerIdentity), temporary credentials (STS AssumeRole) that the ECS API accepts as
// the role's, and the refusals AWS gives for a tampered secret or token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsEnv, awsFails, type AwsCli, PYTHON3 } from './support/aws-cli.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

const ROLE = 'arn:aws:iam::000000000000:role/app';
interface Session { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string }

/** The CLI with a session's credentials instead of the long-term test keys. */
async function asSession(cli: AwsCli, s: Session, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...awsEnv(), AWS_ACCESS_KEY_ID: s.AccessKeyId, AWS_SECRET_ACCESS_KEY: s.SecretAccessKey, AWS_SESSION_TOKEN: s.SessionToken };
  const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, '--output', 'json', ...args], { env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

for (const cli of AWS_CLIS) {
  describe(cli.name, () => {
    test('get-caller-identity: long-term keys are the account root; an assumed role session is the role', async () => {
      const root = await aws<{ Arn: string; Account: string; UserId: string }>(cli, berth.endpoint, ['sts', 'get-caller-identity']);
      assert.deepEqual(root, { UserId: '000000000000', Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });

      const assumed = await aws<{ Credentials: Session; AssumedRoleUser: { Arn: string; AssumedRoleId: string } }>(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'ci-run', '--duration-seconds', '900']);
      const c = assumed.Credentials;
      assert.match(c.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
      assert.equal(assumed.AssumedRoleUser.Arn, 'arn:aws:sts::000000000000:assumed-role/app/ci-run');
      const expires = Date.parse(c.Expiration) - Date.now();
      assert.ok(expires > 13 * 60_000 && expires <= 15 * 60_000, `expires in ${expires} ms, asked 900 s`);

      const who = await asSession(cli, c, ['sts', 'get-caller-identity']);
      assert.equal(who.code, 0, who.err);
      const me = JSON.parse(who.out) as { Arn: string; UserId: string; Account: string };
      assert.equal(me.Arn, 'arn:aws:sts::000000000000:assumed-role/app/ci-run');
      assert.equal(me.UserId, assumed.AssumedRoleUser.AssumedRoleId);
      assert.equal(me.Account, '000000000000');

      const listed = await asSession(cli, c, ['ecs', 'list-clusters']);
      assert.equal(listed.code, 0, listed.err);
      assert.ok(Array.isArray((JSON.parse(listed.out) as { clusterArns: unknown[] }).clusterArns));
    });

    test('a wrong secret, a forged token and a bad request are refused with AWS words, for ECS (JSON) and STS (Query)', async () => {
      const { Credentials: c } = await aws<{ Credentials: Session }>(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'refusals']);
      const wrongSecret = await asSession(cli, { ...c, SecretAccessKey: 'x'.repeat(40) }, ['ecs', 'list-clusters']);
      assert.match(wrongSecret.err, /\(InvalidSignatureException\).*The request signature we calculated does not match/s);
      const forged = await asSession(cli, { ...c, SessionToken: `${c.SessionToken.slice(0, -4)}AAAA` }, ['ecs', 'list-clusters']);
      assert.match(forged.err, /\(UnrecognizedClientException\).*The security token included in the request is invalid\./s);
      const forgedSts = await asSession(cli, { ...c, SessionToken: `${c.SessionToken.slice(0, -4)}AAAA` }, ['sts', 'get-caller-identity']);
      assert.match(forgedSts.err, /\(InvalidClientTokenId\).*The security token included in the request is invalid\./s);
      const wrongSts = await asSession(cli, { ...c, SecretAccessKey: 'x'.repeat(40) }, ['sts', 'get-caller-identity']);
      assert.match(wrongSts.err, /\(SignatureDoesNotMatch\)/);

      const other = await awsFails(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', 'arn:aws:iam::111111111111:role/app', '--role-session-name', 'x1']);
      assert.equal(other.code, 'AccessDenied');
      assert.match(other.message, /^User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role\/app/);
      const badName = await awsFails(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'has space']);
      assert.equal(badName.code, 'ValidationError');
      assert.match(badName.message, /Value 'has space' at 'roleSessionName' failed to satisfy constraint/);
      // A session cannot assume roles (no role chaining without IAM's trust policies).
      const chained = await asSession(cli, c, ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'again']);
      assert.match(chained.err, /\(AccessDenied\)/);
    });
  });
}

test('boto3: assume_role, then get_caller_identity and ecs list_clusters with the session', async () => {
  const script = `
import boto3, json, sys
e = sys.argv[1]
sts = boto3.client('sts', endpoint_url=e, region_name='us-east-1')
c = sts.assume_role(RoleArn='${ROLE}', RoleSessionName='boto')['Credentials']
s = boto3.Session(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], region_name='us-east-1')
me = s.client('sts', endpoint_url=e).get_caller_identity()
n = len(s.client('ecs', endpoint_url=e).list_clusters()['clusterArns'])
print(json.dumps({'arn': me['Arn'], 'clusters': n}))
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { arn: string; clusters: number };
  assert.equal(out.arn, 'arn:aws:sts::000000000000:assumed-role/app/boto');
  assert.equal(typeof out.clusters, 'number');
});

test('a reset keeps the identity key: a session issued before it is still accepted after the reset and a restart', async () => {
  const cli = AWS_CLIS[0];
  const { Credentials: c } = await aws<{ Credentials: Session }>(cli, berth.endpoint, ['sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'outlives-reset']);
  const reset = await fetch(new URL('/_berth/reset', berth.endpoint), { method: 'POST' });
  assert.equal(reset.status, 200, await reset.text());
  // The restarted control plane reads the key from the store: the one the reset kept.
  await berth.kill9();
  await berth.restart();
  const who = await asSession(cli, c, ['sts', 'get-caller-identity']);
  assert.equal(who.code, 0, who.err);
  assert.equal((JSON.parse(who.out) as { Arn: string }).Arn, 'arn:aws:sts::000000000000:assumed-role/app/outlives-reset');
});
