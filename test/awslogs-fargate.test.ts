// The awslogs driver for a Fargate task, end to end: `berth up` with its agent, a task run
// with --launch-type FARGATE (a gVisor sandbox, whose containers write their raw output,
// not conmon's records), its lines read back with the aws CLI v2: every one, once, in
// order, with timestamps that never go back.
// Host-touching: run under flock /tmp/berth-host.lock.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';

const LINES = 30_000;
let berth: BerthProcess;
const cli = <T = Record<string, unknown>>(...args: string[]) => aws<T>(AWS_CLIS[1], berth.endpoint, args);
const ecs = <T = Record<string, unknown>>(...args: string[]) => cli<T>('ecs', ...args);

before(async () => {
  berth = await startBerthWithSamples();
});

after(async () => {
  await stopBerthAndTasks(berth, ecs);
});

test(`a Fargate task printing ${LINES.toLocaleString('en')} lines with awslogs: each one event, in order, once`, async () => {
  const group = '/berth/e2e/fargate';
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'awslogs-fargate', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
    containerDefinitions: [{
      name: 'app', image: 'berth/sleep', command: ['sh', '-c', `seq 1 ${LINES} | sed "s/^/line /"`],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'fg', 'awslogs-create-group': 'true', mode: 'blocking' } },
    }],
  }));
  const ran = await ecs<{ tasks: { taskArn: string }[]; failures: unknown[] }>('run-task', '--launch-type', 'FARGATE', '--task-definition', 'awslogs-fargate',
    '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}');
  assert.deepEqual(ran.failures, []);
  const arn = ran.tasks[0]!.taskArn;
  await ecs('wait', 'tasks-stopped', '--tasks', arn);
  const t = (await ecs<{ tasks: { stopCode?: string; launchType: string; attributes?: { name: string; value?: string }[] }[] }>('describe-tasks', '--tasks', arn)).tasks[0]!;
  assert.equal(t.stopCode, 'EssentialContainerExited', JSON.stringify(t));
  assert.equal(t.attributes?.find((a) => a.name === 'berth.isolation')?.value, 'gvisor', 'it ran in a sandbox');

  const stream = `fg/app/${arn.slice(arn.lastIndexOf('/') + 1)}`;
  const got: { message: string; timestamp: number }[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await cli<{ events: { message: string; timestamp: number }[]; nextForwardToken: string }>('logs', 'get-log-events', '--log-group-name', group, '--log-stream-name', stream, '--start-from-head', ...(token ? ['--next-token', token] : []));
    got.push(...page.events);
    if (page.nextForwardToken === token) break;
    token = page.nextForwardToken;
  }
  assert.equal(got.length, LINES, 'exactly every line');
  const wrong = got.findIndex((e, i) => e.message !== `line ${i + 1}`);
  assert.equal(wrong, -1, `in order (first wrong: ${wrong}: ${JSON.stringify(got[wrong])})`);
  assert.ok(got.every((e, i) => i === 0 || e.timestamp >= got[i - 1]!.timestamp), 'timestamps never go back');
  assert.ok(got.every((e) => Math.abs(e.timestamp - Date.now()) < 600_000), 'each line timed when it was read');
});
