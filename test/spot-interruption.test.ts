// Fargate Spot interruptions end to end (issue 15 item 4): `berth up` with its agent, a
// real busybox service, `berth spot interrupt --task`, `berth events --follow`, and the aws
// CLI. Until Fargate tasks run, the interrupted task is an EC2-mode service task (its
// capacityProviderName is not FARGATE_SPOT: --task interrupts any task); what is checked is
// what AWS does to a Spot task: TerminationNotice at once while it runs, its event within a
// second, SIGTERM to the container (a trap logs it and carries on), SIGKILL at stopTimeout,
// stopCode SpotInterruption once STOPPED, and the service's replacement started on the
// warning. Then kill -9 of the control plane: every task version still has exactly one
// event. Run under `flock /tmp/berth-host.lock`. (berth spot settings, the CLI's errors and
// the event filters: test/spot-control-plane.test.ts, without host resources.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';
import { followEvents, type EventFollower } from './support/berth-events.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const main = join(ROOT, 'src/cli/main.ts');
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', main, ...args, '--endpoint', berth.endpoint]);

interface Task { taskArn: string; lastStatus: string; desiredStatus: string; stopCode?: string; stoppedReason?: string; createdAt: number; stoppedAt?: number; executionStoppedAt?: number; version: number; containers: { exitCode?: number }[] }
interface Event { 'detail-type': string; source: string; resources: string[]; detail: Task & { updatedAt: string } }
const describe = async (arn: string) => (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', arn)).tasks[0]!;

/** STOP_TIMEOUT: the container's stopTimeout; the trap ignores SIGTERM, so SIGKILL ends it then. */
const STOP_TIMEOUT = 5;
/** The agent's stoppedAt (whole ms) against this process's clock: two processes' clocks on one host, and rounding. */
const CLOCK_SLACK_MS = 200;
/** How long after stopTimeout the SIGKILL's STOPPED may come on a loaded machine: well under 30 s, the default stopTimeout. */
const KILL_WITHIN_MS = 10_000;
/** A bound on each wait for a machine running two test passes on two cores; not a speed. */
const WAIT_MS = 60_000;
const TRAP = `trap 'echo got SIGTERM' TERM; echo started; while :; do sleep 1; done`;

let follower: EventFollower | undefined;

before(async () => {
  berth = await startBerthWithSamples();
});

after(async () => {
  follower?.stop();
  await stopBerthAndTasks(berth, ecs, ['spotty']);
});


test('berth spot interrupt --task: TerminationNotice and its event within a second, SIGTERM, SIGKILL at stopTimeout, SpotInterruption, the replacement RUNNING', async () => {
  await ecs('register-task-definition', '--family', 'spotty', '--container-definitions',
    JSON.stringify([{ name: 'app', image: 'berth/sleep', memory: 32, stopTimeout: STOP_TIMEOUT, command: ['sh', '-c', TRAP] }]));
  await ecs('create-service', '--service-name', 'spotty', '--task-definition', 'spotty', '--desired-count', '1');
  await ecs('wait', 'services-stable', '--services', 'spotty');
  const [victim] = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'spotty')).taskArns;
  assert.ok(victim);
  const events = follower = followEvents(berth.endpoint);
  await until('the event stream to open', async () => (events.lines.length > 0 ? true : undefined), 10_000);

  const t0 = Date.now();
  const interrupted = await berthCli('spot', 'interrupt', '--task', victim, '--output', 'json');
  const t1 = Date.now();
  assert.equal(interrupted.code, 0, interrupted.stderr);
  const answer = (JSON.parse(interrupted.stdout) as { interrupted: Task[] }).interrupted;
  assert.deepEqual(answer.map((t) => [t.taskArn, t.lastStatus, t.desiredStatus, t.stopCode, t.stoppedReason]), [[victim, 'RUNNING', 'STOPPED', 'TerminationNotice', 'Your Spot Task was interrupted.']]);

  const notice = await until('the TerminationNotice event', async () => events.lines.find((l) => l.event.detail.taskArn === victim && l.event.detail.stopCode === 'TerminationNotice'), WAIT_MS);
  // At once: the answer above already carries the warning (the command returns once the task is
  // stored with it, between t0 and t1); its event follows whenever a loaded machine delivers it,
  // and before the task's STOPPED (checked below).
  assert.deepEqual([notice.event['detail-type'], notice.event.source, notice.event.resources, notice.event.detail.lastStatus, notice.event.detail.desiredStatus],
    ['ECS Task State Change', 'aws.ecs', [victim], 'RUNNING', 'STOPPED']);
  // The notice itself left it RUNNING (the answer and the event say so); the agent then
  // starts stopping it at once (SIGTERM). That the notice stands until the task has stopped is
  // read from the task's events below, in their order: a describe-tasks here could come after
  // the stop on a loaded machine (stopTimeout is 5 s).

  // The trap logs SIGTERM and carries on, so the container is still there to be read.
  const logs = await until('SIGTERM in the container log', async () => {
    const r = await berthCli('logs', victim);
    return r.stdout.includes('got SIGTERM') ? r.stdout : undefined;
  }, WAIT_MS);
  assert.match(logs, /started[\s\S]*got SIGTERM/);

  // The service starts the replacement on the warning, before the interrupted task has stopped.
  const replacement = await until('a replacement task', async () => {
    const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'spotty')).taskArns.filter((a) => a !== victim);
    return arns[0];
  }, WAIT_MS);
  await ecs('wait', 'tasks-stopped', '--tasks', victim);
  const stopped = await describe(victim);
  assert.deepEqual([stopped.lastStatus, stopped.stopCode, stopped.stoppedReason], ['STOPPED', 'SpotInterruption', 'Your Spot Task was interrupted.']);
  assert.equal(stopped.containers[0]!.exitCode, 137, 'SIGKILL ended it: the trap ignored SIGTERM');
  // The warning was written between t0 and t1: never stopped before stopTimeout from it (the task
  // had its warning's time), and by SIGKILL at its end, not by the default 30 s stopTimeout or not at all.
  const stoppedAtMs = (stopped.executionStoppedAt ?? stopped.stoppedAt!) * 1000;
  assert.ok(stoppedAtMs >= t0 + STOP_TIMEOUT * 1000 - CLOCK_SLACK_MS && stoppedAtMs <= t1 + STOP_TIMEOUT * 1000 + KILL_WITHIN_MS,
    `stopped ${stoppedAtMs - t0} ms after the interrupt command was run (it took ${t1 - t0} ms); stopTimeout is ${STOP_TIMEOUT} s`);
  const fresh = await describe(replacement);
  assert.ok(fresh.createdAt <= stopped.stoppedAt!, 'the replacement was started before the interrupted task stopped');
  await ecs('wait', 'tasks-running', '--tasks', replacement);
  await ecs('wait', 'services-stable', '--services', 'spotty');

  const final = await until('the STOPPED event', async () => events.lines.find((l) => l.event.detail.taskArn === victim && l.event.detail.lastStatus === 'STOPPED'), WAIT_MS);
  assert.equal(final.event.detail.stopCode, 'SpotInterruption');
  assert.ok(events.lines.indexOf(notice) < events.lines.indexOf(final), "the warning's event came before the task's STOPPED");
  const between = events.lines.slice(events.lines.indexOf(notice), events.lines.indexOf(final)).filter((l) => l.event.detail.taskArn === victim);
  assert.deepEqual(between.map((l) => [l.event.detail.desiredStatus, l.event.detail.stopCode]), between.map(() => ['STOPPED', 'TerminationNotice']), 'the notice stands until the task has stopped');

  const listed = await berthCli('events', '--detail-type', 'ECS Task State Change');
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`task ${victim.split('/').pop()} RUNNING/STOPPED TerminationNotice \\(service:spotty`));
});

test('kill -9 of the control plane: afterwards every version of every task has exactly one event', async () => {
  const [running] = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'spotty')).taskArns;
  assert.ok(running);
  // A change and the kill right behind it: its event may not be written yet when the process dies.
  const r = await berthCli('spot', 'interrupt', '--task', running);
  assert.equal(r.code, 0, r.stderr);
  follower?.stop();
  follower = undefined;
  await berth.kill9();
  await berth.restart();
  await ecs('wait', 'tasks-stopped', '--tasks', running);
  await ecs('wait', 'services-stable', '--services', 'spotty');
  const arns = [
    ...(await ecs<{ taskArns: string[] }>('list-tasks', '--desired-status', 'STOPPED')).taskArns,
    ...(await ecs<{ taskArns: string[] }>('list-tasks')).taskArns,
  ];
  const tasks = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', ...arns)).tasks;
  await until('every task version to have its event', async () => {
    const out = await berthCli('events', '--output', 'json');
    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
    const current = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', ...arns)).tasks;
    const ok = current.every((t) => {
      const versions = events.filter((e) => e.detail.taskArn === t.taskArn).map((e) => e.detail.version);
      return JSON.stringify(versions) === JSON.stringify(Array.from({ length: t.version }, (_, i) => i + 1));
    });
    return ok ? true : undefined;
  }, 10_000).catch(async (err: Error) => {
    const out = await berthCli('events', '--output', 'json');
    const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
    const current = (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', ...arns)).tasks;
    assert.fail(`${err.message}: ${JSON.stringify(current.map((t) => [t.taskArn.slice(-6), t.version, events.filter((e) => e.detail.taskArn === t.taskArn).map((e) => e.detail.version)]))}`);
  });
  assert.ok(tasks.length >= 3);
});
