// ECS Exec end to end (issue 16 item 5), on `berth up` with its agent and a real container:
// `aws ecs execute-command --interactive --command /bin/sh` through both aws CLIs. The CLI
// hands the session to `session-manager-plugin`, which is not installable here (not in
// Debian, npm or PyPI): without one the CLI stops with its own "SessionManagerPlugin is not
// found" (it checks before calling ExecuteCommand); with the stand-in written to the
// plugin's protocol (support/session-manager-plugin.ts) on PATH, the CLI calls
// ExecuteCommand and DescribeTasks on Berth and the stand-in runs `echo hello; exit 3` on a
// terminal in the container through the streamUrl: it sees `hello` and exit code 3.
// Run as root under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { botocoreModel } from './support/aws-model.ts';
import { checkAnswers, recordingEcsClient } from './support/recorded-answers.ts';
import { AWS_CLIS, aws, awsEnv } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';
import { runSsmSession } from './support/ssm-client.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const NOT_ENABLED = 'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.';
const pluginDir = mkdtempSync(join(tmpdir(), 'berth-ssm-plugin-'));
let enabledTask = '';
let plainTask = '';

interface Task { taskArn: string; lastStatus: string; containers: { name: string; managedAgents?: { name: string; lastStatus: string }[] }[] }
interface Session { session: { sessionId: string; streamUrl: string; tokenValue: string }; containerName: string; taskArn: string; interactive: boolean }

before(async () => {
  berth = await startBerthWithSamples();
  // The stand-in plugin, as the CLI finds it: an executable named session-manager-plugin on PATH.
  const plugin = join(pluginDir, 'session-manager-plugin');
  writeFileSync(plugin, `#!/bin/sh\nexec ${process.execPath} --disable-warning=ExperimentalWarning ${join(ROOT, 'test/support/session-manager-plugin.ts')} "$@"\n`);
  chmodSync(plugin, 0o755);
  await ecs('register-task-definition', '--family', 'shell', '--container-definitions', JSON.stringify([{ name: 'sh', image: 'busybox', command: ['sleep', '3600'], memory: 32, stopTimeout: 1 }]));
  enabledTask = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'shell', '--enable-execute-command')).tasks[0]!.taskArn;
  plainTask = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'shell')).tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', enabledTask, plainTask);
});

after(async () => {
  rmSync(pluginDir, { recursive: true, force: true });
  await stopBerthAndTasks(berth, ecs, ['exec-svc']);
});

test('DescribeTasks shows the ExecuteCommandAgent RUNNING only in a task run with execute command enabled', async () => {
  const { tasks } = await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', enabledTask, plainTask);
  const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
  assert.deepEqual(byArn.get(enabledTask)!.containers[0]!.managedAgents?.map((a) => [a.name, a.lastStatus]), [['ExecuteCommandAgent', 'RUNNING']]);
  assert.equal(byArn.get(plainTask)!.containers[0]!.managedAgents, undefined);
});

for (const c of AWS_CLIS) {
  test(`${c.name}: without the plugin the CLI stops with its own message`, async () => {
    const r = await run(c.bin, ['--endpoint-url', berth.endpoint, 'ecs', 'execute-command', '--task', enabledTask, '--interactive', '--command', '/bin/sh'],
      { env: { ...awsEnv(), PATH: '/usr/bin:/bin' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SessionManagerPlugin is not found/);
  });

  test(`${c.name}: execute-command --interactive --command /bin/sh runs a shell in the container through the stand-in plugin`, async () => {
    const r = await run(c.bin, ['--endpoint-url', berth.endpoint, 'ecs', 'execute-command', '--task', enabledTask, '--interactive', '--command', '/bin/sh'],
      { env: { ...awsEnv(), PATH: `${pluginDir}:/usr/bin:/bin` }, input: 'echo hello; exit 3\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hello\r?$/m);
    assert.match(r.stderr, /exit code 3/);
  });
}

test('the API answer has AWS’s shape, and its token opens the session once', async () => {
  // Through the JavaScript SDK (the CLI would hand the token to the plugin and spend it),
  // each raw answer checked member by member against the AWS model.
  const { client, answers } = recordingEcsClient(berth.endpoint);
  const s = (await client.send(new ExecuteCommandCommand({ task: enabledTask, interactive: true, command: 'sh -c "echo hi there; exit 7"' }))) as unknown as Session;
  await client.send(new DescribeTasksCommand({ tasks: [enabledTask] }));
  client.destroy();
  assert.deepEqual(answers.map((a) => a.operation), ['ExecuteCommand', 'DescribeTasks']);
  assert.deepEqual(checkAnswers(botocoreModel('ecs'), answers), []);
  assert.equal(s.containerName, 'sh');
  assert.equal(s.interactive, true);
  assert.equal(s.taskArn, enabledTask);
  assert.match(s.session.streamUrl, new RegExp(`^ws://${berth.endpoint.replace(/^http:\/\//, '').replace(/\./g, '\\.')}/_berth/ssm/ecs-execute-command-`));
  // The stand-in CLI call above went through this path too; here the client drives the URL itself.
  const forged = await runSsmSession(s.session.streamUrl, `${s.session.tokenValue}x`, '');
  assert.equal(forged.closeCode, 1008);
  assert.match(forged.closeReason, /wrong token/);
  const r = await runSsmSession(s.session.streamUrl, s.session.tokenValue, '');
  assert.match(r.output, /hi there/);
  assert.equal(r.exitCode, 7);
  const reused = await runSsmSession(s.session.streamUrl, s.session.tokenValue, '');
  assert.equal(reused.closeCode, 1008);
  assert.match(reused.closeReason, /no such session/);
});

test('the client’s terminal size reaches the command’s terminal', async () => {
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const s = (await client.send(new ExecuteCommandCommand({ task: enabledTask, interactive: true, command: '/bin/sh' }))) as unknown as Session;
  client.destroy();
  // The stand-in sends {cols: 120, rows: 40} before its keystrokes, as the plugin does at start.
  const r = await runSsmSession(s.session.streamUrl, s.session.tokenValue, 'sleep 0.5; stty size; exit 0\n');
  assert.match(r.output, /^40 120\r?$/m);
  assert.equal(r.exitCode, 0);
});

test('a FARGATE task in its gVisor sandbox: the same session through runsc exec', async () => {
  await ecs('register-task-definition', '--cli-input-json', JSON.stringify({
    family: 'fg-shell', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
    containerDefinitions: [{ name: 'sh', image: 'busybox', command: ['sleep', '3600'], stopTimeout: 1 }],
  }));
  const fg = (await ecs<{ tasks: Task[] }>('run-task', '--launch-type', 'FARGATE', '--task-definition', 'fg-shell', '--enable-execute-command',
    '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-berth],assignPublicIp=DISABLED}')).tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', fg);
  const [described] = (await ecs<{ tasks: (Task & { attributes?: { name: string; value?: string }[] })[] }>('describe-tasks', '--tasks', fg)).tasks;
  assert.equal(described!.attributes?.find((a) => a.name === 'berth.isolation')?.value, 'gvisor');
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const s = (await client.send(new ExecuteCommandCommand({ task: fg, interactive: true, command: '/bin/sh' }))) as unknown as Session;
  client.destroy();
  const r = await runSsmSession(s.session.streamUrl, s.session.tokenValue, 'echo fargate-hello; exit 4\n');
  assert.match(r.output, /^fargate-hello\r?$/m);
  assert.equal(r.exitCode, 4);
  await ecs('stop-task', '--task', fg);
});

test('a service created with --enable-execute-command starts its tasks with it: exec works in them', async () => {
  await ecs('create-service', '--service-name', 'exec-svc', '--task-definition', 'shell', '--desired-count', '1', '--enable-execute-command');
  const taskArn = await until('the service task RUNNING', async () => {
    const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'exec-svc')).taskArns;
    if (arns.length === 0) return undefined;
    const [t] = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', arns[0]!)).tasks;
    return t?.lastStatus === 'RUNNING' ? t.taskArn : undefined;
  }, 60_000);
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const s = (await client.send(new ExecuteCommandCommand({ task: taskArn, interactive: true, command: '/bin/sh' }))) as unknown as Session;
  client.destroy();
  assert.equal((await runSsmSession(s.session.streamUrl, s.session.tokenValue, 'exit 0\n')).exitCode, 0);
});

test('a client that goes away ends its command in the container', async () => {
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const s = (await client.send(new ExecuteCommandCommand({ task: enabledTask, interactive: true, command: 'sleep 471' }))) as unknown as Session;
  client.destroy();
  // The session is given 2 s, then dropped by the client mid-command.
  await assert.rejects(runSsmSession(s.session.streamUrl, s.session.tokenValue, '', 2_000), /not over after/);
  await until('the command gone from the host', async () => ((await run('pgrep', ['-f', 'sleep 471'])).code === 1 ? true : undefined), 10_000);
});

test('a task run without enableExecuteCommand is refused with AWS’s text', async () => {
  for (const c of AWS_CLIS) {
    const r = await run(c.bin, ['--endpoint-url', berth.endpoint, 'ecs', 'execute-command', '--task', plainTask, '--interactive', '--command', '/bin/sh'],
      { env: { ...awsEnv(), PATH: `${pluginDir}:/usr/bin:/bin` } });
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(`An error occurred (InvalidParameterException) when calling the ExecuteCommand operation: ${NOT_ENABLED}`), r.stderr);
  }
});

test('the session is audited in the control plane log', async () => {
  await until('an audit line with exit code 3', async () => (/exec session: .*"exitCode":3/.test(berth.log()) ? true : undefined), 5_000);
});

test('with the cluster’s executeCommandConfiguration naming a log group, each session’s audit line lands there', async () => {
  const group = '/berth/exec-audit';
  await aws(cli, berth.endpoint, ['logs', 'create-log-group', '--log-group-name', group]);
  await ecs('update-cluster', '--cluster', 'default', '--configuration', JSON.stringify({ executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: { cloudWatchLogGroupName: group } } }));
  const client = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  const s = (await client.send(new ExecuteCommandCommand({ task: enabledTask, interactive: true, command: '/bin/sh' }))) as unknown as Session;
  client.destroy();
  const r = await runSsmSession(s.session.streamUrl, s.session.tokenValue, 'exit 5\n');
  assert.equal(r.exitCode, 5);
  const events = await until('the audit line in the log group', async () => {
    const out = await aws<{ events: { message: string }[] }>(cli, berth.endpoint, ['logs', 'get-log-events', '--log-group-name', group, '--log-stream-name', s.session.sessionId]).catch(() => undefined);
    return out && out.events.length > 0 ? out.events : undefined;
  }, 5_000);
  assert.equal(events.length, 1);
  const line = JSON.parse(events[0]!.message) as Record<string, unknown>;
  assert.equal(line.taskArn, enabledTask);
  assert.equal(line.containerName, 'sh');
  assert.equal(line.command, '/bin/sh');
  assert.equal(line.exitCode, 5);
  assert.equal(line.caller, 'arn:aws:iam::000000000000:root');
  assert.ok(typeof line.startedAt === 'string' && typeof line.endedAt === 'string');
});
