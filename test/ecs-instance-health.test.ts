// Instance health end to end, through the aws CLI against `berth up`: an agent whose session
// ends is shown agentConnected false once the grace period (DISCONNECT_GRACE_MS) has passed,
// its service tasks are stopped (so a service replaces them elsewhere) and its standalone
// ones are not; when it comes back, it is shown connected again, its snapshot no longer
// lists the stopped tasks (so the agent stops their containers), and its late reports
// cannot revive them. The agent is the real session code reporting scripted states.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentSession } from '../src/agent/session.ts';
import { DISCONNECT_GRACE_MS, type Assignment } from '../src/agent/protocol.ts';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { instanceSecretOf, startBerth, type BerthProcess } from './support/berth.ts';
import { recordingEcsClient } from './support/recorded-answers.ts';
import { DescribeContainerInstancesCommand, DescribeTasksCommand } from '@aws-sdk/client-ecs';

let berth: BerthProcess;
before(async () => { berth = await startBerth(); });
after(async () => { await berth.stop(); });

const cli = AWS_CLIS[0];
/** A bound on each wait for a machine running two test passes on two cores; not a speed (the aws CLI alone can take seconds there). */
const WAIT_MS = 60_000;
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);

interface Task { taskArn: string; lastStatus: string; desiredStatus: string; stopCode?: string; stoppedReason?: string; group: string }
interface Instance { agentConnected: boolean; [field: string]: unknown }

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A session for an instance: it records the snapshot each hello answers. */
function connect(cluster: string, arn: string, secret: string) {
  const snapshots: Assignment[][] = [];
  const session = new AgentSession(berth.endpoint, { cluster, containerInstanceArn: arn, agentVersion: 'test' }, secret, {
    onSnapshot: (all) => snapshots.push(all),
    onAssignment: () => {},
    log: () => {},
  });
  session.start();
  return { session, snapshots };
}

test('an agent gone past the grace period is shown disconnected and its service tasks are stopped; back, it is connected and they stay stopped', async () => {
  const cluster = 'health';
  await ecs('create-cluster', '--cluster-name', cluster);
  const resources = ['name=CPU,type=INTEGER,integerValue=2048', 'name=MEMORY,type=INTEGER,integerValue=4096'];
  const arn = (await ecs<{ containerInstance: { containerInstanceArn: string } }>('register-container-instance', '--cluster', cluster, '--total-resources', ...resources)).containerInstance.containerInstanceArn;
  const secret = await instanceSecretOf(berth, {
    cluster, containerInstanceArn: arn,
    totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 }],
  });
  const first = connect(cluster, arn, secret);
  await until(() => first.session.connected && first.snapshots.length > 0, WAIT_MS);
  await ecs('register-task-definition', '--family', 'web', '--container-definitions', '[{"name":"web","image":"busybox","memory":32}]');
  const service = (await ecs<{ tasks: Task[] }>('run-task', '--cluster', cluster, '--task-definition', 'web', '--group', 'service:web')).tasks[0]!;
  const standalone = (await ecs<{ tasks: Task[] }>('run-task', '--cluster', cluster, '--task-definition', 'web')).tasks[0]!;
  for (const t of [service, standalone]) first.session.report({ taskArn: t.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING' }] });
  await until(() => first.session.pending === 0, WAIT_MS);

  const describe = async () => (await ecs<{ containerInstances: Instance[] }>('describe-container-instances', '--cluster', cluster, '--container-instances', arn)).containerInstances[0]!;
  const tasks = async () => new Map((await ecs<{ tasks: Task[] }>('describe-tasks', '--cluster', cluster, '--tasks', service.taskArn, standalone.taskArn)).tasks.map((t) => [t.taskArn, t]));

  // The agent goes away (its session closes, as when its process is killed).
  const gone = Date.now();
  first.session.close();
  // Within the grace period (asked at once, in process: an aws CLI's own start can take seconds
  // on a loaded machine, and this must be answered well inside the 15 s).
  const sdk = recordingEcsClient(berth.endpoint).client;
  const [during, duringTasks] = await Promise.all([
    sdk.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arn] })).then((r) => r.containerInstances![0]! as unknown as Instance),
    sdk.send(new DescribeTasksCommand({ cluster, tasks: [service.taskArn] })).then((r) => r.tasks![0]!),
  ]);
  const asked = Date.now() - gone;
  sdk.destroy();
  assert.equal(during.agentConnected, true, `within the grace period (answered ${asked} ms after the close) it is still shown connected`);
  assert.equal('agentDisconnectedAt' in during, false, "Berth's own bookkeeping is not in the answer");
  assert.equal(duringTasks.lastStatus, 'RUNNING', 'its service task is not stopped within the grace period');

  await until(async () => !(await describe()).agentConnected, DISCONNECT_GRACE_MS + WAIT_MS);
  const shownAfter = Date.now() - gone;
  assert.ok(shownAfter >= DISCONNECT_GRACE_MS - 1_000, `shown disconnected after ${shownAfter} ms, not before the grace period`);
  await until(async () => (await tasks()).get(service.taskArn)!.lastStatus === 'STOPPED', WAIT_MS);
  const after = await tasks();
  const stopped = after.get(service.taskArn)!;
  assert.equal(stopped.desiredStatus, 'STOPPED');
  assert.equal(stopped.stopCode, 'ServiceSchedulerInitiated');
  assert.match(stopped.stoppedReason!, /has been disconnected for more than 15 seconds/);
  assert.equal(after.get(standalone.taskArn)!.lastStatus, 'RUNNING', 'a standalone task is left alone');

  // Back: connected again; the snapshot lists only the standalone task, so the agent stops the other.
  const second = connect(cluster, arn, secret);
  await until(() => second.session.connected && second.snapshots.length > 0, WAIT_MS);
  assert.deepEqual(second.snapshots[0]!.map((a) => a.spec.ecs.taskArn), [standalone.taskArn]);
  await until(async () => (await describe()).agentConnected, WAIT_MS);
  // Its late report of the stopped task, RUNNING, changes nothing.
  second.session.report({ taskArn: service.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING' }] });
  await until(() => second.session.pending === 0, WAIT_MS);
  assert.equal((await tasks()).get(service.taskArn)!.lastStatus, 'STOPPED');
  second.session.close();
});
