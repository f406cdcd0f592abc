// Issue 14 as a new user tries it: `berth up --hosts 3` (zones us-east-1a, -b, -c), the aws
// CLI v2, real containers. A REPLICA service of 6 spreads 2 per zone and reaches
// services-stable; a host killed with `berth host kill` has its tasks replaced on the others
// after the agent's grace period; when it comes back no service runs more than it wants.
// RunTask places with distinctInstance, memberOf over zones and binpack; a DAEMON service
// follows an instance that drains. Run as root under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DISCONNECT_GRACE_MS } from '../src/agent/protocol.ts';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { until } from './support/until.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Service { desiredCount: number; runningCount: number; pendingCount: number; events: { message: string }[] }
interface Task { taskArn: string; lastStatus: string; desiredStatus: string; availabilityZone: string; containerInstanceArn: string }

const service = async (name: string) => (await ecs<{ services: Service[] }>('describe-services', '--services', name)).services[0]!;
async function tasksOf(args: string[]): Promise<Task[]> {
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks', ...args)).taskArns;
  return arns.length ? (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', ...arns)).tasks : [];
}
const byZone = (tasks: readonly Task[]) => {
  const out: Record<string, number> = {};
  for (const t of tasks) out[t.availabilityZone] = (out[t.availabilityZone] ?? 0) + 1;
  return out;
};


before(async () => {
  await cleanupHost();
  berth = await startBerth(['--hosts', '3'], { agent: true });
  await until('three connected instances', async () => {
    const arns = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns;
    return arns.length === 3 ? true : undefined;
  }, 90_000);
  const samples = await berthCli('image', 'samples', '--endpoint', berth.endpoint);
  assert.equal(samples.code, 0, samples.stderr);
  await ecs('register-task-definition', '--family', 'web', '--container-definitions',
    JSON.stringify([{ name: 'web', image: 'berth/web', memory: 32, stopTimeout: 2, portMappings: [{ containerPort: 80, hostPort: 0 }] }])); // stopTimeout: httpd as PID 1 ignores SIGTERM
});

after(async () => {
  // Services and tasks stop through the API, so containers, mounts and namespaces go the normal way.
  for (const name of ['web', 'agent']) await ecs('delete-service', '--service', name, '--force').catch(() => undefined);
  await ecs('wait', 'services-inactive', '--services', 'web', 'agent').catch(() => undefined);
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
  await berth.stop();
  await cleanupHost();
});

test('a REPLICA service of 6 spreads 2 per zone; a killed host is replaced; when it returns the service keeps 6', async () => {
  await ecs('create-service', '--service-name', 'web', '--task-definition', 'web', '--desired-count', '6');
  await ecs('wait', 'services-stable', '--services', 'web');
  const placed = await tasksOf(['--service-name', 'web']);
  assert.deepEqual(byZone(placed), { 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });

  const killedAt = Date.now();
  const kill = await berthCli('host', 'kill', 'host-2', '--data-dir', berth.dataDir);
  assert.equal(kill.code, 0, kill.stderr);
  // Replaced on the other hosts once the agent has been gone past the grace period.
  const replaced = await until('6 RUNNING tasks outside the killed zone', async () => {
    const live = (await tasksOf(['--service-name', 'web'])).filter((t) => t.lastStatus === 'RUNNING');
    return live.length === 6 && !live.some((t) => t.availabilityZone === 'us-east-1b') ? live : undefined;
  }, DISCONNECT_GRACE_MS + 60_000);
  process.stdout.write(`# host-2 killed: its tasks replaced after ${((Date.now() - killedAt) / 1000).toFixed(1)} s (grace ${DISCONNECT_GRACE_MS / 1000} s)\n`);
  assert.deepEqual(byZone(replaced), { 'us-east-1a': 3, 'us-east-1c': 3 });

  const start = await berthCli('host', 'start', 'host-2', '--data-dir', berth.dataDir);
  assert.equal(start.code, 0, start.stderr);
  await until('host-2 connected again', async () => {
    const arns = (await ecs<{ containerInstanceArns: string[] }>('list-container-instances')).containerInstanceArns;
    const all = (await ecs<{ containerInstances: { agentConnected: boolean }[] }>('describe-container-instances', '--container-instances', ...arns)).containerInstances;
    return all.every((i) => i.agentConnected) ? true : undefined;
  }, 60_000);
  // For a while after it returns, never more than 6 tasks desired RUNNING, never two counted as one.
  for (let i = 0; i < 10; i++) {
    const wanted = (await tasksOf(['--service-name', 'web'])).filter((t) => t.desiredStatus === 'RUNNING');
    assert.ok(wanted.length <= 6, `${wanted.length} tasks desired RUNNING for a service of 6`);
    const s = await service('web');
    assert.ok(s.runningCount <= 6, `runningCount ${s.runningCount}`);
    await sleep(1_000);
  }
  assert.match((await service('web')).events.map((e) => e.message).join('\n'), /^\(service web\) has started 6 tasks: (\(task [0-9a-f]{32}\) ?){6}\.$/m);
});

test('RunTask: distinctInstance puts 3 tasks on 3 hosts; memberOf keeps tasks in two zones; binpack fills one host first', async () => {
  const distinct = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'web', '--count', '3', '--placement-constraints', 'type=distinctInstance')).tasks;
  assert.equal(new Set(distinct.map((t) => t.containerInstanceArn)).size, 3);
  const zones = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'web', '--count', '6',
    '--placement-constraints', 'type=memberOf,expression="attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"')).tasks;
  assert.equal(zones.length, 6);
  assert.ok(zones.every((t) => ['us-east-1a', 'us-east-1b'].includes(t.availabilityZone)), JSON.stringify(byZone(zones)));
  const packed = (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', 'web', '--count', '4', '--placement-strategy', 'type=binpack,field=memory')).tasks;
  assert.equal(new Set(packed.map((t) => t.containerInstanceArn)).size, 1, 'binpack puts them all on the fullest host that fits');
  const bad = await awsFails(cli, berth.endpoint, ['ecs', 'run-task', '--task-definition', 'web', '--placement-constraints', 'type=memberOf,expression="attribute:ecs.availability-zone in [us-east-1a"']);
  assert.equal(bad.code, 'InvalidParameterException', bad.message);
  const all = [...distinct, ...zones, ...packed].map((t) => t.taskArn);
  for (const t of all) await ecs('stop-task', '--task', t);
  await ecs('wait', 'tasks-stopped', '--tasks', ...all);
});

test('a DAEMON service runs one task per host and follows a host that drains', async () => {
  await ecs('create-service', '--service-name', 'agent', '--task-definition', 'web', '--scheduling-strategy', 'DAEMON');
  await ecs('wait', 'services-stable', '--services', 'agent');
  const three = (await tasksOf(['--service-name', 'agent'])).filter((t) => t.lastStatus === 'RUNNING');
  assert.equal(new Set(three.map((t) => t.containerInstanceArn)).size, 3);
  const drained = three[0]!.containerInstanceArn;
  await ecs('update-container-instances-state', '--container-instances', drained, '--status', 'DRAINING');
  await until('the DAEMON service down to 2, none on the drained host', async () => {
    const s = await service('agent');
    const live = (await tasksOf(['--service-name', 'agent'])).filter((t) => t.desiredStatus === 'RUNNING');
    return s.desiredCount === 2 && s.runningCount === 2 && !live.some((t) => t.containerInstanceArn === drained) ? true : undefined;
  }, 90_000);
  await ecs('update-container-instances-state', '--container-instances', drained, '--status', 'ACTIVE');
  await until('the DAEMON service back to 3', async () => ((await service('agent')).runningCount === 3 ? true : undefined), 60_000);
});
