// Services that run: `berth up` with its agent, the sample images, and the aws CLI's
// waiters. A REPLICA service reaches services-stable (one deployment, runningCount ==
// desiredCount, counted from its real tasks), berth service and berth ps show it, and a
// forced DeleteService reaches services-inactive. Needs the service reconciler (issue 14,
// part 3) wired into the server. Run under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import { ROOT, type BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint]);

interface Service { status: string; desiredCount: number; runningCount: number; pendingCount: number; deployments: { id: string; status: string; runningCount: number; rolloutState: string }[]; events: { message: string }[] }
const describeService = async (name: string) => (await ecs<{ services: Service[] }>('describe-services', '--services', name)).services[0]!;

before(async () => {
  berth = await startBerthWithSamples();
});

after(() => stopBerthAndTasks(berth, ecs, ['web']));

test('a REPLICA service reaches services-stable with its tasks RUNNING, and a forced delete reaches services-inactive', async () => {
  await ecs('register-task-definition', '--family', 'web', '--container-definitions',
    JSON.stringify([{ name: 'web', image: 'berth/web', memory: 32, stopTimeout: 2, portMappings: [{ containerPort: 80, hostPort: 0 }] }])); // stopTimeout: httpd as PID 1 ignores SIGTERM
  const created = (await ecs<{ service: Service }>('create-service', '--service-name', 'web', '--task-definition', 'web', '--desired-count', '2')).service;
  await ecs('wait', 'services-stable', '--services', 'web');
  const stable = await describeService('web');
  assert.deepEqual([stable.status, stable.desiredCount, stable.runningCount, stable.pendingCount], ['ACTIVE', 2, 2, 0]);
  assert.deepEqual(stable.deployments.map((d) => [d.id, d.status, d.runningCount]), [[created.deployments[0]!.id, 'PRIMARY', 2]]);
  const tasks = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'web')).taskArns;
  assert.equal(tasks.length, 2);

  const listed = await berthCli('service');
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^web\s+default\s+ACTIVE\s+2\s+2\s+0\s+web:1\s/m);
  const ps = await berthCli('ps');
  assert.equal((ps.stdout.match(/^\w{12}\s+default\s+web\s+web:1\s+RUNNING/gm) ?? []).length, 2, ps.stdout);

  await ecs('delete-service', '--service', 'web', '--force');
  await ecs('wait', 'services-inactive', '--services', 'web');
  assert.equal((await describeService('web')).status, 'INACTIVE');
  await ecs('wait', 'tasks-stopped', '--tasks', ...tasks);
});
