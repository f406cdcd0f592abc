// Issue 16 item 2's execution role: for a task whose definition names an executionRoleArn,
// the control plane hands the agent that role's session with the task, and the agent acts
// as it where ECS's agent does: the private image is pulled from Berth's registry with an
// ECR token got with the role's credentials, and the awslogs driver's batches are sent as
// the role (the control plane checks the session is that role's, issued for that task).
// Observed where Berth records the principal: the registry's and the awslogs receiver's
// lines in the server log (CloudTrail's place; there is no IAM policy engine to consult).
// A task without an execution role pulls as the agent, and no role is named for it.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const logs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['logs', ...args]);
const EXEC = 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole';
const GROUP = '/berth/execution-role';

before(async () => {
  berth = await startBerthWithSamples();
  const container = (stream: string) => ({
    name: 'app', image: 'berth/sleep', memory: 64, stopTimeout: 1,
    command: ['sh', '-c', 'echo shipped as the execution role; while :; do sleep 1; done'],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': stream, 'awslogs-create-group': 'true' } },
  });
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({ family: 'exec-role', networkMode: 'bridge', executionRoleArn: EXEC, containerDefinitions: [container('exec')] }));
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({ family: 'no-exec-role', networkMode: 'bridge', containerDefinitions: [container('plain')] }));
});

after(async () => {
  await stopBerthAndTasks(berth, ecs, []);
});

test('a task with an execution role: its private image pulled and its awslogs shipped as the role\'s session for the task', async () => {
  // The first task on this host: its pull is the registry's first of the image.
  const ran = await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', 'exec-role');
  const task = ran.tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', task);
  const id = task.slice(task.lastIndexOf('/') + 1);
  const principal = `arn:aws:sts::000000000000:assumed-role/ecsTaskExecutionRole/${id}`;
  const events = await until('the task\'s first log event', async () => {
    const r = await logs<{ events: { message: string }[] }>('get-log-events', '--log-group-name', GROUP, '--log-stream-name', `exec/app/${id}`, '--start-from-head').catch(() => ({ events: [] }));
    return r.events.length > 0 ? r.events : undefined;
  }, 30_000);
  assert.equal(events[0]!.message, 'shipped as the execution role');
  const log = berth.log();
  assert.ok(log.includes(`registry: ${principal} pulled berth/sleep:`), `the registry names the execution role's session as the puller:\n${log.slice(-3000)}`);
  assert.ok(log.includes(`awslogs: ${task} ships to ${GROUP} as ${principal}`), `the awslogs receiver names it:\n${log.slice(-3000)}`);

  // Without an execution role, the agent pulls and ships as itself: no role session named for the task.
  const plain = (await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', 'no-exec-role')).tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', plain);
  const plainId = plain.slice(plain.lastIndexOf('/') + 1);
  await until('the plain task\'s first log event', async () => {
    const r = await logs<{ events: unknown[] }>('get-log-events', '--log-group-name', GROUP, '--log-stream-name', `plain/app/${plainId}`, '--start-from-head').catch(() => ({ events: [] }));
    return r.events.length > 0 ? true : undefined;
  }, 30_000);
  assert.ok(!berth.log().includes(plainId), 'nothing is recorded as a role session of the task without one');
});

test('a Fargate task with an execution role ships its awslogs as the role, from the pool host\'s session', async () => {
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'exec-role-fargate', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', executionRoleArn: EXEC,
    containerDefinitions: [{
      name: 'app', image: 'berth/sleep', stopTimeout: 1, command: ['sh', '-c', 'echo from the sandbox; while :; do sleep 1; done'],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'fargate' } },
    }],
  }));
  const ran = await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', 'exec-role-fargate', '--launch-type', 'FARGATE', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}');
  const task = ran.tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', task);
  const id = task.slice(task.lastIndexOf('/') + 1);
  const events = await until('the Fargate task\'s first log event', async () => {
    const r = await logs<{ events: { message: string }[] }>('get-log-events', '--log-group-name', GROUP, '--log-stream-name', `fargate/app/${id}`, '--start-from-head').catch(() => ({ events: [] }));
    return r.events.length > 0 ? r.events : undefined;
  }, 30_000);
  assert.equal(events[0]!.message, 'from the sandbox');
  assert.ok(berth.log().includes(`awslogs: ${task} ships to ${GROUP} as arn:aws:sts::000000000000:assumed-role/ecsTaskExecutionRole/${id}`), berth.log().slice(-3000));
});
