// Issue 16 item 2 from inside running tasks: a task whose definition names a taskRoleArn
// gets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; busybox's wget reads its role's credentials
// at 169.254.170.2 (bridge, awsvpc and Fargate in its gVisor sandbox), and Berth's own API
// accepts them as that role's session named for the task (aws sts get-caller-identity,
// aws ecs list-tasks with them). A task without a role gets no URI and no credentials, and
// a task asking with another task's id is refused. The aws CLI inside a task (the host's
// own aws CLI v1, bound read-only into a busybox task) calls Berth with no configuration:
// AWS_ENDPOINT_URL (169.254.170.2, relayed by the agent), the region and the role's
// credentials all come from the environment the agent gives the container.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws, awsEnv } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';
import { DEFAULT_METADATA_PORT } from '../src/runtime/network/config.ts';
import { execInTask, runTaskRunning } from './support/task-shell.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const exec = (task: string, ...cmd: string[]) => execInTask(berth.endpoint, task, ...cmd);
const ROLE = 'arn:aws:iam::000000000000:role/app';
const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
const SLEEP = ['sh', '-c', 'while :; do sleep 1; done'];

/** The aws CLI v1 as the task sees it: the host's, bound read-only. */
let awsInTask = '';

interface Creds { RoleArn: string; AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string }

const runTask = (family: string, extra: string[] = []) => runTaskRunning(ecs, family, extra);

/** The task's own credentials, read inside it from the URI its environment names. */
async function credentialsInside(task: string): Promise<Creds> {
  const r = await exec(task, 'sh', '-c', 'wget -q -O - "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" 2>&1');
  assert.equal(r.code, 0, r.out || r.err);
  return JSON.parse(r.out) as Creds;
}

/** The aws CLI on the host with a task's credentials: what the CLI inside the task would send. */
async function asTask(c: Creds, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...awsEnv(undefined, cli), AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.Token };
  const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, '--output', 'json', ...args], { env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

before(async () => {
  berth = await startBerthWithSamples();
  for (const [family, extra] of [
    ['cr-bridge', { networkMode: 'bridge', containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 64, command: SLEEP, stopTimeout: 1 }] }],
    ['cr-vpc', { networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'app', image: 'berth/sleep', command: SLEEP, stopTimeout: 1 }] }],
    ['cr-fargate', { networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: [{ name: 'app', image: 'berth/sleep', command: SLEEP, stopTimeout: 1 }] }],
  ] as const) {
    await ecs('register-task-definition', '--cli-input-json', JSON.stringify({ family, taskRoleArn: ROLE, ...extra }));
  }
  // The host's aws CLI v1 (its botocore reads AWS_ENDPOINT_URL; Debian's v2 2.9 does not), its Python and the system libraries they link.
  const prefix = (await run('python3', ['-c', 'import sys; print(sys.prefix)'])).stdout.trim();
  awsInTask = `${prefix}/bin/aws`;
  const hostPaths = ['/usr', '/lib', '/lib64', ...(prefix.startsWith('/usr/') ? [] : [prefix])];
  for (const [family, networkMode] of [['cr-cli', 'bridge'], ['cr-cli-host', 'host']] as const) {
    await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
      family, networkMode, taskRoleArn: ROLE,
      volumes: hostPaths.map((p, i) => ({ name: `host${i}`, host: { sourcePath: p } })),
      containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 256, command: SLEEP, stopTimeout: 1, mountPoints: hostPaths.map((p, i) => ({ sourceVolume: `host${i}`, containerPath: p, readOnly: true })) }],
    }));
  }
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({ family: 'cr-none', networkMode: 'bridge', containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 64, command: SLEEP, stopTimeout: 1 }] }));
});

after(async () => {
  await stopBerthAndTasks(berth, ecs, []);
});

describe('task role credentials', () => {
  test('bridge, awsvpc and Fargate: the role\'s credentials inside the task, accepted by Berth as the task\'s session of the role', async () => {
    const tasks = await Promise.all([
      runTask('cr-bridge'),
      runTask('cr-vpc', ['--network-configuration', NETWORK]),
      runTask('cr-fargate', ['--launch-type', 'FARGATE', '--network-configuration', NETWORK]),
    ]);
    for (const task of tasks) {
      const c = await credentialsInside(task);
      assert.equal(c.RoleArn, ROLE);
      assert.match(c.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
      assert.ok(Date.parse(c.Expiration) > Date.now() + 60 * 60_000, `valid for hours: ${c.Expiration}`);
      const who = await asTask(c, ['sts', 'get-caller-identity']);
      assert.equal(who.code, 0, who.err);
      assert.equal((JSON.parse(who.out) as { Arn: string }).Arn, `arn:aws:sts::000000000000:assumed-role/app/${task.split('/').at(-1)}`, task);
      const listed = await asTask(c, ['ecs', 'list-tasks']);
      assert.equal(listed.code, 0, listed.err);
      assert.ok((JSON.parse(listed.out) as { taskArns: string[] }).taskArns.includes(task));
    }
  });

  test('a task without a role gets no URI; a task asking with another task\'s id is refused', async () => {
    const [none, other] = await Promise.all([runTask('cr-none'), runTask('cr-bridge')]);
    assert.equal((await exec(none, 'sh', '-c', 'echo "[$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI]"')).out, '[]');
    const otherUri = (await exec(other, 'sh', '-c', 'echo $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')).out;
    assert.match(otherUri, /^\/v2\/credentials\/[0-9a-f-]{36}$/);
    const stolen = await exec(none, 'sh', '-c', `wget -q -O - http://169.254.170.2${otherUri} 2>&1`);
    assert.notEqual(stolen.code, 0, `another task's credentials were served: ${stolen.out}`);
    assert.doesNotMatch(stolen.out, /SecretAccessKey/);
  });

  test('the AWS relay serves only this agent\'s tasks: a signed call from the host itself to the gateway\'s endpoint server is refused', async () => {
    await runTask('cr-bridge');
    const gateway = `http://172.30.240.1:${DEFAULT_METADATA_PORT}/`;
    const signed = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64), 'content-type': 'application/x-www-form-urlencoded' };
    const r = await fetch(gateway, { method: 'POST', headers: signed, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    assert.equal(r.status, 403);
    assert.equal(((await r.json()) as { __type: string }).__type, 'AccessDeniedException');
  });

  test('the aws CLI inside a task with a role: sts get-caller-identity and ecs list-tasks, with no configuration', async () => {
    const task = await runTask('cr-cli');
    const aws = awsInTask;
    const who = await exec(task, 'sh', '-c', `HOME=/tmp ${aws} sts get-caller-identity --output json 2>&1`);
    assert.equal(who.code, 0, who.out || who.err);
    assert.equal((JSON.parse(who.out) as { Arn: string }).Arn, `arn:aws:sts::000000000000:assumed-role/app/${task.split('/').at(-1)}`);
    const listed = await exec(task, 'sh', '-c', `HOME=/tmp ${aws} ecs list-tasks --output json 2>&1`);
    assert.equal(listed.code, 0, listed.out || listed.err);
    assert.ok((JSON.parse(listed.out) as { taskArns: string[] }).taskArns.includes(task));
  });
});

test('host mode: the aws CLI inside the task reaches Berth through the relay, which knows the task by its cgroup', async () => {
  const task = await runTask('cr-cli-host');
  const who = await exec(task, 'sh', '-c', `HOME=/tmp ${awsInTask} sts get-caller-identity --output json 2>&1`);
  assert.equal(who.code, 0, who.out || who.err);
  assert.equal((JSON.parse(who.out) as { Arn: string }).Arn, `arn:aws:sts::000000000000:assumed-role/app/${task.split('/').at(-1)}`);
  await ecs('stop-task', '--task', task);
});
