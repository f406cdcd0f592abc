import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskRecord } from '../core/ecs/task.ts';
import { billableOf, type TaskTimes } from './billing.ts';
import { dayOf, daysBetween, parseUsageKey, usageKeys, usageRecordOf, type MeteredTask } from './usage-record.ts';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const t0 = Date.parse('2026-12-07T10:00:00Z') / 1000;
const fargate: MeteredTask = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/abc', group: 'service:web', launchType: 'FARGATE', lastStatus: 'STOPPED',
  capacityProviderName: 'FARGATE_SPOT', cpu: '512', memory: '1024', pullStartedAt: t0, executionStoppedAt: t0 + 90.5, stoppedAt: t0 + 95,
  ephemeralStorage: { sizeInGiB: 30 },
};

test('a stopped Fargate task becomes one usage record of its service, provider and size', () => {
  assert.deepEqual(usageRecordOf('default', fargate, t0 + 1000), {
    taskArn: fargate.taskArn, cluster: 'default', service: 'web', provider: 'FARGATE_SPOT', arch: 'x86_64',
    cpu: 512, memory: 1024, storageGiB: 30, start: t0, end: t0 + 90.5,
    billedSeconds: 91, vcpuSeconds: 45.5, gbSeconds: 91, storageGbSeconds: 910,
  });
});

test('an EC2-mode task is metered as EC2, sized as the smallest Fargate task that holds it, with no storage billed', () => {
  const r = usageRecordOf('default', { ...fargate, launchType: 'EC2', capacityProviderName: 'asg', cpu: '300', memory: '600' }, t0);
  assert.deepEqual(
    { provider: r?.provider, cpu: r?.cpu, memory: r?.memory, storageGiB: r?.storageGiB, storageGbSeconds: r?.storageGbSeconds, vcpuSeconds: r?.vcpuSeconds },
    { provider: 'EC2', cpu: 512, memory: 1024, storageGiB: 20, storageGbSeconds: 0, vcpuSeconds: 45.5 },
  );
  // Larger than any Fargate size: its own size.
  assert.equal(usageRecordOf('default', { ...fargate, launchType: 'EC2', cpu: '32768', memory: '4096' }, t0)?.cpu, 32768);
});

test('a stored task record is metered as it is, its clock and size read by billing\'s own TaskTimes', () => {
  // The type-checker holds these lines: a MeteredTask has every field of TaskTimes (it
  // extends it: a field billing starts to read is one a usage record is made of), and a
  // TaskRecord is a MeteredTask, so the metering job hands a stored task over unchanged.
  const covers: [keyof TaskTimes] extends [keyof MeteredTask] ? true : false = true;
  const record: TaskRecord = {
    taskArn: fargate.taskArn, group: 'service:web', capacityProviderName: 'FARGATE_SPOT', cpu: '512', memory: '1024',
    pullStartedAt: t0, executionStoppedAt: t0 + 90.5, stoppedAt: t0 + 95, ephemeralStorage: { sizeInGiB: 30 },
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
    overrides: { containerOverrides: [] }, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containers: [], version: 3, createdAt: t0 - 5,
    launchType: 'FARGATE', attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false,
  };
  const asMetered: MeteredTask = record;
  const times: TaskTimes = asMetered;
  assert.ok(covers);
  const r = usageRecordOf('default', record, t0 + 1000);
  const b = billableOf(times, t0 + 1000);
  assert.deepEqual({ start: r?.start, end: r?.end, cpu: r?.cpu, storageGiB: r?.storageGiB }, { start: b?.start, end: b?.end, cpu: b?.cpu, storageGiB: b?.storageGiB });
  assert.deepEqual([r?.start, r?.end, r?.cpu, r?.storageGiB], [t0, t0 + 90.5, 512, 30]);
});

test('tasks that never pulled have no usage record', () => {
  const { pullStartedAt: _, ...unpulled } = fargate;
  assert.equal(usageRecordOf('default', unpulled, t0), undefined);
});

test('keys put the day first and parse back', () => {
  const key = usageKeys.record('2026-12-07', SCOPE, 'default', 'abc');
  assert.equal(key, '/berth/fargate-usage/2026-12-07/000000000000/us-east-1/default/abc');
  assert.deepEqual(parseUsageKey(key), { day: '2026-12-07', scope: SCOPE, cluster: 'default', taskId: 'abc' });
  assert.ok(key.startsWith(usageKeys.scopeDay('2026-12-07', SCOPE, 'default')));
  assert.equal(parseUsageKey('/ecs/x'), undefined);
});

test('days run in UTC, both ends included', () => {
  assert.equal(dayOf(t0), '2026-12-07');
  assert.deepEqual(daysBetween(t0 - 86_400, t0), ['2026-12-06', '2026-12-07']);
  assert.deepEqual(daysBetween(t0, t0), ['2026-12-07']);
});
