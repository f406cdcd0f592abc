// A service deployment stopped with real containers: `berth up` with its agent and the
// sample images. A service reaches services-stable (its first service deployment
// SUCCESSFUL); an update to a task definition whose health check never passes stays in
// progress (no circuit breaker), StopServiceDeployment rolls it back, and the service is
// stable again on its first revision (ROLLBACK_SUCCESSFUL). Run under
// `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { AWS_CLIS, aws, awsEnv, PYTHON3 } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const cli = AWS_CLIS[1];
// Debian's aws CLI v2 predates the service deployment operations: it is given this
// machine's botocore ECS model (as in ecs-service-deployments.test.ts).
const modelDir = mkdtempSync(join(tmpdir(), 'berth-ecs-model-'));
const ecs = async <T = Json>(...args: string[]): Promise<T> => {
  const r = await run(cli.bin, ['--endpoint-url', berth.endpoint, '--output', 'json', 'ecs', ...args], { env: { ...awsEnv(undefined, cli), AWS_DATA_PATH: `${modelDir}:${awsEnv(undefined, cli).AWS_DATA_PATH}` } });
  if (r.code !== 0) throw new Error(`aws ecs ${args.join(' ')} failed: ${r.stderr}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
};
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint]);

before(async () => {
  const botocore = execFileSync(PYTHON3, ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim();
  mkdirSync(join(modelDir, 'ecs', '2014-11-13'), { recursive: true });
  writeFileSync(join(modelDir, 'ecs', '2014-11-13', 'service-2.json'), gunzipSync(readFileSync(join(botocore, 'data', 'ecs', '2014-11-13', 'service-2.json.gz'))));
  await cleanupHost();
  berth = await startBerth([], { agent: true });
  const samples = await berthCli('image', 'samples');
  assert.equal(samples.code, 0, samples.stderr);
});

after(async () => {
  // Stop every task through the API, so containers, mounts and namespaces go the normal way.
  await aws(cli, berth.endpoint, ['ecs', 'delete-service', '--service', 'web', '--force']).catch(() => undefined);
  const arns = (await aws<{ taskArns: string[] }>(cli, berth.endpoint, ['ecs', 'list-tasks']).catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await aws(cli, berth.endpoint, ['ecs', 'stop-task', '--task', t]).catch(() => undefined);
  if (arns.length) await aws(cli, berth.endpoint, ['ecs', 'wait', 'tasks-stopped', '--tasks', ...arns]).catch(() => undefined);
  await berth.stop();
  await cleanupHost();
  rmSync(modelDir, { recursive: true, force: true });
});

// stopTimeout 2 s: busybox httpd as PID 1 ignores SIGTERM, and ECS's default 30 s would be
// sat out at every task stopped.
const container = (healthy: boolean) => JSON.stringify([{ name: 'web', image: 'berth/web', memory: 32, stopTimeout: 2, portMappings: [{ containerPort: 80, hostPort: 0 }],
  healthCheck: { command: ['CMD-SHELL', healthy ? 'true' : 'exit 1'], interval: 5, retries: 1 } }]);

test('StopServiceDeployment rolls a deployment that never turns healthy back to the last revision; the service is stable on it again', async () => {
  await ecs('register-task-definition', '--family', 'web', '--container-definitions', container(true));
  await ecs('register-task-definition', '--family', 'web', '--container-definitions', container(false));
  await ecs('create-service', '--service-name', 'web', '--task-definition', 'web:1', '--desired-count', '2');
  await ecs('wait', 'services-stable', '--services', 'web');
  const list = async () => (await ecs<{ serviceDeployments: Json[] }>('list-service-deployments', '--service', 'web')).serviceDeployments;
  // services-stable counts RUNNING tasks; the deployment completes once they are healthy too.
  const first = await until('the first deployment to succeed', async () => ((await list())[0]!.status === 'SUCCESSFUL' ? (await list())[0] : undefined), 60_000);
  assert.ok(first!.finishedAt >= first!.startedAt);

  await ecs('update-service', '--service', 'web', '--task-definition', 'web:2');
  const [second] = await list();
  const describe = async () => (await ecs<{ serviceDeployments: Json[] }>('describe-service-deployments', '--service-deployment-arns', second!.serviceDeploymentArn)).serviceDeployments[0]!;
  // Its tasks start, fail their health check and are replaced; it never completes.
  await until('a task of web:2 running', async () => ((await describe()).targetServiceRevision.runningTaskCount > 0 ? true : undefined), 60_000);
  assert.equal((await describe()).status, 'IN_PROGRESS');

  await ecs('stop-service-deployment', '--service-deployment-arn', second!.serviceDeploymentArn, '--stop-type', 'ROLLBACK');
  await until('the rollback to succeed', async () => ((await describe()).status === 'ROLLBACK_SUCCESSFUL' ? true : undefined), 180_000);
  const done = await describe();
  assert.equal(done.rollback.serviceRevisionArn, first!.targetServiceRevisionArn);
  assert.ok(done.finishedAt >= done.rollback.startedAt);
  await ecs('wait', 'services-stable', '--services', 'web');
  const svc = (await ecs<{ services: Json[] }>('describe-services', '--services', 'web')).services[0]!;
  assert.equal(svc.taskDefinition.endsWith(':task-definition/web:1'), true);
  assert.deepEqual([svc.runningCount, svc.deployments.length], [2, 1]);
  const tasks = (await ecs<{ taskArns: string[] }>('list-tasks', '--service-name', 'web')).taskArns;
  const described = (await ecs<{ tasks: Json[] }>('describe-tasks', '--tasks', ...tasks)).tasks;
  assert.deepEqual(described.map((t) => [t.taskDefinitionArn.split('/').pop(), t.lastStatus]), [['web:1', 'RUNNING'], ['web:1', 'RUNNING']]);
});
