import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../../cluster/types.ts';
import type { TaskView } from './counts.ts';
import { bounds, rollingStep } from './rolling.ts';
import { countFailures } from './circuit-breaker.ts';
import type { DeploymentRecord } from '../../core/ecs/service.ts';
import { Harness } from './testing/harness.ts';
import { behaviours, instance, service, taskDefinitionArn } from './testing/builders.ts';

let seq = 0;
function task(over: Partial<TaskSummary> = {}): TaskSummary {
  const id = over.id ?? `t${++seq}`;
  return {
    key: `/tasks/${id}`, modRevision: 1, id, taskArn: `arn:aws:ecs:us-east-1:0:task/default/${id}`, taskDefinitionArn: 'td:1', family: 'web',
    containerInstanceArn: 'ci/a', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', group: 'service:web', startedBy: 'new', launchType: 'EC2',
    cpu: 1, memory: 1, ports: [], eni: false, healthStatus: 'HEALTHY', healthChecked: true, createdAt: 0, startedAt: 0, ...over,
  };
}
const v = (t: TaskSummary, over: Partial<TaskView> = {}): TaskView => ({ task: t, live: true, healthy: true, zone: 'a', ...over });

test('the floor rounds up and the ceiling rounds down', () => {
  assert.deepEqual(bounds(10, 50, 200), { floor: 5, ceiling: 20 });
  assert.deepEqual(bounds(3, 50, 150), { floor: 2, ceiling: 4 });
  assert.deepEqual(bounds(10, 110, 110), { floor: 11, ceiling: 11 });
  assert.deepEqual(bounds(0, 100, 200), { floor: 0, ceiling: 0 });
});

test('an unhealthy task is replaced first when the ceiling allows, and stopped once its replacement is in place', () => {
  const sick = v(task({ healthStatus: 'UNHEALTHY' }), { healthy: false, doom: 'unhealthy' });
  const ok = v(task());
  const first = rollingStep({ desired: 2, minimumHealthyPercent: 100, maximumPercent: 200, views: [sick, ok], primaryId: 'new', olderIds: [], canLaunch: true, canReplace: true });
  assert.equal(first.start, 1);
  assert.deepEqual(first.stops, []);
  const replacement = v(task({ lastStatus: 'PENDING', startedAt: undefined, healthStatus: 'UNKNOWN' }), { healthy: false });
  const second = rollingStep({ desired: 2, minimumHealthyPercent: 100, maximumPercent: 200, views: [sick, ok, replacement], primaryId: 'new', olderIds: [], canLaunch: true, canReplace: true });
  assert.equal(second.start, 0);
  assert.deepEqual(second.stops.map((s) => [s.view.task.id, s.why]), [[sick.task.id, 'unhealthy']]);
});

test('when the ceiling leaves no room, unhealthy tasks are stopped one at a time to make some', () => {
  const sick = [1, 2].map(() => v(task({ healthStatus: 'UNHEALTHY' }), { healthy: false, doom: 'unhealthy' }));
  const step = rollingStep({ desired: 2, minimumHealthyPercent: 50, maximumPercent: 100, views: sick, primaryId: 'new', olderIds: [], canLaunch: true, canReplace: true });
  assert.equal(step.start, 0);
  assert.equal(step.stops.length, 1);
});

test('limits that allow no move are reported as ECS reports them', () => {
  const h = new Harness(() => 0.5);
  h.addInstance(instance({ id: 'i0' }));
  const V1 = taskDefinitionArn('web', 1);
  const V2 = taskDefinitionArn('web', 2);
  h.behaviours.set(V1, behaviours.good());
  h.behaviours.set(V2, behaviours.good());
  h.putService(service({ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 100 }));
  assert.ok(h.run({ until: () => h.service().steady === true }));
  const s = h.service();
  h.putService({ ...s, taskDefinition: V2, deployments: [{ ...s.deployments[0]!, id: 'ecs-svc/2', taskDefinition: V2, rolloutState: 'IN_PROGRESS', createdAt: h.now / 1000 }, { ...s.deployments[0]!, status: 'ACTIVE' }], steady: false });
  h.pass();
  assert.equal(h.service().events[0]!.message, '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.');
  assert.equal(h.applied.filter((a) => a.type === 'launch').length, 1, 'only the first deployment ever launched');
});

test('a failure is counted once, however many passes see it; reaching RUNNING moves the breaker to stage 2 and resets the count', () => {
  const d: DeploymentRecord = { id: 'new', status: 'PRIMARY', taskDefinition: 'td:2', desiredCount: 4, failedTasks: 0, createdAt: 0, updatedAt: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: '' };
  const failed = [1, 2].map((i) => task({ id: `f${i}`, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedAt: undefined, stoppedAt: 10 + i, stopCode: 'TaskFailedToStart' }));
  const once = countFailures(d, failed, []);
  assert.equal(once.failedTasks, 2);
  assert.equal(once.newStartFailures, 2);
  const again = countFailures({ ...d, failedTasks: once.failedTasks, failuresCountedThrough: once.mark }, failed, []);
  assert.equal(again.failedTasks, 2);
  assert.equal(again.newStartFailures, 0);
  const stoppedByUs = task({ id: 'f3', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedAt: undefined, stoppedAt: 20, stopCode: 'ServiceSchedulerInitiated' });
  assert.equal(countFailures({ ...d, failedTasks: 2, failuresCountedThrough: once.mark }, [...failed, stoppedByUs], []).failedTasks, 2, 'a task the scheduler stopped is not a failure');
  const running = task({ id: 'r1', startedAt: 30 });
  const staged = countFailures({ ...d, failedTasks: 2, failuresCountedThrough: once.mark }, [...failed, running], []);
  assert.deepEqual([staged.stage, staged.failedTasks], [2, 0]);
  const sick = task({ id: 'h1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedAt: 31, stoppedAt: 60, stoppedReason: 'Task failed container health checks', stopCode: 'ServiceSchedulerInitiated' });
  const crashed = task({ id: 'h2', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedAt: 31, stoppedAt: 61, stopCode: 'EssentialContainerExited' });
  const stage2 = countFailures({ ...d, failedTasks: 0, circuitBreakerStage: 2, failuresCountedThrough: once.mark }, [...failed, running, sick, crashed], []);
  assert.equal(stage2.failedTasks, 1, 'stage 2 counts health check failures only');
  const healed = countFailures({ ...d, failedTasks: 0, circuitBreakerStage: 2, failuresCountedThrough: once.mark }, [...failed, running, sick], [70]);
  assert.equal(healed.failedTasks, 0, 'a task healthy since the last failure resets the count');
});
