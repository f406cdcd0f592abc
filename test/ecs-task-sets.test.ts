// Task sets of the EXTERNAL deployment controller, as an external deployer drives them:
// `berth up` with its agent and the sample images, through the aws CLI v2 and boto3. Two
// task sets of one service, scaled, the primary swapped, one deleted: their tasks really
// start and stop. Needs the service reconciler wired into the server. Run under
// `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AWS_CLIS, aws, awsEnv, awsFails, PYTHON3 } from './support/aws-cli.ts';
import { ROOT, startBerth, type BerthProcess } from './support/berth.ts';
import { cleanupHost } from './support/host-cleanup.ts';
import { run } from './support/run.ts';
import { until } from './support/until.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const berthCli = (...args: string[]) => run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), ...args, '--endpoint', berth.endpoint]);
/** Real containers start in seconds; a loaded shared machine gets this long. */
const SETTLE_MS = 90_000;

interface TaskSet { id: string; taskSetArn: string; status: string; computedDesiredCount: number; runningCount: number; pendingCount: number; stabilityStatus: string; scale: { value: number; unit: string } }
interface Service { status: string; desiredCount: number; runningCount: number; taskDefinition?: string; taskSets: TaskSet[]; deployments: unknown[]; events: { message: string }[] }

const describeSets = async (service: string, ...sets: string[]) =>
  ecs<{ taskSets: TaskSet[]; failures: { arn: string; reason: string }[] }>('describe-task-sets', '--service', service, '--cluster', 'default', ...(sets.length ? ['--task-sets', ...sets] : []));
/** The task ARNs a set started that are RUNNING, once there are `n` and the set is steady. */
async function settled(service: string, set: TaskSet, n: number): Promise<string[]> {
  return until(`${n} RUNNING tasks of ${set.id} and STEADY_STATE`, async () => {
    const now = (await describeSets(service, set.id)).taskSets[0];
    const arns = (await ecs<{ taskArns: string[] }>('list-tasks', '--started-by', set.id, '--desired-status', 'RUNNING')).taskArns;
    const running = arns.length ? (await ecs<{ tasks: { taskArn: string; lastStatus: string }[] }>('describe-tasks', '--tasks', ...arns)).tasks.filter((t) => t.lastStatus === 'RUNNING') : [];
    return now?.stabilityStatus === 'STEADY_STATE' && now.runningCount === n && running.length === n ? running.map((t) => t.taskArn) : undefined;
  }, SETTLE_MS);
}

before(async () => {
  await cleanupHost();
  berth = await startBerth([], { agent: true });
  const samples = await berthCli('image', 'samples');
  assert.equal(samples.code, 0, samples.stderr);
  for (const color of ['blue', 'green']) {
    await ecs('register-task-definition', '--family', 'web', '--container-definitions',
      // stopTimeout 2 s: busybox httpd as PID 1 ignores SIGTERM (ECS's default would be 30 s a stop).
      JSON.stringify([{ name: 'web', image: 'berth/web', memory: 32, stopTimeout: 2, environment: [{ name: 'COLOR', value: color }], portMappings: [{ containerPort: 80, hostPort: 0 }] }]));
  }
});

after(async () => {
  // Stop every task through the API, so containers, mounts and namespaces go the normal way.
  for (const name of ['shop', 'cart']) await ecs('delete-service', '--service', name, '--force').catch(() => undefined);
  const arns = (await ecs<{ taskArns: string[] }>('list-tasks').catch(() => ({ taskArns: [] }))).taskArns;
  for (const t of arns) await ecs('stop-task', '--task', t).catch(() => undefined);
  if (arns.length) await ecs('wait', 'tasks-stopped', '--tasks', ...arns).catch(() => undefined);
  await berth.stop();
  await cleanupHost();
});

test('aws CLI v2: an EXTERNAL service with two task sets, scaled, the primary swapped, one deleted; tasks start and stop', async () => {
  const created = (await ecs<{ service: Service }>('create-service', '--service-name', 'shop', '--desired-count', '2', '--deployment-controller', 'type=EXTERNAL')).service;
  assert.deepEqual([created.taskSets, created.deployments, created.taskDefinition], [[], [], undefined]);

  const blue = (await ecs<{ taskSet: TaskSet }>('create-task-set', '--service', 'shop', '--cluster', 'default', '--task-definition', 'web:1', '--scale', 'value=100,unit=PERCENT')).taskSet;
  assert.match(blue.taskSetArn, /^arn:aws:ecs:us-east-1:\d{12}:task-set\/default\/shop\/ecs-svc\/\d{19}$/);
  assert.deepEqual([blue.status, blue.computedDesiredCount, blue.stabilityStatus], ['ACTIVE', 2, 'STABILIZING']);
  assert.equal((await ecs<{ taskSet: TaskSet }>('update-service-primary-task-set', '--service', 'shop', '--cluster', 'default', '--primary-task-set', blue.taskSetArn)).taskSet.status, 'PRIMARY');
  const blueTasks = await settled('shop', blue, 2);

  // The new version beside the old one: half the desired count, no rolling limit between sets.
  const green = (await ecs<{ taskSet: TaskSet }>('create-task-set', '--service', 'shop', '--cluster', 'default', '--task-definition', 'web:2', '--scale', 'value=50,unit=PERCENT', '--external-id', 'green')).taskSet;
  await settled('shop', green, 1);
  assert.equal((await ecs<{ taskSet: TaskSet }>('update-service-primary-task-set', '--service', 'shop', '--cluster', 'default', '--primary-task-set', green.id)).taskSet.status, 'PRIMARY');
  await ecs('update-task-set', '--service', 'shop', '--cluster', 'default', '--task-set', green.id, '--scale', 'value=100,unit=PERCENT');
  await settled('shop', green, 2);
  const swapped = (await ecs<{ services: Service[] }>('describe-services', '--services', 'shop')).services[0]!;
  assert.deepEqual([swapped.taskDefinition?.endsWith(':task-definition/web:2'), swapped.runningCount, swapped.taskSets.map((t) => [t.id, t.status])], [true, 4, [[blue.id, 'ACTIVE'], [green.id, 'PRIMARY']]]);
  // ECS names the set in its events.
  assert.ok(swapped.events.some((e) => e.message.startsWith(`(service shop, taskSet ${green.id}) has started 1 tasks: (task `)), JSON.stringify(swapped.events));

  // Blue scaled to 0, then deleted: its tasks stop, and the set is gone.
  const refused = await awsFails(cli, berth.endpoint, ['ecs', 'delete-task-set', '--service', 'shop', '--cluster', 'default', '--task-set', blue.id]);
  assert.equal(refused.code, 'InvalidParameterException');
  await ecs('update-task-set', '--service', 'shop', '--cluster', 'default', '--task-set', blue.id, '--scale', 'value=0,unit=PERCENT');
  await ecs('wait', 'tasks-stopped', '--tasks', ...blueTasks);
  assert.equal((await ecs<{ taskSet: TaskSet }>('delete-task-set', '--service', 'shop', '--cluster', 'default', '--task-set', blue.taskSetArn)).taskSet.status, 'DRAINING');
  const gone = await until('the deleted task set to go', async () => {
    const d = await describeSets('shop', blue.taskSetArn);
    return d.taskSets.length === 0 ? d.failures : undefined;
  }, SETTLE_MS);
  assert.deepEqual(gone, [{ arn: blue.taskSetArn, reason: 'MISSING' }]);
  assert.equal((await describeSets('shop', green.id)).taskSets[0]!.runningCount, 2);

  await ecs('delete-service', '--service', 'shop', '--force');
  await ecs('wait', 'services-inactive', '--services', 'shop');
});

test('boto3: create_task_set, describe_task_sets with TAGS, the refusals as ClientError codes, delete with force', async () => {
  const script = String.raw`
import boto3, json, sys, time
ecs = boto3.client('ecs', endpoint_url=sys.argv[1])
out = {}
ecs.create_service(serviceName='cart', desiredCount=1, deploymentController={'type': 'EXTERNAL'})
ts = ecs.create_task_set(service='cart', cluster='default', taskDefinition='web:1', scale={'value': 100.0, 'unit': 'PERCENT'}, tags=[{'key': 'team', 'value': 'cart'}])['taskSet']
out['created'] = [ts['status'], ts['computedDesiredCount'], ts['scale']]
deadline = time.time() + 90
while time.time() < deadline:
    d = ecs.describe_task_sets(cluster='default', service='cart', taskSets=[ts['id']], include=['TAGS'])['taskSets'][0]
    if d['runningCount'] == 1 and d['stabilityStatus'] == 'STEADY_STATE':
        break
    time.sleep(0.5)
out['steady'] = [d['runningCount'], d['stabilityStatus'], d['tags']]
def code(f):
    try:
        f()
        return None
    except ecs.exceptions.ClientError as e:
        return e.response['Error']['Code']
out['errors'] = [
    code(lambda: ecs.delete_task_set(cluster='default', service='cart', taskSet=ts['id'])),
    code(lambda: ecs.update_task_set(cluster='default', service='cart', taskSet='ecs-svc/1', scale={'value': 1.0, 'unit': 'PERCENT'})),
    code(lambda: ecs.describe_task_sets(cluster='default', service='nope')),
]
out['deleted'] = ecs.delete_task_set(cluster='default', service='cart', taskSet=ts['taskSetArn'], force=True)['taskSet']['status']
ecs.delete_service(service='cart', force=True)
print(json.dumps(out))
`;
  const r = await run(PYTHON3, ['-c', script, berth.endpoint], { env: awsEnv() });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(out.created, ['ACTIVE', 1, { value: 100, unit: 'PERCENT' }]);
  assert.deepEqual(out.steady, [1, 'STEADY_STATE', [{ key: 'team', value: 'cart' }]]);
  assert.deepEqual(out.errors, ['InvalidParameterException', 'TaskSetNotFoundException', 'ServiceNotFoundException']);
  assert.equal(out.deleted, 'DRAINING');
  await ecs('wait', 'services-inactive', '--services', 'cart');
});
