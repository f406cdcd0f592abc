// The control plane's side of tasks, through the aws CLI and the real agent session
// code: placement, delivery to the agent, reports shaping DescribeTasks, StopTask,
// ListTasks filters, idempotency and errors. The agent here reports scripted states;
// test/ecs-tasks-containers.test.ts runs the same flow with real containers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentSession } from '../src/agent/session.ts';
import type { Assignment } from '../src/agent/protocol.ts';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { instanceSecretOf } from './support/berth.ts';
import { sharedBerth } from './support/shared-berth.ts';

const berth = sharedBerth();

interface Task { taskArn: string; lastStatus: string; desiredStatus: string; containerInstanceArn: string; startedAt?: number; stoppedAt?: number; stopCode?: string; stoppedReason?: string; containers: { name: string; lastStatus: string; exitCode?: number }[]; attachments: unknown[]; group: string; cpu: string; memory: string }

/**
 * Registers an instance through the API, gets its secret with the join token (as an agent
 * registered before join tokens does) and connects a session that records what it is sent.
 */
async function scriptedAgent(cli: (typeof AWS_CLIS)[number], cluster: string, cpu = 2048, memory = 4096) {
  const reg = await aws<{ containerInstance: { containerInstanceArn: string } }>(cli, berth.endpoint, ['ecs', 'register-container-instance', '--cluster', cluster,
    '--total-resources', `name=CPU,type=INTEGER,integerValue=${cpu}`, `name=MEMORY,type=INTEGER,integerValue=${memory}`,
    '--attributes', 'name=ecs.capability.task-eni', 'name=ecs.capability.container-health-check']);
  const arn = reg.containerInstance.containerInstanceArn;
  const instanceSecret = await instanceSecretOf(berth, {
    cluster, containerInstanceArn: arn,
    totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: cpu }, { name: 'MEMORY', type: 'INTEGER', integerValue: memory }],
    attributes: [{ name: 'ecs.capability.task-eni' }, { name: 'ecs.capability.container-health-check' }],
  });
  const assignments = new Map<string, Assignment>();
  let snapshots = 0;
  const session = new AgentSession(berth.endpoint, { cluster, containerInstanceArn: arn, agentVersion: 'test' }, instanceSecret, {
    onSnapshot: (all) => { snapshots++; for (const a of all) assignments.set(a.spec.ecs.taskArn, a); },
    onAssignment: (a) => assignments.set(a.spec.ecs.taskArn, a),
    log: () => {},
  });
  session.start();
  await until(() => session.connected && snapshots > 0);
  return { arn, session, assignments, snapshots: () => snapshots };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const registerWeb = () => ecs('register-task-definition', '--family', 'web', '--container-definitions',
  '[{"name":"web","image":"berth/web","memory":128,"cpu":256,"portMappings":[{"containerPort":80,"hostPort":8080}]}]');

describe('tasks on the control plane', () => {
  test('RunTask places on a connected instance, the agent is told, and its reports drive DescribeTasks', async () => {
    await ecs('create-cluster', '--cluster-name', 'c');
    const agent = await scriptedAgent(cli, 'c');
    await registerWeb();
    const run = await ecs<{ tasks: Task[]; failures: unknown[] }>('run-task', '--cluster', 'c', '--task-definition', 'web', '--started-by', 'me');
    assert.deepEqual(run.failures, []);
    const t = run.tasks[0]!;
    assert.match(t.taskArn, /^arn:aws:ecs:us-east-1:000000000000:task\/c\/[0-9a-f]{32}$/);
    assert.deepEqual([t.lastStatus, t.desiredStatus, t.containerInstanceArn, t.group, t.cpu, t.memory], ['PENDING', 'RUNNING', agent.arn, 'family:web', '256', '128']);
    await until(() => agent.assignments.has(t.taskArn));
    assert.equal(agent.assignments.get(t.taskArn)!.spec.containers[0]!.image, 'berth/web');

    agent.session.report({ taskArn: t.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'x', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 8080, protocol: 'tcp' }] }] });
    await until(() => agent.session.pending === 0);
    const running = (await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', 'c', '--tasks', t.taskArn)).tasks[0]!;
    assert.equal(running.lastStatus, 'RUNNING');
    assert.ok(running.startedAt);
    // The aws CLI's waiter polls DescribeTasks exactly so.
    await ecs('wait', 'tasks-running', '--cluster', 'c', '--tasks', t.taskArn);

    const inst = await ecs<{ containerInstances: { runningTasksCount: number; agentConnected: boolean; remainingResources: { name: string; integerValue?: number; stringSetValue?: string[] }[] }[] }>('describe-container-instances', '--cluster', 'c', '--container-instances', agent.arn);
    const ci = inst.containerInstances[0]!;
    assert.equal(ci.agentConnected, true);
    assert.equal(ci.runningTasksCount, 1);
    assert.equal(ci.remainingResources.find((r) => r.name === 'CPU')!.integerValue, 2048 - 256);
    assert.ok(ci.remainingResources.find((r) => r.name === 'PORTS')!.stringSetValue!.includes('8080'));

    const stopped = await ecs<{ task: Task }>('stop-task', '--cluster', 'c', '--task', t.taskArn, '--reason', 'done testing');
    assert.deepEqual([stopped.task.desiredStatus, stopped.task.stopCode, stopped.task.stoppedReason], ['STOPPED', 'UserInitiated', 'done testing']);
    await until(() => agent.assignments.get(t.taskArn)!.spec.desiredStatus === 'STOPPED');
    agent.session.report({ taskArn: t.taskArn, status: 'STOPPED', executionStoppedAt: Date.now() / 1000, containers: [{ name: 'web', status: 'STOPPED', exitCode: 143 }] });
    await ecs('wait', 'tasks-stopped', '--cluster', 'c', '--tasks', t.taskArn);
    const final = (await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', 'c', '--tasks', t.taskArn)).tasks[0]!;
    assert.deepEqual([final.lastStatus, final.containers[0]!.exitCode, final.stopCode], ['STOPPED', 143, 'UserInitiated']);
    assert.ok(final.stoppedAt);
    agent.session.close();
  });

  test('a static host port and CPU are booked: the next tasks fail with RESOURCE reasons', async () => {
    await ecs('create-cluster', '--cluster-name', 'c');
    const agent = await scriptedAgent(cli, 'c', 1024, 4096);
    await registerWeb();
    const first = await ecs<{ tasks: Task[]; failures: unknown[] }>('run-task', '--cluster', 'c', '--task-definition', 'web', '--count', '2');
    assert.equal(first.tasks.length, 1);
    assert.deepEqual(first.failures, [{ arn: agent.arn, reason: 'RESOURCE:PORTS' }]);
    await ecs('register-task-definition', '--family', 'big', '--container-definitions', '[{"name":"b","image":"busybox","memory":64,"cpu":2048}]');
    const big = await ecs<{ tasks: Task[]; failures: unknown[] }>('run-task', '--cluster', 'c', '--task-definition', 'big');
    assert.deepEqual(big.failures, [{ arn: agent.arn, reason: 'RESOURCE:CPU' }]);
    agent.session.close();
  });

  test('list-tasks filters by family, startedBy, instance and desired status; clientToken makes RunTask idempotent', async () => {
    await ecs('create-cluster', '--cluster-name', 'c');
    const agent = await scriptedAgent(cli, 'c', 8192, 8192);
    await ecs('register-task-definition', '--family', 'a', '--container-definitions', '[{"name":"a","image":"busybox","memory":32}]');
    await ecs('register-task-definition', '--family', 'b', '--container-definitions', '[{"name":"b","image":"busybox","memory":32}]');
    const a = await ecs<{ tasks: Task[] }>('run-task', '--cluster', 'c', '--task-definition', 'a', '--count', '2', '--started-by', 'ci', '--client-token', 'tok-1');
    const again = await ecs<{ tasks: Task[] }>('run-task', '--cluster', 'c', '--task-definition', 'a', '--count', '2', '--started-by', 'ci', '--client-token', 'tok-1');
    assert.deepEqual(again.tasks.map((t) => t.taskArn), a.tasks.map((t) => t.taskArn));
    const reused = await awsFails(cli, berth.endpoint, ['ecs', 'run-task', '--cluster', 'c', '--task-definition', 'a', '--count', '1', '--started-by', 'ci', '--client-token', 'tok-1']);
    assert.equal(reused.code, 'ConflictException', 'a token reused with other parameters, as ECS answers');
    const b = await ecs<{ tasks: Task[] }>('run-task', '--cluster', 'c', '--task-definition', 'b');
    const list = async (...f: string[]) => (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', 'c', ...f)).taskArns.sort();
    assert.deepEqual(await list('--family', 'a'), a.tasks.map((t) => t.taskArn).sort());
    assert.deepEqual(await list('--started-by', 'ci'), a.tasks.map((t) => t.taskArn).sort());
    assert.equal((await list('--container-instance', agent.arn)).length, 3);
    await ecs('stop-task', '--cluster', 'c', '--task', b.tasks[0]!.taskArn);
    assert.deepEqual(await list('--desired-status', 'STOPPED'), [b.tasks[0]!.taskArn]);
    assert.equal((await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', 'c', '--page-size', '1')).taskArns.length, 2, 'the CLI follows nextToken');
    agent.session.close();
  });

  test('a task placed while the agent is away is delivered when it comes back', async () => {
    await ecs('create-cluster', '--cluster-name', 'c');
    const agent = await scriptedAgent(cli, 'c');
    await ecs('register-task-definition', '--family', 'a', '--container-definitions', '[{"name":"a","image":"busybox","memory":32}]');
    const t = (await ecs<{ tasks: Task[] }>('run-task', '--cluster', 'c', '--task-definition', 'a')).tasks[0]!;
    await until(() => agent.assignments.has(t.taskArn));
    await berth.kill9();
    await berth.restart();
    await until(() => agent.session.connected && agent.snapshots() >= 2, 20_000);
    assert.ok(agent.assignments.has(t.taskArn), 'the snapshot after the reconnect holds the task');
    agent.session.report({ taskArn: t.taskArn, status: 'RUNNING', containers: [{ name: 'a', status: 'RUNNING' }] });
    await until(() => agent.session.pending === 0);
    assert.equal((await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', 'c', '--tasks', t.taskArn)).tasks[0]!.lastStatus, 'RUNNING', 'no task was lost across kill -9 of the control plane');
    agent.session.close();
  });

  test('errors: no instances, awsvpc without network configuration, unknown task, bad override', async () => {
    await ecs('create-cluster', '--cluster-name', 'c');
    await ecs('register-task-definition', '--family', 'a', '--container-definitions', '[{"name":"a","image":"busybox","memory":32}]');
    const none = await awsFails(cli, berth.endpoint, ['ecs', 'run-task', '--cluster', 'c', '--task-definition', 'a']);
    assert.equal(none.code, 'InvalidParameterException');
    assert.match(none.message, /No Container Instances were found in your cluster/);
    const agent = await scriptedAgent(cli, 'c');
    await ecs('register-task-definition', '--family', 'vpc', '--network-mode', 'awsvpc', '--container-definitions', '[{"name":"a","image":"busybox","memory":32}]');
    const vpc = await awsFails(cli, berth.endpoint, ['ecs', 'run-task', '--cluster', 'c', '--task-definition', 'vpc']);
    assert.match(vpc.message, /Network Configuration must be provided/);
    const ok = await ecs<{ tasks: Task[] }>('run-task', '--cluster', 'c', '--task-definition', 'vpc', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}');
    assert.equal((ok.tasks[0]!.attachments[0] as { type: string }).type, 'ElasticNetworkInterface');
    assert.equal((await awsFails(cli, berth.endpoint, ['ecs', 'stop-task', '--cluster', 'c', '--task', '0'.repeat(32)])).code, 'InvalidParameterException');
    const override = await awsFails(cli, berth.endpoint, ['ecs', 'run-task', '--cluster', 'c', '--task-definition', 'a', '--overrides', '{"containerOverrides":[{"name":"ghost","command":["x"]}]}']);
    assert.match(override.message, /Override for container named ghost/);
    const missing = await ecs<{ failures: { reason: string }[] }>('describe-tasks', '--cluster', 'c', '--tasks', '0'.repeat(32));
    assert.equal(missing.failures[0]!.reason, 'MISSING');
    agent.session.close();
  });
});

