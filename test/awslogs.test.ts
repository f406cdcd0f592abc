// The awslogs log driver end to end, as ECS users meet it: `berth up` and a `berth agent`
// of its own (so the agent alone can be killed), tasks whose containers log with awslogs,
// read back with the aws CLI v2.
// - A task printing 100,000 lines: exactly 100,000 events, in order, through get-log-events
//   (paginated by its tokens) and filter-log-events, though the agent is killed with
//   SIGKILL halfway and started again (it adopts the task and resumes from its position).
// - A burst of 600,000 lines at once (30 MB of conmon's records: three of the 10 MiB files
//   conmon used to rotate, which the driver lost when they were replaced faster than it
//   read them), the agent killed with SIGKILL in the middle: exactly every line, in order;
//   the delivered part of the log gives its disk space back.
// - `aws logs tail --follow` shows a new line; the driver stores it within a second of the
//   time conmon gave it; `berth logs` reads it from the group.
// - A group that does not exist, without awslogs-create-group: the task STOPPED with ECS's
//   reason, the container never started.
// Host-touching: run under flock /tmp/berth-host.lock.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startAgentProcess, stopAgentProcess, type AgentRun } from './support/agent-process.ts';
import { aws, AWS_CLIS, awsEnv } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

const V2 = AWS_CLIS[1];
const CLUSTER = 'awslogs';
const LINES = 100_000;
let berth: BerthProcess;
let agentDir: string;
let agent: AgentRun | undefined;
const cli = <T = Record<string, unknown>>(...args: string[]) => aws<T>(V2, berth.endpoint, args);
const ecs = <T = Record<string, unknown>>(...args: string[]) => cli<T>('ecs', ...args);
const main = join(ROOT, 'src/cli/main.ts');

async function startAgent(...args: string[]): Promise<AgentRun> {
  agent = await startAgentProcess({ endpoint: berth.endpoint, cluster: CLUSTER, dataDir: agentDir, args });
  assert.ok(agent.arn, agent.out);
  return agent;
}

before(async () => {
  await cleanupHost();
  berth = await startBerth();
  agentDir = mkdtempSync(join(tmpdir(), 'berth-awslogs-agent-'));
  const samples = await run(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'image', 'samples', '--endpoint', berth.endpoint]);
  assert.equal(samples.code, 0, samples.stderr);
  await startAgent('--token', berth.joinToken());
});

after(async () => {
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--cluster', CLUSTER).catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--cluster', CLUSTER, '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', ...arns).catch(() => undefined);
  if (agent) await stopAgentProcess(agent.child);
  await berth?.stop();
  rmSync(agentDir, { recursive: true, force: true });
  await cleanupHost();
});

interface Task { taskArn: string; lastStatus: string; stopCode?: string; stoppedReason?: string; containers: { name: string; reason?: string; runtimeId?: string }[] }
async function runTask(family: string, command: string, logOptions: Record<string, string>): Promise<Task> {
  await ecs('register-task-definition', '--family', family, '--container-definitions', JSON.stringify([{
    name: 'app', image: 'berth/sleep', memory: 64, stopTimeout: 2, command: ['sh', '-c', command],
    logConfiguration: { logDriver: 'awslogs', options: logOptions },
  }]));
  return (await ecs<{ tasks: Task[] }>('run-task', '--cluster', CLUSTER, '--task-definition', family)).tasks[0]!;
}
const describe = async (arn: string) => (await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', CLUSTER, '--tasks', arn)).tasks[0]!;
const taskId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

interface Event { message: string; timestamp: number; ingestionTime: number }
/** Every event of a stream with get-log-events, from the head, page by page until the forward token comes back unchanged. */
async function allEvents(group: string, stream: string): Promise<Event[]> {
  const out: Event[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await cli<{ events: Event[]; nextForwardToken: string }>('logs', 'get-log-events', '--log-group-name', group, '--log-stream-name', stream, '--start-from-head', ...(token ? ['--next-token', token] : []));
    out.push(...page.events);
    if (page.nextForwardToken === token) return out;
    token = page.nextForwardToken;
  }
}

test(`a task printing ${LINES.toLocaleString('en')} lines: each one event, in order, once, across a kill -9 of the agent`, async () => {
  const group = '/berth/e2e/awslogs';
  // 100 bursts of 1,000 lines, a tenth of a second apart: the agent is killed mid-stream.
  // mode blocking: ECS's default is non-blocking (since June 2025), which may drop lines.
  const command = 'for c in $(seq 0 99); do seq $((c*1000+1)) $((c*1000+1000)) | sed "s/^/line /"; sleep 0.1; done';
  const task = await runTask('awslogs-lines', command, { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'e2e', 'awslogs-create-group': 'true', mode: 'blocking' });
  const stream = `e2e/app/${taskId(task.taskArn)}`;
  // The newest event stored says how far the driver got.
  const newest = async () => {
    const page = await cli<{ events: Event[] }>('logs', 'get-log-events', '--log-group-name', group, '--log-stream-name', stream, '--limit', '1').catch(() => ({ events: [] }));
    return Number(page.events[0]?.message.slice('line '.length) ?? 0);
  };
  const killedAt = await until('a third of the lines stored', async () => {
    const n = await newest();
    return n > LINES / 3 ? n : undefined;
  }, 120_000);
  agent!.child.kill('SIGKILL');
  await new Promise((r) => agent!.child.once('exit', r));
  await new Promise((r) => setTimeout(r, 1_000));
  await startAgent();
  assert.ok(killedAt < LINES, `killed mid-stream (at line ${killedAt})`);
  await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', task.taskArn);
  const stopped = await describe(task.taskArn);
  assert.equal(stopped.stopCode, 'EssentialContainerExited', JSON.stringify(stopped));

  const expected = Array.from({ length: LINES }, (_, i) => `line ${i + 1}`);
  const got = await allEvents(group, stream);
  assert.equal(got.length, LINES, 'get-log-events: exactly every line');
  assert.ok(got.every((e, i) => e.message === expected[i]), `get-log-events: in order (first wrong: ${got.findIndex((e, i) => e.message !== expected[i])})`);
  assert.ok(got.every((e, i) => i === 0 || e.timestamp >= got[i - 1]!.timestamp), 'timestamps in order');
  assert.ok(got.every((e) => Math.abs(e.timestamp - Date.now()) < 600_000), "each event has the line's time");
  const filtered = await cli<{ events: { message: string; logStreamName: string }[] }>('logs', 'filter-log-events', '--log-group-name', group);
  assert.equal(filtered.events.length, LINES, 'filter-log-events (paginated by the CLI): exactly every line');
  assert.ok(filtered.events.every((e, i) => e.message === expected[i] && e.logStreamName === stream), 'filter-log-events: in order');
  const some = await cli<{ events: { message: string }[] }>('logs', 'filter-log-events', '--log-group-name', group, '--filter-pattern', '"line 99999"');
  assert.deepEqual(some.events.map((e) => e.message), ['line 99999']);
});

test('a burst of 600,000 lines (three former rotations), the agent killed mid-stream: every line once, in order', async () => {
  const lines = 600_000;
  const group = '/berth/e2e/burst';
  const task = await runTask('awslogs-burst', `seq 1 ${lines} | sed "s/^/line /"; exec sleep 600`, { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'burst', 'awslogs-create-group': 'true', mode: 'blocking' });
  const stream = `burst/app/${taskId(task.taskArn)}`;
  // The Logs API by fetch: 60 pages are read, the CLI would take most of the minute.
  const logs = async <T>(op: string, input: unknown): Promise<T> => {
    const res = await fetch(berth.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `Logs_20140328.${op}` }, body: JSON.stringify(input) });
    return await res.json() as T;
  };
  type Page = { events?: Event[]; nextForwardToken: string };
  // Looked at every 20 ms: the driver takes a second or two for the whole burst.
  let killedAt = 0;
  for (const deadline = Date.now() + 60_000; killedAt <= lines / 6; await new Promise((r) => setTimeout(r, 20))) {
    assert.ok(Date.now() < deadline, 'a sixth of the lines stored within a minute');
    killedAt = Number((await logs<Page>('GetLogEvents', { logGroupName: group, logStreamName: stream, limit: 1 })).events?.[0]?.message.slice('line '.length) ?? 0);
  }
  agent!.child.kill('SIGKILL');
  await new Promise((r) => agent!.child.once('exit', r));
  await startAgent();
  assert.ok(killedAt < lines, `killed mid-stream (at line ${killedAt})`);
  let n = 0;
  let token: string | undefined;
  await until('every line stored', async () => {
    for (;;) {
      const page = await logs<Page>('GetLogEvents', { logGroupName: group, logStreamName: stream, startFromHead: true, ...(token && { nextToken: token }) });
      for (const e of page.events ?? []) assert.equal(e.message, `line ${++n}`, 'each line once, in order');
      if (page.nextForwardToken === token) return n >= lines ? true : undefined;
      token = page.nextForwardToken;
    }
  }, 60_000);
  assert.equal(n, lines);
  // conmon did not rotate the file, and what was delivered is given back to the disk.
  const log = join(agentDir, 'tasks', taskId(task.taskArn), 'logs', 'app.log');
  const st = statSync(log);
  assert.ok(st.size > lines * 40, `one file holds the whole burst (${st.size} bytes)`);
  assert.ok(st.blocks * 512 < st.size / 2, `its delivered part freed (${st.blocks * 512} of ${st.size} bytes on disk)`);
  await ecs('stop-task', '--cluster', CLUSTER, '--task', task.taskArn);
  await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', task.taskArn);
});

test('aws logs tail --follow shows a new line; the driver stores it within a second of its time', async () => {
  const group = '/berth/e2e/live';
  await cli('logs', 'create-log-group', '--log-group-name', group);
  const task = await runTask('awslogs-live', 'sleep 4; echo live-one; sleep 1; echo live-two; exec sleep 600', { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'live' });
  await ecs('wait', 'tasks-running', '--cluster', CLUSTER, '--tasks', task.taskArn);
  let tail: ChildProcess | undefined;
  try {
    tail = spawn(V2.bin, ['--endpoint-url', berth.endpoint, 'logs', 'tail', group, '--follow', '--format', 'short'], { env: { ...process.env, ...awsEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tail.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    // The CLI polls FilterLogEvents every 5 s: the line shows at its next poll.
    await until('live-two in tail --follow', async () => (out.includes('live-two') ? true : undefined), 30_000);
    const events = await allEvents(group, `live/app/${taskId(task.taskArn)}`);
    assert.deepEqual(events.map((e) => e.message), ['live-one', 'live-two']);
    for (const e of events) assert.ok(e.ingestionTime - e.timestamp < 1_000, `${e.message} stored ${e.ingestionTime - e.timestamp} ms after it was written`);
    // `berth logs` reads an awslogs container's lines from its log group.
    const said = await run(process.execPath, ['--disable-warning=ExperimentalWarning', main, 'logs', task.taskArn, '--cluster', CLUSTER, '--endpoint', berth.endpoint]);
    assert.equal(said.stdout, 'live-one\nlive-two\n', said.stderr);
  } finally {
    tail?.kill('SIGKILL');
  }
  await ecs('stop-task', '--cluster', CLUSTER, '--task', task.taskArn);
  await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', task.taskArn);
});

test('a log group that does not exist, without awslogs-create-group: the task stops with ECS\'s reason, its container never started', async () => {
  const task = await runTask('awslogs-missing', 'echo never', { 'awslogs-group': '/berth/e2e/missing', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'x' });
  await ecs('wait', 'tasks-stopped', '--cluster', CLUSTER, '--tasks', task.taskArn);
  const t = await describe(task.taskArn);
  const reason = 'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.';
  assert.equal(t.stopCode, 'TaskFailedToStart');
  assert.equal(t.stoppedReason, reason);
  assert.equal(t.containers[0]!.reason, reason);
  assert.equal(t.containers[0]!.runtimeId, undefined, 'no container was created');
  const groups = await cli<{ logGroups: unknown[] }>('logs', 'describe-log-groups', '--log-group-name-prefix', '/berth/e2e/missing');
  assert.deepEqual(groups.logGroups, [], 'and no group was made');
});
