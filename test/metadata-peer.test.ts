// Issue 16's last check: "the metadata answers have AWS's shapes (checked ... against a
// peer's metadata tests run inside a task)". The peer is OpenTelemetry's ECS resource
// detector (@opentelemetry/resource-detector-aws, a devDependency), its own code unchanged,
// run by Node inside real tasks launched through Berth: EC2 bridge, awsvpc and host (the host's
// /usr, /lib, /lib64 and this checkout bound read-only, the checkout's Node running
// test/support/otel-ecs-detect.ts) and Fargate in its gVisor sandbox (which takes no host
// volumes: a probe image with the same Node, its libraries and the detector, built here and
// imported into Berth's registry). What it resolves must be what the ECS and Logs APIs say
// of the same task: task, cluster and container ARNs, family, revision, launch type,
// account, region, availability zone, and the awslogs container's log group and stream.
// The credentials endpoint's peers too, in a bridge task with a taskRoleArn: the AWS SDK for
// JavaScript v3's default chain (this checkout's) and botocore's ContainerProvider (the
// host's Python), each reading the role's credentials and calling Berth with them.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';
import { runTaskRunning } from './support/task-shell.ts';
import { PROBE_NODE, PROBE_SCRIPT, writeProbeImage } from './support/otel-probe-image.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
/** The host's Python (sys.prefix), bound into the credentials peers' task. */
let pythonPrefix = '';
/** v1: its botocore knows DescribeLogGroups' logGroupArn (Debian's v2 2.9 drops the member). */
const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const logs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['logs', ...args]);

const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
const SLEEP = ['sh', '-c', 'echo started; while :; do sleep 1; done'];
const GROUP = '/berth/otel-peer';
/** The awslogs options as a task definition gives them; the stream is ECS's `prefix/container/task-id`. */
const AWSLOGS = { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'otel', 'awslogs-create-group': 'true' } };
/** The host paths a bridge or awsvpc task gets, read-only: the checkout's Node and its libraries, the detector in node_modules. */
const HOST_PATHS = ['/usr', '/lib', '/lib64', ROOT];
const hostVolumes = HOST_PATHS.map((p, i) => ({ name: `host${i}`, host: { sourcePath: p } }));
const hostMounts = HOST_PATHS.map((p, i) => ({ sourceVolume: `host${i}`, containerPath: p, readOnly: true }));
const ROLE = 'arn:aws:iam::000000000000:role/app';

interface DescribedTask {
  taskArn: string; clusterArn: string; taskDefinitionArn: string; launchType: string; availabilityZone: string;
  containers: { name: string; containerArn: string; runtimeId: string }[];
}

/** The detector's attributes, as it resolved them in `container` of `task` (`node` and `script` are paths inside the task). */
async function detectInside(task: string, container: string, node: string, script: string): Promise<Record<string, unknown>> {
  const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'exec', task, '--container', container,
    '--endpoint', berth.endpoint, '--', node, '--disable-warning=ExperimentalWarning', script]);
  assert.equal(r.code, 0, `the detector in ${container} of ${task}: ${r.stdout} ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * What the detector must have found, from the APIs: the ECS task (DescribeTasks) and, for
 * an awslogs container, its group and stream as DescribeLogGroups / DescribeLogStreams list them.
 */
async function expectedOf(taskArn: string, container: string, awslogs: boolean): Promise<Record<string, unknown>> {
  const t = (await ecs<{ tasks: DescribedTask[] }>('describe-tasks', '--cluster', 'default', '--tasks', taskArn)).tasks[0]!;
  const c = t.containers.find((x) => x.name === container)!;
  const [, , , region, account] = t.taskArn.split(':');
  const [family, revision] = t.taskDefinitionArn.slice(t.taskDefinitionArn.indexOf('/') + 1).split(':');
  const expected: Record<string, unknown> = {
    'cloud.provider': 'aws',
    'cloud.platform': 'aws_ecs',
    'aws.ecs.container.arn': c.containerArn,
    'aws.ecs.cluster.arn': t.clusterArn,
    'aws.ecs.launchtype': t.launchType.toLowerCase(),
    'aws.ecs.task.arn': t.taskArn,
    'aws.ecs.task.family': family,
    'aws.ecs.task.revision': revision,
    'cloud.account.id': account,
    'cloud.region': region,
    'cloud.resource_id': c.containerArn,
    'cloud.availability_zone': t.availabilityZone,
  };
  if (awslogs) {
    const taskId = t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1);
    const streamName = `otel/${container}/${taskId}`;
    const group = (await logs<{ logGroups: { logGroupName: string; logGroupArn: string }[] }>('describe-log-groups', '--log-group-name-prefix', GROUP))
      .logGroups.find((g) => g.logGroupName === GROUP);
    assert.ok(group, `${GROUP} was created by the driver`);
    // The stream is made when the container's first line arrives.
    const stream = await until(`the stream ${streamName}`, async () => (await logs<{ logStreams: { logStreamName: string; arn: string }[] }>(
      'describe-log-streams', '--log-group-name', GROUP, '--log-stream-name-prefix', streamName)).logStreams.find((s) => s.logStreamName === streamName), 20_000);
    Object.assign(expected, {
      'aws.log.group.names': [GROUP],
      'aws.log.group.arns': [group.logGroupArn],
      'aws.log.stream.names': [stream.logStreamName],
      'aws.log.stream.arns': [stream.arn],
    });
  }
  return expected;
}

/** The attributes the detector resolved, but for container.id and container.name (the host's view; checked on their own). */
function apiAttributes(found: Record<string, unknown>): Record<string, unknown> {
  const { 'container.id': _id, 'container.name': _name, ...rest } = found;
  return rest;
}

before(async () => {
  berth = await startBerthWithSamples();
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'otel-bridge', networkMode: 'bridge', volumes: hostVolumes,
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 256, command: SLEEP, stopTimeout: 1, mountPoints: hostMounts, logConfiguration: AWSLOGS }],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'otel-vpc', networkMode: 'awsvpc', cpu: '512', memory: '1024', volumes: hostVolumes,
    containerDefinitions: [
      { name: 'app', image: 'berth/sleep', command: SLEEP, stopTimeout: 1, mountPoints: hostMounts, logConfiguration: AWSLOGS },
      // No awslogs: the detector leaves the aws.log.* attributes out.
      { name: 'side', image: 'berth/sleep', command: SLEEP, stopTimeout: 1, mountPoints: hostMounts, essential: false },
    ],
  }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'otel-host', networkMode: 'host', volumes: hostVolumes,
    containerDefinitions: [{ name: 'app', image: 'berth/sleep', memory: 256, command: SLEEP, stopTimeout: 1, mountPoints: hostMounts, logConfiguration: AWSLOGS }],
  }));
  // The credentials endpoint's peers: the JavaScript SDK from this checkout, botocore from the host's Python (its prefix too, if outside /usr).
  pythonPrefix = (await run('python3', ['-c', 'import sys; print(sys.prefix)'])).stdout.trim();
  const credPaths = [...HOST_PATHS, ...(pythonPrefix.startsWith('/usr/') ? [] : [pythonPrefix])];
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'peer-creds', networkMode: 'bridge', taskRoleArn: ROLE,
    volumes: credPaths.map((p, i) => ({ name: `host${i}`, host: { sourcePath: p } })),
    containerDefinitions: [{
      name: 'app', image: 'berth/sleep', memory: 512, command: SLEEP, stopTimeout: 1,
      mountPoints: credPaths.map((p, i) => ({ sourceVolume: `host${i}`, containerPath: p, readOnly: true })),
    }],
  }));
  // The Fargate task's image: Node and the detector (a Fargate task takes no host volumes).
  const layout = await mkdtemp(join(tmpdir(), 'berth-otel-probe-'));
  try {
    await writeProbeImage(layout);
    const imported = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'image', 'import', layout,
      '--name', 'berth/otel-probe:latest', '--endpoint', berth.endpoint]);
    assert.equal(imported.code, 0, imported.stderr);
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'otel-fargate', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '512', memory: '1024',
    containerDefinitions: [{ name: 'app', image: 'berth/otel-probe', stopTimeout: 1, logConfiguration: AWSLOGS }],
  }));
});

after(async () => {
  await stopBerthAndTasks(berth, ecs);
});

describe('OpenTelemetry\'s ECS resource detector inside Berth tasks', () => {
  const node = process.execPath;
  const script = join(ROOT, 'test/support/otel-ecs-detect.ts');

  test('bridge: every attribute it resolves is what DescribeTasks and the Logs API say', async () => {
    const task = await runTaskRunning(ecs, 'otel-bridge');
    const found = await detectInside(task, 'app', node, script);
    assert.deepEqual(apiAttributes(found), await expectedOf(task, 'app', true));
  });

  test('awsvpc: both containers\' attributes; the one without awslogs has no aws.log.*', async () => {
    const task = await runTaskRunning(ecs, 'otel-vpc', ['--network-configuration', NETWORK]);
    const found = await detectInside(task, 'app', node, script);
    assert.deepEqual(apiAttributes(found), await expectedOf(task, 'app', true));
    const side = await detectInside(task, 'side', node, script);
    assert.deepEqual(apiAttributes(side), await expectedOf(task, 'side', false));
  });

  test('host mode: the endpoint knows the detector\'s connection by its cgroup; the same attributes', async () => {
    const task = await runTaskRunning(ecs, 'otel-host');
    const found = await detectInside(task, 'app', node, script);
    assert.deepEqual(apiAttributes(found), await expectedOf(task, 'app', true));
  });

  test('Fargate, in its gVisor sandbox: the cluster given as an ARN, launch type fargate, the zone Fargate placed it in', async () => {
    const task = await runTaskRunning(ecs, 'otel-fargate', ['--launch-type', 'FARGATE', '--network-configuration', NETWORK]);
    const described = (await ecs<{ tasks: { attributes?: { name: string; value?: string }[] }[] }>('describe-tasks', '--tasks', task)).tasks[0]!;
    assert.equal(described.attributes?.find((a) => a.name === 'berth.isolation')?.value, 'gvisor', 'it runs in a sandbox');
    const found = await detectInside(task, 'app', PROBE_NODE, PROBE_SCRIPT);
    assert.deepEqual(apiAttributes(found), await expectedOf(task, 'app', true));
  });
});

describe('the credentials endpoint\'s peers inside a task with a role', () => {
  test('the AWS SDK for JavaScript v3 and botocore\'s ContainerProvider read the role\'s credentials, and Berth takes them as the task\'s session of the role', async () => {
    const task = await runTaskRunning(ecs, 'peer-creds');
    const session = `arn:aws:sts::000000000000:assumed-role/app/${task.slice(task.lastIndexOf('/') + 1)}`;
    const exec = async (...cmd: string[]) => {
      const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'exec', task, '--endpoint', berth.endpoint, '--', ...cmd]);
      assert.equal(r.code, 0, `${cmd.join(' ')} in ${task}: ${r.stdout} ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const js = await exec(process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'test/support/sdk-in-task.ts'));
    assert.match(String(js.accessKeyId), /^ASIA[A-Z2-7]{16}$/);
    assert.ok(Date.parse(String(js.expiration)) > Date.now() + 60 * 60_000, `the SDK read an Expiration hours ahead: ${js.expiration}`);
    assert.equal(js.callerArn, session);
    assert.ok((js.taskArns as string[]).includes(task), 'ListTasks with the role\'s credentials lists the task');
    const py = await exec(`${pythonPrefix}/bin/python3`, join(ROOT, 'test/support/botocore-in-task.py'));
    assert.deepEqual(
      [py.method, py.accessKey, py.hasSecret, py.hasToken, py.refreshNeeded, py.callerArn],
      ['container-role', js.accessKeyId, true, true, false, session],
    );
    assert.equal(Date.parse(String(py.expiry)), Date.parse(String(js.expiration)), 'botocore parsed the same Expiration');
  });
});
