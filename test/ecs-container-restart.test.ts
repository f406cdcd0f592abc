// ECS container restart policies (developer guide, "Restart individual containers in Amazon
// ECS tasks with container restart policies"), through RunTask with the aws CLI: an essential
// container that exits 1 after its restartAttemptPeriod is started again in place, the task
// stays RUNNING, and the task metadata endpoint v4 shows its RestartCount; one that exits
// before its attempt period, or with an ignored exit code, is not restarted and its task stops.
// Host-touching: run under flock /tmp/berth-host.lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { execInTask } from './support/task-shell.ts';
import { until } from './support/until.ts';

/** ECS's least restartAttemptPeriod: the restarted container must have run this long. */
const ATTEMPT_PERIOD = 60;
/** The attempt period, the restart and a loaded machine's slack. */
const RESTART_WAIT_MS = (ATTEMPT_PERIOD + 60) * 1000;

let berth: BerthProcess;
const cli = AWS_CLIS[0];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const SLEEP = ['sh', '-c', 'while :; do sleep 1; done'];

interface Described { tasks: { lastStatus: string; stopCode?: string; containers: Record<string, unknown>[] }[] }
const describeTask = async (arn: string) => (await ecs<Described>('describe-tasks', '--tasks', arn)).tasks[0]!;

/** The task metadata v4 of the task's `app` container, read from inside its first container. */
async function appMetadata(task: string): Promise<Record<string, unknown>> {
  const r = await execInTask(berth.endpoint, task, 'sh', '-c', 'wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/task');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as { Containers: Record<string, unknown>[] };
  return t.Containers.find((c) => c.Name === 'app')!;
}

describe('ECS container restart policy', () => {
  before(async () => {
    berth = await startBerthWithSamples();
    const family = (name: string, app: Record<string, unknown>) => ecs('register-task-definition', '--cli-input-json', JSON.stringify({
      family: name, networkMode: 'bridge',
      containerDefinitions: [
        { name: 'side', image: 'berth/sleep', memory: 32, command: SLEEP, stopTimeout: 1 },
        { name: 'app', image: 'berth/sleep', memory: 32, stopTimeout: 1, ...app },
      ],
    }));
    await family('restarts', { command: ['sh', '-c', `sleep ${ATTEMPT_PERIOD + 1}; exit 1`], restartPolicy: { enabled: true, restartAttemptPeriod: ATTEMPT_PERIOD } });
    await family('ignored', { command: ['sh', '-c', `sleep ${ATTEMPT_PERIOD + 1}; exit 0`], restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: ATTEMPT_PERIOD } });
    await family('early', { command: ['sh', '-c', 'sleep 1; exit 1'], restartPolicy: { enabled: true, restartAttemptPeriod: ATTEMPT_PERIOD } });
    await family('none', { command: SLEEP });
  });

  after(async () => {
    if (berth) await stopBerthAndTasks(berth, ecs);
  });

  test('exit 1 after the attempt period: restarted in place, RestartCount 1; an ignored code or an early exit: not restarted, the task stops', async () => {
    const run = async (family: string) => (await ecs<{ tasks: { taskArn: string }[] }>('run-task', '--task-definition', family)).tasks[0]!.taskArn;
    const [restarts, ignored, early, none] = [await run('restarts'), await run('ignored'), await run('early'), await run('none')];
    await ecs('wait', 'tasks-running', '--tasks', restarts, none);
    assert.equal((await appMetadata(restarts)).RestartCount, 0);
    assert.equal('RestartCount' in await appMetadata(none), false, 'only a container with a restart policy has one');

    // Exits at once, before its attempt period: ECS does not restart it, and it is essential.
    await ecs('wait', 'tasks-stopped', '--tasks', early);
    const e = await describeTask(early);
    assert.equal(e.stopCode, 'EssentialContainerExited');
    assert.equal(e.containers.find((c) => c.name === 'app')?.exitCode, 1);

    // The count rises as the restart begins; the container is RUNNING again once started.
    const restarted = await until('RestartCount 1, running again', async () => {
      const m = await appMetadata(restarts).catch(() => undefined);
      return m && m.RestartCount === 1 && m.KnownStatus === 'RUNNING' ? m : undefined;
    }, RESTART_WAIT_MS);
    assert.equal(restarted.ExitCode, undefined);
    const t = await describeTask(restarts);
    assert.equal(t.lastStatus, 'RUNNING', 'the task was not replaced');
    const app = t.containers.find((c) => c.name === 'app')!;
    assert.equal(app.lastStatus, 'RUNNING');
    assert.equal(app.exitCode, undefined);
    for (const k of ['restartCount', 'ready', 'started', 'lastTermination', 'waiting']) assert.equal(k in app, false, `DescribeTasks has no ${k}`);

    await ecs('wait', 'tasks-stopped', '--tasks', ignored);
    const i = await describeTask(ignored);
    assert.equal(i.stopCode, 'EssentialContainerExited', 'exit 0 is ignored: no restart, the essential container ended the task');
    assert.equal(i.containers.find((c) => c.name === 'app')?.exitCode, 0);
  });
});
