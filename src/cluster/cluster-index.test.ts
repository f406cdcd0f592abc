import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../core/ecs/keys.ts';
import { ClusterIndex } from './cluster-index.ts';
import { summarize } from './summary.ts';
import { SCOPE, taskRecord } from './testing.ts';
import { service } from '../controllers/service/testing/builders.ts';

let rev = 0;
const put = (ix: ClusterIndex, id: string, o: Parameters<typeof taskRecord>[2]) => ix.putTask(summarize(keys.task(SCOPE, 'c', id), ++rev, taskRecord('c', id, o)));
const counts = (ix: ClusterIndex, group: string) => Object.fromEntries([...ix.groupCounts(group)].map(([k, v]) => [k, [v.running, v.pending]]));

test('an index walk answers each task as it is now, after status changes that leave it where it was', () => {
  const ix = new ClusterIndex();
  put(ix, 'a', { group: 'service:web', startedBy: 'ecs-svc/1', instance: 'i1' });
  put(ix, 'b', { group: 'service:web', startedBy: 'ecs-svc/1', instance: 'i1' });
  put(ix, 'a', { group: 'service:web', startedBy: 'ecs-svc/1', instance: 'i1', lastStatus: 'RUNNING' });
  for (const filter of [{ group: 'service:web' }, { startedBy: 'ecs-svc/1' }, { family: 'web' }, { desiredStatus: 'RUNNING' as const }, { instanceArn: ix.task('a')!.containerInstanceArn! }]) {
    assert.deepEqual([...ix.tasks(filter)].map((t) => [t.id, t.lastStatus]), [['a', 'RUNNING'], ['b', 'PENDING']], JSON.stringify(filter));
  }
  // Moved between indexes (desired STOPPED), then gone.
  put(ix, 'b', { group: 'service:web', startedBy: 'ecs-svc/1', instance: 'i1', desiredStatus: 'STOPPED' });
  assert.deepEqual([...ix.tasks({ desiredStatus: 'STOPPED' })].map((t) => t.id), ['b']);
  assert.deepEqual([...ix.tasks({ desiredStatus: 'RUNNING' })].map((t) => t.id), ['a']);
  ix.removeTask('b');
  assert.deepEqual([...ix.tasks({ group: 'service:web' })].map((t) => t.id), ['a']);
  assert.deepEqual([...ix.tasks({ desiredStatus: 'STOPPED' })], []);
});

test('group counts follow every change: running and pending by startedBy, desired RUNNING and not STOPPED only', () => {
  const ix = new ClusterIndex();
  put(ix, 'a', { group: 'service:web', startedBy: 'ecs-svc/1' });
  put(ix, 'b', { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'RUNNING' });
  put(ix, 'c', { group: 'service:web', startedBy: 'ecs-svc/2', lastStatus: 'RUNNING' });
  put(ix, 'd', { group: 'service:web' });
  put(ix, 'e', { group: 'service:api', startedBy: 'ecs-svc/3' });
  assert.deepEqual(counts(ix, 'service:web'), { 'ecs-svc/1': [1, 1], 'ecs-svc/2': [1, 0] });
  put(ix, 'a', { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'RUNNING' });
  put(ix, 'c', { group: 'service:web', startedBy: 'ecs-svc/2', lastStatus: 'RUNNING', desiredStatus: 'STOPPED' });
  assert.deepEqual(counts(ix, 'service:web'), { 'ecs-svc/1': [2, 0] }, 'a task desired STOPPED counts no more');
  put(ix, 'b', { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
  ix.removeTask('a');
  assert.deepEqual(counts(ix, 'service:web'), {});
  assert.deepEqual(counts(ix, 'service:api'), { 'ecs-svc/3': [0, 1] });
  assert.deepEqual(counts(ix, 'nobody'), {});
});

test('taskArray answers what tasks() walks, for one filter (its index copied) and several', () => {
  const ix = new ClusterIndex();
  put(ix, 'c', { group: 'service:web', startedBy: 'ecs-svc/1', family: 'api' });
  put(ix, 'a', { group: 'service:web', startedBy: 'ecs-svc/2' });
  put(ix, 'b', { group: 'family:web', startedBy: 'ecs-svc/1' });
  for (const f of [{ group: 'service:web' }, { group: 'nobody' }, { startedBy: 'ecs-svc/1' }, { group: 'service:web', family: 'api' }, { group: 'service:web', after: 'a' }, {}]) {
    assert.deepEqual(ix.taskArray(f).map((t) => t.id), [...ix.tasks(f)].map((t) => t.id), JSON.stringify(f));
  }
  assert.deepEqual(ix.taskArray({ group: 'service:web' }).map((t) => t.id), ['a', 'c']);
});

test('counts split Fargate tasks and services from the rest, for DescribeClusters STATISTICS', () => {
  const ix = new ClusterIndex();
  put(ix, 'e1', { lastStatus: 'RUNNING' });
  put(ix, 'f1', { lastStatus: 'RUNNING', launchType: 'FARGATE', awsvpc: true });
  put(ix, 'f2', { launchType: 'FARGATE', awsvpc: true });
  put(ix, 'f3', { launchType: 'FARGATE', awsvpc: true, lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
  const held = (name: string, o: Partial<ReturnType<typeof service>>) => ({ key: `/services/${name}`, modRevision: ++rev, value: { ...service({ name }), ...o } });
  ix.putService('ec2', held('ec2', {}));
  ix.putService('fg', held('fg', { launchType: 'FARGATE' }));
  ix.putService('spot', held('spot', { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0 }] }));
  ix.putService('gone', held('gone', { launchType: 'FARGATE', status: 'DRAINING' }));
  const c = ix.counts();
  assert.deepEqual([c.runningTasksCount, c.runningFargateTasksCount, c.pendingTasksCount, c.pendingFargateTasksCount], [2, 1, 1, 1]);
  assert.deepEqual([c.activeServicesCount, c.activeFargateServicesCount, c.drainingServicesCount, c.drainingFargateServicesCount], [3, 2, 1, 1]);
  put(ix, 'f1', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', launchType: 'FARGATE', awsvpc: true });
  ix.removeService('gone');
  ix.putService('fg', held('fg', { launchType: 'FARGATE', status: 'DRAINING' }));
  const d = ix.counts();
  assert.deepEqual([d.runningFargateTasksCount, d.activeFargateServicesCount, d.drainingFargateServicesCount], [0, 1, 1]);
});

test('a pod task holds its node\'s pod slot, not an ENI slot; an awsvpc ECS task (even one grouped pod:…) holds an ENI slot', () => {
  const ix = new ClusterIndex();
  const pod = { ...taskRecord('c', 'p1', { group: 'pod:default/web', instance: 'i1', awsvpc: true }), taskDefinitionArn: '' };
  ix.putTask(summarize(keys.task(SCOPE, 'c', 'p1'), ++rev, pod));
  put(ix, 't1', { group: 'pod:looks-like-one', instance: 'i1', awsvpc: true });
  put(ix, 't2', { instance: 'i1', awsvpc: true });
  assert.equal(ix.task('p1')!.pod, true);
  assert.equal(ix.task('p1')!.eni, false);
  assert.equal(ix.task('t1')!.pod, undefined, 'an ECS task has a task definition');
  assert.equal(ix.usageOf(ix.task('p1')!.containerInstanceArn!)!.eni, 2, 'the two ECS tasks');
});
