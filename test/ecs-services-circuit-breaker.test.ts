// Issue 14's tries of the deployment circuit breaker, on `berth up` with its agent and real
// containers: a service of 4 (threshold clamp(ceil(0.5 × 4), 3, 200) = 3) steady on a good
// task definition is updated to
// - an image whose repository does not exist in Berth's registry: its tasks never reach
//   RUNNING (stage 1), and
// - a container health check that always fails: its tasks reach RUNNING, turn UNHEALTHY
//   and are stopped for it (stage 2);
// each time the deployment FAILS once 3 launches have failed, with ECS's rolloutStateReason,
// and the service rolls back to the last COMPLETED deployment's task definition and is steady
// there. Sampled every 100 ms through boto3: the old tasks keep serving meanwhile
// (minimumHealthyPercent 100). Actions go through the aws CLI v2.
// Run as root under `flock /tmp/berth-host.lock`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLIS, aws } from './support/aws-cli.ts';
import type { BerthProcess } from './support/berth.ts';
import { startBerthWithSamples, stopBerthAndTasks } from './support/berth-with-agent.ts';
import { counts, ServiceSampler, type Sample, type SampledDeployment, type SampledTask } from './support/service-sampler.ts';

let berth: BerthProcess;
const cli = AWS_CLIS[1];
const ecs = <T = Record<string, unknown>>(...args: string[]) => aws<T>(cli, berth.endpoint, ['ecs', ...args]);
const SERVICES = ['bad-image', 'bad-health'];
const DESIRED = 4;
/** clamp(ceil(0.5 × 4), 3, 200). */
const THRESHOLD = 3;

const PASSING = { command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost/ || exit 1'], interval: 5, timeout: 2, retries: 2 };
const web = (over: Record<string, unknown> = {}) => ({ name: 'web', image: 'berth/web', memory: 32, stopTimeout: 2, healthCheck: PASSING, ...over });

before(async () => {
  berth = await startBerthWithSamples();
});

after(() => stopBerthAndTasks(berth, ecs, SERVICES));

const register = async (family: string, container: Record<string, unknown>) =>
  (await ecs<{ taskDefinition: { taskDefinitionArn: string } }>('register-task-definition', '--family', family, '--container-definitions', JSON.stringify([container]))).taskDefinition.taskDefinitionArn;

/** One deployment left, the PRIMARY of `taskDefinition`, COMPLETED, with DESIRED healthy tasks and nothing else. */
const steadyOn = (taskDefinition: string) => (s: Sample) => {
  const c = counts(s);
  const [d, ...rest] = s.service.deployments;
  return rest.length === 0 && d?.status === 'PRIMARY' && d.taskDefinition === taskDefinition && d.rolloutState === 'COMPLETED' && c.healthy === DESIRED && c.total === DESIRED;
};

interface Tried {
  failed: SampledDeployment;
  /** Every task of the bad deployment the sampler saw STOPPED. */
  stopped: SampledTask[];
  seconds: number;
}

/**
 * Creates `name` steady on `good`, updates it to `bad` with the circuit breaker and rollback
 * on, and follows it through the failure and back. `isFailure`: what the stage counts.
 */
async function tryBadDeployment(name: string, good: string, bad: string, isFailure: (t: SampledTask) => boolean): Promise<Tried> {
  await ecs('create-service', '--service-name', name, '--task-definition', good, '--desired-count', String(DESIRED),
    '--deployment-configuration', JSON.stringify({ deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 }));
  let armed = false;
  const stopped = new Map<string, SampledTask>();
  const sampler = new ServiceSampler(berth.endpoint, name, (s) => {
    for (const t of s.tasks) if (t.lastStatus === 'STOPPED' && t.taskDefinitionArn === bad) stopped.set(t.arn, t);
    const c = counts(s);
    armed ||= c.healthy === DESIRED;
    if (armed) assert.ok(c.healthy >= DESIRED, `healthy ${c.healthy} < ${DESIRED}: the good tasks must serve until the bad ones are healthy, which they never are`);
  });
  const started = Date.now();
  let failed: SampledDeployment | undefined;
  try {
    const first = await sampler.waitFor(`${name} steady on ${good}`, steadyOn(good), 90_000);
    const update = (await ecs<{ service: { deployments: { id: string; status: string }[] } }>('update-service', '--service', name, '--task-definition', bad)).service;
    const badId = update.deployments.find((d) => d.status === 'PRIMARY')!.id;
    assert.notEqual(badId, first.service.deployments[0]!.id);
    const tripped = await sampler.waitFor(`deployment ${badId} FAILED`, (s) => s.service.deployments.some((d) => d.id === badId && d.rolloutState === 'FAILED'), 150_000);
    failed = tripped.service.deployments.find((d) => d.id === badId)!;
    // After the threshold, not before: by the sample that first shows it FAILED, at least 3 of its tasks were seen failing.
    const failures = [...stopped.values()].filter(isFailure).length;
    assert.ok(failures >= THRESHOLD, `FAILED with ${failures} failed tasks of ${bad} seen`);
    // The rollback: a new PRIMARY of the good task definition, saying which deployment it goes back to.
    const firstId = first.service.deployments[0]!.id;
    const rollingBack = (x: Sample) => x.service.deployments.some((d) => d.status === 'PRIMARY' && d.taskDefinition === good && d.id !== firstId
      && d.rolloutState === 'IN_PROGRESS' && d.rolloutStateReason === `ECS deployment circuit breaker: rolling back to deploymentId ${firstId}.`);
    if (!rollingBack(tripped)) await sampler.waitFor(`a PRIMARY rolling back to ${firstId}`, rollingBack, 30_000);
    await sampler.waitFor(`${name} rolled back and steady on ${good}`, steadyOn(good), 120_000);
  } finally {
    await sampler.stop();
  }
  assert.deepEqual(sampler.errors, []);
  return { failed, stopped: [...stopped.values()], seconds: (Date.now() - started) / 1000 };
}

interface Service { taskDefinition: string; runningCount: number; deployments: { status: string; taskDefinition: string; rolloutState: string }[]; events: { message: string }[] }
const describeService = async (name: string) => (await ecs<{ services: Service[] }>('describe-services', '--services', name)).services[0]!;

/** The service as a user sees it after the rollback: on `good`, one COMPLETED deployment, and the events that say what happened. */
async function assertRolledBack(name: string, good: string, failedId: string): Promise<void> {
  const s = await describeService(name);
  assert.equal(s.taskDefinition, good, 'the service is back on the last COMPLETED task definition');
  assert.deepEqual(s.deployments.map((d) => [d.status, d.taskDefinition, d.rolloutState]), [['PRIMARY', good, 'COMPLETED']]);
  assert.equal(s.runningCount, DESIRED);
  const events = s.events.map((e) => e.message);
  assert.ok(events.includes(`(service ${name}) (deployment ${failedId}) deployment failed: tasks failed to start.`), events.join('\n'));
  assert.ok(events.some((m) => /^\(service [\w-]+\) rolling back to deployment ecs-svc\/\d+\.$/.test(m) && m.startsWith(`(service ${name}) `)), events.join('\n'));
}

test('a bad image: the circuit breaker fails the deployment after 3 failed launches (stage 1) and rolls back to the last COMPLETED one', async () => {
  const good = await register('bad-image', web());
  const bad = await register('bad-image', web({ image: 'berth/no-such-repository' }));
  const failedToStart = (t: SampledTask) => t.stopCode === 'TaskFailedToStart';
  const tried = await tryBadDeployment('bad-image', good, bad, failedToStart);
  process.stdout.write(`# bad image: failed after ${tried.failed.failedTasks} failed tasks, rolled back and steady in ${tried.seconds.toFixed(1)} s\n`);
  assert.equal(tried.failed.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(tried.failed.failedTasks >= THRESHOLD, `failedTasks ${tried.failed.failedTasks}`);
  const failed = tried.stopped.filter(failedToStart);
  assert.ok(failed.length >= THRESHOLD, JSON.stringify(tried.stopped.map((t) => [t.stopCode, t.stoppedReason])));
  assert.ok(failed.every((t) => t.stoppedReason!.startsWith('CannotPullContainerError: ')), failed[0]!.stoppedReason);
  // Any other was one still pending when the deployment failed, stopped by the scheduler.
  assert.deepEqual(tried.stopped.filter((t) => !failedToStart(t)).filter((t) => t.stopCode !== 'ServiceSchedulerInitiated'), []);
  // They never ran: every one the sampler saw was stopped before RUNNING.
  const described = (await ecs<{ tasks: { startedAt?: number; stoppedReason: string }[] }>('describe-tasks', '--tasks', ...tried.stopped.map((t) => t.arn))).tasks;
  assert.ok(described.every((t) => t.startedAt === undefined), 'no task of the bad image started');
  await assertRolledBack('bad-image', good, tried.failed.id);
});

test('a health check that always fails: the circuit breaker fails the deployment after 3 tasks stopped UNHEALTHY (stage 2) and rolls back', async () => {
  const good = await register('bad-health', web());
  const bad = await register('bad-health', web({ healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 5, timeout: 2, retries: 1 } }));
  const failedHealthChecks = (t: SampledTask) => t.stoppedReason === 'Task failed container health checks';
  const tried = await tryBadDeployment('bad-health', good, bad, failedHealthChecks);
  process.stdout.write(`# bad health check: failed after ${tried.failed.failedTasks} failed tasks, rolled back and steady in ${tried.seconds.toFixed(1)} s\n`);
  assert.equal(tried.failed.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(tried.failed.failedTasks >= THRESHOLD, `failedTasks ${tried.failed.failedTasks}`);
  const unhealthy = tried.stopped.filter(failedHealthChecks);
  assert.ok(unhealthy.length >= THRESHOLD, JSON.stringify(tried.stopped.map((t) => [t.stopCode, t.stoppedReason])));
  // They ran: stage 2 is about tasks that reached RUNNING.
  const described = (await ecs<{ tasks: { startedAt?: number; healthStatus: string }[] }>('describe-tasks', '--tasks', ...unhealthy.map((t) => t.arn))).tasks;
  assert.ok(described.every((t) => t.startedAt !== undefined), 'every task stopped UNHEALTHY had started');
  const s = await describeService('bad-health');
  assert.ok(s.events.some((e) => /^\(service bad-health\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(e.message)), s.events.map((e) => e.message).join('\n'));
  await assertRolledBack('bad-health', good, tried.failed.id);
});
