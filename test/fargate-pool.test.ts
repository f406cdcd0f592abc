// The Fargate pool end to end, as a user meets it: `berth up` offers its own host to the
// pool by default, `aws ecs run-task --launch-type FARGATE` places on it (a real container,
// its own IP), tasks of two clusters share the host, the pool hosts are in no cluster's
// ListContainerInstances, a full pool answers AWS's capacity failure, and a stopped task
// gives its share back. Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);

interface Task {
  taskArn: string; startedAt?: string; lastStatus: string; launchType: string; availabilityZone?: string; containerInstanceArn?: string;
  attachments: { type: string; details: { name: string; value: string }[] }[];
}
/** Waits for RUNNING; a task that stopped instead fails the test with its reasons. */
async function waitRunning(cluster: string, arn: string): Promise<void> {
  try {
    await ecs('wait', 'tasks-running', '--cluster', cluster, '--tasks', arn);
  } catch (err) {
    const t = await ecs<{ tasks: unknown[] }>('describe-tasks', '--cluster', cluster, '--tasks', arn);
    throw new Error(`${arn} did not reach RUNNING: ${JSON.stringify(t.tasks[0])}`, { cause: err });
  }
}
interface RunAnswer { tasks: Task[]; failures: { arn: string; reason: string }[] }

/** 1 vCPU and 2 GiB, a Fargate size: the pool (this host: cores × 1024 CPU units) holds `cores` of them. */
const TASK_CPU = 1024;
const TASK_MEMORY = 2048;
const NETWORK = 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}';
const CAPACITY_UNAVAILABLE = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

const runFargate = (cluster: string) => ecs<RunAnswer>('run-task', '--cluster', cluster, '--launch-type', 'FARGATE', '--task-definition', 'fg-web', '--network-configuration', NETWORK);
const describeTask = async (cluster: string, arn: string) => (await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', cluster, '--tasks', arn)).tasks[0]!;
/** The pool instance this host's agent registered (its identity file in the agent's data dir). */
const poolInstanceArn = () => (JSON.parse(readFileSync(join(berth.dataDir, 'agent', 'identity-fargate.json'), 'utf8')) as { containerInstanceArn: string }).containerInstanceArn;
/** The instance the agent was told runs the task: what it keeps of its assignment on disk. */
const assignedInstance = (taskArn: string) => {
  const path = join(berth.dataDir, 'agent', 'tasks', taskArn.split('/').pop()!, 'task.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { spec: { placement: { instanceArn: string } } }).spec.placement.instanceArn : undefined;
};

before(async () => {
  berth = await startBerthWithSamples();
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'fg-web', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: String(TASK_CPU), memory: String(TASK_MEMORY),
    containerDefinitions: [{ name: 'web', image: 'berth/web', memory: 64, essential: true, stopTimeout: 2, portMappings: [{ containerPort: 80 }] }],
  }));
  await ecs('create-cluster', '--cluster-name', 'second');
});

after(async () => {
  // The second cluster's tasks first: stopBerthAndTasks stops the default cluster's.
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', 'second').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--cluster', 'second', '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--cluster', 'second', '--tasks', ...arns).catch(() => undefined);
  await stopBerthAndTasks(berth, ecs);
});

describe('the Fargate pool', () => {
  const running: { cluster: string; arn: string }[] = [];

  test('run-task --launch-type FARGATE runs on this host\'s pool instance: RUNNING, its zone, its own IP that answers', async () => {
    const pool = poolInstanceArn();
    assert.match(pool, /^arn:aws:ecs:us-east-1:berth-fargate:container-instance\/fargate\/[a-f0-9]{32}$/);
    const out = await runFargate('default');
    assert.deepEqual(out.failures, []);
    const arn = out.tasks[0]!.taskArn;
    running.push({ cluster: 'default', arn });
    await waitRunning('default', arn);
    const t = await describeTask('default', arn);
    assert.equal(t.lastStatus, 'RUNNING');
    assert.equal(t.launchType, 'FARGATE');
    assert.equal(t.availabilityZone, 'us-east-1a', 'the pool host\'s zone');
    assert.equal(assignedInstance(arn), pool, 'the agent ran it as its pool instance');
    if (t.containerInstanceArn !== undefined) assert.equal(t.containerInstanceArn, pool);
    const eni = t.attachments.find((a) => a.type === 'ElasticNetworkInterface');
    const ip = eni?.details.find((d) => d.name === 'privateIPv4Address')?.value;
    assert.ok(ip, `an ENI with its private IP: ${JSON.stringify(t.attachments)}`);
    assert.match(await (await fetch(`http://${ip}/`)).text(), /Berth web test image/);
  });

  test('the pool\'s hosts are in no cluster\'s ListContainerInstances or counts', async () => {
    const pool = poolInstanceArn();
    const own = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns;
    assert.equal(own.length, 1, 'the host\'s own EC2 instance only');
    assert.ok(!own.includes(pool));
    assert.deepEqual((await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', 'second')).containerInstanceArns, []);
    const clusters = (await ecs<{ clusters: { clusterName: string; registeredContainerInstancesCount: number; runningTasksCount: number }[] }>('describe-clusters', '--clusters', 'default', 'second')).clusters;
    assert.deepEqual(clusters.map((c) => [c.clusterName, c.registeredContainerInstancesCount]), [['default', 1], ['second', 0]]);
    assert.equal(clusters[0]!.runningTasksCount, 1, 'the Fargate task counts in its own cluster');
    const missing = await ecs<{ failures: { reason: string }[] }>('describe-container-instances', '--container-instances', pool);
    assert.equal(missing.failures[0]?.reason, 'MISSING', 'no account can describe a pool host');
  });

  test('berth exec reaches a Fargate task through its pool instance\'s session; berth up killed -9 and started again adopts it', async () => {
    const { arn } = running[0]!;
    const exec = await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'exec', arn, '--endpoint', berth.endpoint, '--', 'echo', 'from-fargate']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.match(exec.stdout, /from-fargate/);
    const before = await describeTask('default', arn);
    const ip = before.attachments.find((a) => a.type === 'ElasticNetworkInterface')!.details.find((d) => d.name === 'privateIPv4Address')!.value;
    await berth.kill9();
    // The container outlives the control plane and its agent, as on any host.
    assert.match(await (await fetch(`http://${ip}/`)).text(), /Berth web test image/);
    await berth.restart();
    for (let i = 0; i < 50 && (await run(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'exec', arn, '--endpoint', berth.endpoint, '--', 'true'])).code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await describeTask('default', arn);
    assert.deepEqual([after.lastStatus, after.startedAt], ['RUNNING', before.startedAt], 'the same task, adopted, not started again');
    assert.equal(assignedInstance(arn), poolInstanceArn(), 'rejoined as the same pool instance');
  });

  test('a second cluster\'s Fargate task lands on the same host; past the pool\'s capacity, AWS\'s failure', async () => {
    const out = await runFargate('second');
    assert.deepEqual(out.failures, []);
    const arn = out.tasks[0]!.taskArn;
    running.push({ cluster: 'second', arn });
    await waitRunning('second', arn);
    assert.equal(assignedInstance(arn), poolInstanceArn());
    // Fill the pool (cores × 1024 CPU units), then one more.
    for (let n = running.length; n < availableParallelism(); n++) {
      const more = await runFargate('default');
      assert.deepEqual(more.failures, []);
      running.push({ cluster: 'default', arn: more.tasks[0]!.taskArn });
    }
    const full = await runFargate('default');
    assert.deepEqual(full.tasks, []);
    assert.deepEqual(full.failures.map((f) => f.reason), [CAPACITY_UNAVAILABLE]);
  });

  test('a stopped Fargate task gives its share of the host back: the next one is placed', async () => {
    const first = running.shift()!;
    await ecs('stop-task', '--cluster', first.cluster, '--task', first.arn);
    await ecs('wait', 'tasks-stopped', '--cluster', first.cluster, '--tasks', first.arn);
    const out = await runFargate('default');
    assert.deepEqual(out.failures, []);
    assert.equal(out.tasks.length, 1);
    running.push({ cluster: 'default', arn: out.tasks[0]!.taskArn });
    await waitRunning('default', out.tasks[0]!.taskArn);
  });

  test('a Fargate service reaches its desired count on the pool and stays there (its tasks are not taken for lost)', async () => {
    // Room for the service: the pool was left full.
    for (const t of running.splice(0)) await ecs('stop-task', '--cluster', t.cluster, '--task', t.arn);
    await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
      family: 'fg-svc', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
      containerDefinitions: [{ name: 'web', image: 'berth/web', memory: 64, essential: true, stopTimeout: 2, portMappings: [{ containerPort: 80 }] }],
    }));
    await ecs('create-service', '--service-name', 'fg', '--task-definition', 'fg-svc', '--desired-count', '2', '--launch-type', 'FARGATE', '--network-configuration', NETWORK);
    try {
      await ecs('wait', 'services-stable', '--services', 'fg');
      const first = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'fg')).taskArns.sort();
      assert.equal(first.length, 2);
      for (const arn of first) assert.equal(assignedInstance(arn), poolInstanceArn());
      // A few reconciler passes later, the same two tasks: none was replaced.
      await new Promise((r) => setTimeout(r, 5_000));
      assert.deepEqual((await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'fg')).taskArns.sort(), first);
      assert.deepEqual((await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'fg', '--desired-status', 'STOPPED')).taskArns, []);
    } finally {
      await ecs('delete-service', '--service', 'fg', '--force').catch(() => undefined);
      await ecs('wait', 'services-inactive', '--services', 'fg').catch(() => undefined);
    }
  });
});
