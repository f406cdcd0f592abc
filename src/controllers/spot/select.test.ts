import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSnapshot, InstanceState, TaskSummary } from '../../cluster/types.ts';
import { listSnapshot } from '../../cluster/snapshot.ts';
import { ApiError } from '../../core/errors.ts';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import { instance, snapshot, task } from '../testing/harness.ts';
import { selectInterruptions } from './select.ts';

function inZone(n: number, zone: string): InstanceState {
  const i = instance(n);
  return { ...i, record: { ...i.record, attributes: [{ name: 'ecs.availability-zone', value: zone }] } };
}
const a = inZone(1, 'us-east-1a');
const b = inZone(2, 'us-east-1b');
const spot = (n: number, on: InstanceState, o: Partial<TaskSummary> = {}): TaskSummary => ({ ...task(n, { on, group: 'service:web' }), capacityProviderName: 'FARGATE_SPOT', createdAt: n, ...o });

function withService(tasks: TaskSummary[]): ClusterSnapshot {
  const s = snapshot({ instances: [a, b], tasks });
  const web = { key: 'svc', modRevision: 1, value: { serviceName: 'web', status: 'ACTIVE' } as ServiceRecord };
  return listSnapshot({ ...s, instances: [a, b], tasks, services: [web] });
}

const fails = (f: () => unknown, code: string, message: RegExp) => assert.throws(f, (e: unknown) => e instanceof ApiError && e.code === code && message.test(e.message));

test('--task takes that one task, whatever its capacity provider, by id or ARN', () => {
  const plain = task(1, { on: a });
  const s = snapshot({ instances: [a], tasks: [plain] });
  assert.deepEqual(selectInterruptions([s], { task: plain.id }).map((x) => [x.task.id, x.zone]), [[plain.id, 'us-east-1a']]);
  assert.equal(selectInterruptions([s], { task: plain.taskArn })[0]!.task.id, plain.id);
});

test('--task on a task already stopping, or not there, says so', () => {
  const stopping = { ...task(1, { on: a }), desiredStatus: 'STOPPED' as const };
  const s = snapshot({ instances: [a], tasks: [stopping] });
  fails(() => selectInterruptions([s], { task: stopping.id }), 'InvalidParameterException', /already stopping/);
  fails(() => selectInterruptions([s], { task: 'f'.repeat(32) }), 'InvalidParameterException', /was not found in cluster default/);
  fails(() => selectInterruptions([s], { task: 'nope' }), 'InvalidParameterException', /is not a task id or ARN/);
});

test('--service takes --count of its RUNNING FARGATE_SPOT tasks, newest first (one by default)', () => {
  const s = withService([spot(1, a), spot(2, b), spot(3, a), spot(4, a, { lastStatus: 'PENDING' }), { ...task(5, { on: a, group: 'service:web' }), createdAt: 9 }]);
  assert.deepEqual(selectInterruptions([s], { service: 'web' }).map((x) => x.task.createdAt), [3]);
  assert.deepEqual(selectInterruptions([s], { service: 'web', count: 5 }).map((x) => x.task.createdAt), [3, 2, 1]);
  assert.deepEqual(selectInterruptions([s], { service: 'web', count: 5, zone: 'us-east-1a' }).map((x) => x.task.createdAt), [3, 1]);
});

test('--zone alone takes every RUNNING FARGATE_SPOT task of the zone in the clusters given', () => {
  const s = withService([spot(1, a), spot(2, b), spot(3, a)]);
  assert.deepEqual(selectInterruptions([s], { zone: 'us-east-1a' }).map((x) => x.task.createdAt), [3, 1]);
  assert.deepEqual(selectInterruptions([s], { zone: 'us-east-1a', count: 1 }).map((x) => x.task.createdAt), [3]);
});

test('nothing to interrupt, an unknown service or a muddled request is refused with what to do', () => {
  const s = withService([spot(1, a)]);
  fails(() => selectInterruptions([s], { service: 'api' }), 'ServiceNotFoundException', /Service api was not found/);
  fails(() => selectInterruptions([s], { zone: 'us-east-1c' }), 'InvalidParameterException', /No RUNNING FARGATE_SPOT task in zone us-east-1c/);
  fails(() => selectInterruptions([s], {}), 'InvalidParameterException', /Name what to interrupt/);
  fails(() => selectInterruptions([s], { task: 'x', service: 'web' }), 'InvalidParameterException', /give it alone/);
  fails(() => selectInterruptions([s], { service: 'web', count: 0 }), 'InvalidParameterException', /--count must be/);
});
