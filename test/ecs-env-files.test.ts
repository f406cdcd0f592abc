// environmentFiles end to end: files put into Berth's S3 with the aws CLI, a task
// definition that names them, and a real container (berth up's agent) whose environment
// shows them merged as ECS merges them; a missing file stops the task as ECS stops it.
// Runs an agent: run it under `flock /tmp/berth-host.lock` (bin/test runs host tests one at a time).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsFails } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';

let berth: BerthProcess;
let dir: string;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const s3api = (...args: string[]) => aws(cli, berth.endpoint, ['s3api', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint]);

interface Task { taskArn: string; lastStatus: string; stopCode?: string; stoppedReason?: string; containers: { exitCode?: number }[] }
const describeTask = async (arn: string) => (await ecs<{ tasks: Task[] }>('describe-tasks', '--tasks', arn)).tasks[0]!;
/** Polls until the task is STOPPED (the CLI's waiter looks only every 6 s). */
async function stopped(arn: string): Promise<Task> {
  for (let i = 0; ; i++) {
    const t = await describeTask(arn);
    if (t.lastStatus === 'STOPPED') return t;
    assert.ok(i < 120, `task ${arn} still ${t.lastStatus}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const runTask = async (family: string) => (await ecs<{ tasks: Task[] }>('run-task', '--task-definition', family)).tasks[0]!.taskArn;
const register = (family: string, container: Record<string, unknown>) =>
  ecs('register-task-definition', '--family', family, '--container-definitions', JSON.stringify([{ name: 'app', image: 'busybox', memory: 32, ...container }]));

before(async () => {
  await cleanupHost();
  berth = await startBerth([], { agent: true });
  dir = mkdtempSync(join(tmpdir(), 'berth-env-files-'));
  const samples = await berthCli('image', 'samples');
  assert.equal(samples.code, 0, samples.stderr);
  writeFileSync(join(dir, 'app.env'), '# the app\nDATABASE_URL=postgres://db:5432/app?sslmode=disable\nLOG_LEVEL=debug\nGREETING="hello world"\n\nSHARED=from-app\n');
  writeFileSync(join(dir, 'extra.env'), 'SHARED=from-extra\nEXTRA=1\r\n');
  await s3api('create-bucket', '--bucket', 'config');
  for (const f of ['app.env', 'extra.env']) await s3api('put-object', '--bucket', 'config', '--key', `svc/${f}`, '--body', join(dir, f));
});

after(async () => {
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  await berth?.stop();
  await cleanupHost();
  rmSync(dir, { recursive: true, force: true });
});

test('a container gets its files\' variables, below its own environment; the first file wins', async () => {
  await register('env-files', {
    command: ['env'],
    environment: [{ name: 'LOG_LEVEL', value: 'info' }],
    environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/svc/app.env' }, { type: 's3', value: 'arn:aws:s3:::config/svc/extra.env' }],
  });
  const arn = await runTask('env-files');
  const t = await stopped(arn);
  assert.deepEqual([t.stopCode, t.containers[0]!.exitCode], ['EssentialContainerExited', 0], t.stoppedReason);
  const logs = await berthCli('logs', arn);
  assert.equal(logs.code, 0, logs.stderr);
  const env = new Map(logs.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.get('DATABASE_URL'), 'postgres://db:5432/app?sslmode=disable', 'split at the first =');
  assert.equal(env.get('LOG_LEVEL'), 'info', 'environment wins over the files');
  assert.equal(env.get('GREETING'), '"hello world"', 'quotes are part of the value');
  assert.equal(env.get('SHARED'), 'from-app', 'the first file that sets a variable wins');
  assert.equal(env.get('EXTRA'), '1', 'CRLF line ends are read as LF');
  assert.equal(env.has('# the app'), false);
});

test('a missing file stops the task before it starts, as ECS stops it', async () => {
  await register('env-missing', {
    command: ['env'],
    environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/svc/app.env' }, { type: 's3', value: 'arn:aws:s3:::config/svc/missing.env' }],
  });
  const arn = await runTask('env-missing');
  const t = await stopped(arn);
  assert.equal(t.stopCode, 'TaskFailedToStart');
  assert.equal(t.stoppedReason, 'ResourceInitializationError: failed to download env files: unable to download env file with key svc/missing.env from bucket config, error: NoSuchKey: The specified key does not exist. status code: 404');
  assert.equal(t.containers[0]!.exitCode, undefined, 'no container ran');
});

test('RegisterTaskDefinition refuses an environment file that is not an S3 object ARN', async () => {
  const f = await awsFails(cli, berth.endpoint, ['ecs', 'register-task-definition', '--family', 'bad-env', '--container-definitions',
    JSON.stringify([{ name: 'app', image: 'busybox', memory: 32, environmentFiles: [{ type: 's3', value: 's3://config/app.env' }] }])]);
  assert.equal(f.code, 'ClientException');
  assert.match(f.message, /Invalid arn syntax.*s3:\/\/config\/app\.env.*arn:aws:s3:::<bucket>\/<key>/);
});
