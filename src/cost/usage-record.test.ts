import { test } from 'node:test';
import assert from 'node:assert/strict';
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
