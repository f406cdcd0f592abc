// Fargate Spot and ECS events on the control plane alone (no host resources): the aws CLI,
// `berth spot` and `berth events`, and the real agent session code reporting scripted
// states. test/spot-interruption.test.ts runs the interruption with real containers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AgentSession } from '../src/agent/session.ts';
import type { Assignment } from '../src/agent/protocol.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { instanceSecretOf, ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
before(async () => {
  berth = await startBerth();
  await ecs('create-cluster', '--cluster-name', 'default');
});
after(async () => { await berth.stop(); });

const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint]);

interface Task { taskArn: string; lastStatus: string; desiredStatus: string; stopCode?: string; stoppedReason?: string; version: number }
interface Event { 'detail-type': string; source: string; id: string; time: string; resources: string[]; detail: Task & { updatedAt: string; createdAt: string } }

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function scriptedAgent(cluster: string) {
  const total = [{ name: 'CPU', type: 'INTEGER', integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 }];
  const reg = await ecs<{ containerInstance: { containerInstanceArn: string } }>('register-container-instance', '--cluster', cluster,
    '--total-resources', 'name=CPU,type=INTEGER,integerValue=2048', 'name=MEMORY,type=INTEGER,integerValue=4096');
  const arn = reg.containerInstance.containerInstanceArn;
  const secret = await instanceSecretOf(berth, { cluster, containerInstanceArn: arn, totalResources: total });
  const assignments = new Map<string, Assignment>();
  let snapshots = 0;
  const session = new AgentSession(berth.endpoint, { cluster, containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (all) => { snapshots++; for (const a of all) assignments.set(a.spec.ecs.taskArn, a); },
    onAssignment: (a) => assignments.set(a.spec.ecs.taskArn, a),
    log: () => {},
  });
  session.start();
  await until(() => session.connected && snapshots > 0);
  return { session, assignments };
}

const eventsJson = async (...args: string[]) => {
  const r = await berthCli('events', '--output', 'json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
};

test('berth spot settings: shown, changed, as JSON; bad values are one-line errors that change nothing', async () => {
  const shown = await berthCli('spot', 'settings');
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /interruptions per hour\s+0 \(off\)/);
  const set = await berthCli('spot', 'settings', '--capacity', 'us-east-1a=100,us-east-1b=3', '--seed', '42', '--output', 'json');
  assert.equal(set.code, 0, set.stderr);
  const json = JSON.parse(set.stdout) as { interruptionsPerHour: number; seed: number; capacity: Record<string, number> };
  assert.deepEqual([json.interruptionsPerHour, json.seed, json.capacity], [0, 42, { 'us-east-1a': 100, 'us-east-1b': 3 }]);
  const dropped = await berthCli('spot', 'settings', '--capacity', 'us-east-1b=none', '--output', 'json');
  assert.deepEqual((JSON.parse(dropped.stdout) as typeof json).capacity, { 'us-east-1a': 100 });
  const bad = await berthCli('spot', 'settings', '--interruptions-per-hour=-3');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /interruptionsPerHour must be a number from 0 to 3600/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  const usage = await berthCli('spot', 'settings', '--capacity', 'nonsense');
  assert.equal(usage.code, 2);
  const now = JSON.parse((await berthCli('spot', 'settings', '--output', 'json')).stdout) as typeof json;
  assert.deepEqual([now.interruptionsPerHour, now.seed, now.capacity], [0, 42, { 'us-east-1a': 100 }], 'the refused changes changed nothing');
  const help = await berthCli('spot', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /berth spot interrupt/);
  assert.equal((await berthCli('spot', 'interrupt')).code, 2);
  const missing = await berthCli('spot', 'interrupt', '--task', 'f'.repeat(32));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^berth: .*was not found in cluster default/m);
  const noService = await berthCli('spot', 'interrupt', '--service', 'nope', '--cluster', 'nowhere');
  assert.equal(noService.code, 1);
  assert.match(noService.stderr, /Cluster nowhere was not found/);
});

test('an interrupted task: TerminationNotice at once, the agent told to stop, SpotInterruption once it reports STOPPED, and one event per version', async () => {
  const agent = await scriptedAgent('default');
  try {
    await interruptedTask(agent);
  } finally {
    agent.session.close();
  }
});

async function interruptedTask(agent: Awaited<ReturnType<typeof scriptedAgent>>): Promise<void> {
  await ecs('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"berth/web","memory":64}]');
  const t = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'web')).tasks[0]!;
  await until(() => agent.assignments.has(t.taskArn));
  agent.session.report({ taskArn: t.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'r' }] });
  await until(() => agent.session.pending === 0);
  // From just after the RUNNING event (events carry when they were seen, within a moment).
  let runningEvent: Event | undefined;
  await until(async () => (runningEvent = (await eventsJson()).find((e) => e.detail.taskArn === t.taskArn && e.detail.version === 2)) !== undefined);
  const since = new Date(Date.parse(runningEvent!.time) + 1).toISOString();

  const r = await berthCli('spot', 'interrupt', '--task', t.taskArn.split('/').pop()!, '--output', 'json');
  assert.equal(r.code, 0, r.stderr);
  const done = (JSON.parse(r.stdout) as { interrupted: Task[] }).interrupted;
  assert.deepEqual(done.map((x) => [x.taskArn, x.lastStatus, x.desiredStatus, x.stopCode]), [[t.taskArn, 'RUNNING', 'STOPPED', 'TerminationNotice']]);
  await until(() => agent.assignments.get(t.taskArn)?.spec.desiredStatus === 'STOPPED');
  const again = await berthCli('spot', 'interrupt', '--task', t.taskArn);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already stopping/);

  agent.session.report({ taskArn: t.taskArn, status: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'web', status: 'STOPPED', exitCode: 143 }] });
  await until(() => agent.session.pending === 0);
  const stopped = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', t.taskArn)).tasks[0]!;
  assert.deepEqual([stopped.lastStatus, stopped.stopCode, stopped.stoppedReason], ['STOPPED', 'SpotInterruption', 'Your Spot Task was interrupted.']);

  let events: Event[] = [];
  await until(async () => (events = (await eventsJson()).filter((e) => e.detail.taskArn === t.taskArn)).length === stopped.version);
  assert.deepEqual(events.map((e) => e.detail.version), Array.from({ length: stopped.version }, (_, i) => i + 1), 'one event per version, in order');
  assert.deepEqual(events.map((e) => [e.detail.lastStatus, e.detail.desiredStatus, e.detail.stopCode ?? '-']), [
    ['PENDING', 'RUNNING', '-'], ['RUNNING', 'RUNNING', '-'], ['RUNNING', 'STOPPED', 'TerminationNotice'], ['STOPPED', 'STOPPED', 'SpotInterruption'],
  ]);
  for (const e of events) {
    assert.deepEqual([e['detail-type'], e.source, e.resources], ['ECS Task State Change', 'aws.ecs', [t.taskArn]]);
    assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(e.detail.createdAt, /^\d{4}-\d\d-\d\dT/);
  }
  assert.deepEqual((await eventsJson('--since', since)).filter((e) => e.detail.taskArn === t.taskArn).map((e) => e.detail.version), [3, 4]);
  assert.deepEqual(await eventsJson('--detail-type', 'ECS Service Action'), []);
  const plain = await berthCli('events');
  assert.match(plain.stdout, new RegExp(`ECS Task State Change\\s+task ${t.taskArn.split('/').pop()} STOPPED/STOPPED SpotInterruption \\(family:web, version 4\\)`));
  const bad = await berthCli('events', '--since', 'yesterday');
  assert.equal(bad.code, 2);
}
