// Another host joins as a user joins it: `berth up --no-agent`, then `berth agent --join
// URL --token T` as its own process, which runs a real task; a restarted agent comes back
// as the same instance with its own secret and no token. Forged agents and the admin
// endpoints: test/agent-auth.test.ts. Run under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { startAgentProcess, stopAgentProcess, type AgentRun } from './support/agent-process.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';

const cli = AWS_CLIS[1];
const CLUSTER = 'joined';
let berth: BerthProcess;
let agentDir: string;
const agents: ChildProcess[] = [];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const main = join(ROOT, 'src/cli/main.ts');

function startAgent(...args: string[]): Promise<AgentRun> {
  return startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: agentDir, args }).then((r) => { agents.push(r.child); return r; });
}
const stopAgent = stopAgentProcess;

async function connected(arn: string): Promise<boolean> {
  const d = await ecs<{ containerInstances: { agentConnected: boolean }[] }>('describe-container-instances', '--cluster', CLUSTER, '--container-instances', arn);
  return d.containerInstances[0]?.agentConnected ?? false;
}

async function until(cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  await cleanupHost();
  berth = await startBerth();
  agentDir = mkdtempSync(join(tmpdir(), 'berth-joined-agent-'));
  const samples = await run(process.execPath, [main, 'image', 'samples', '--endpoint', berth.endpoint]);
  assert.equal(samples.code, 0, samples.stderr);
});

after(async () => {
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', CLUSTER).catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--cluster', CLUSTER, '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', ...arns).catch(() => undefined);
  for (const a of agents) await stopAgent(a);
  await berth.stop();
  rmSync(agentDir, { recursive: true, force: true });
  await cleanupHost();
});

test('berth agent without the token, or with a wrong one, does not join and says what to do', async () => {
  const none = await startAgent();
  assert.equal(none.code, 1, none.out);
  assert.match(none.out, /has not joined joined yet: pass --token with the control plane's join token/);
  const wrong = await startAgent('--token', `berth_join_${'A'.repeat(43)}`);
  assert.equal(wrong.code, 1, wrong.out);
  assert.match(wrong.out, /not this Berth's join token/);
  const malformed = await startAgent('--token', 'hunter2');
  assert.equal(malformed.code, 2, malformed.out);
  assert.equal((await ecs<{ containerInstanceArns: string[] }>('list-container-instances', '--cluster', CLUSTER)).containerInstanceArns.length, 0);
});

test('berth agent --join URL --token T runs a task; restarted without the token it is the same instance and adopts it', async () => {
  const first = await startAgent('--token', berth.joinToken());
  assert.ok(first.arn, first.out);
  const identity = join(agentDir, 'identity.json');
  assert.equal(statSync(identity).mode & 0o777, 0o600);
  assert.match((JSON.parse(readFileSync(identity, 'utf8')) as { instanceSecret: string }).instanceSecret, /^berth_inst_/);
  await until(() => connected(first.arn!));

  await ecs('register-task-definition', '--family', 'joined-sleep', '--container-definitions',
    JSON.stringify([{ name: 's', image: 'berth/sleep', memory: 32, stopTimeout: 2, environment: [{ name: 'GREETING', value: 'joined' }] }]));
  const task = (await ecs<{ tasks: { taskArn: string; containerInstanceArn: string }[] }>('run-task', '--cluster', CLUSTER, '--task-definition', 'joined-sleep')).tasks[0]!;
  assert.equal(task.containerInstanceArn, first.arn);
  await ecs('wait', 'tasks-running', '--cluster', CLUSTER, '--tasks', task.taskArn);
  // exec is proxied over the authenticated session.
  const said = await run(process.execPath, [main, 'exec', task.taskArn, '--cluster', CLUSTER, '--endpoint', berth.endpoint, '--', 'sh', '-c', 'echo $GREETING']);
  assert.equal(said.stdout.trim(), 'joined', said.stderr);
  assert.ok(!first.out.includes(berth.joinToken()), 'the agent never logs the token');

  await stopAgent(first.child);
  const again = await startAgent();
  assert.equal(again.arn, first.arn, again.out);
  await until(() => connected(first.arn!));
  const t = (await ecs<{ tasks: { lastStatus: string }[] }>('describe-tasks', '--cluster', CLUSTER, '--tasks', task.taskArn)).tasks[0]!;
  assert.equal(t.lastStatus, 'RUNNING');
  await ecs('stop-task', '--cluster', CLUSTER, '--task', task.taskArn);
  await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', task.taskArn);
  assert.ok(!berth.log().includes(berth.joinToken()), 'the control plane never logs the token');
});
