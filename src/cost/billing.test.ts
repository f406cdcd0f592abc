import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archOf, billableOf, billedSeconds, providerOf, usageOf } from './billing.ts';

const task = { cpu: 1024, memory: 2048, storageGiB: 20, start: 1000, end: 1000 };

test('a run shorter than a minute is billed a whole minute', () => {
  assert.equal(billedSeconds(1000, 1001), 60);
  assert.equal(billedSeconds(1000, 1000), 60);
  assert.deepEqual(usageOf({ ...task, end: 1010 }), { billedSeconds: 60, vcpuSeconds: 60, gbSeconds: 120, storageGbSeconds: 0 });
});

test('past the minute, every started second is billed (rounded up to the second)', () => {
  assert.equal(billedSeconds(1000, 1060), 60);
  assert.equal(billedSeconds(1000, 1060.001), 61);
  assert.equal(billedSeconds(1000.5, 1100), 100);
  assert.equal(billedSeconds(0, 3600), 3600);
});

test('vCPU is task cpu / 1024 and GB is memory MiB / 1024', () => {
  const u = usageOf({ cpu: 256, memory: 512, storageGiB: 20, start: 0, end: 3600 });
  assert.equal(u.vcpuSeconds, 900);
  assert.equal(u.gbSeconds, 1800);
});

test('only ephemeral storage beyond the included 20 GiB is billed', () => {
  assert.equal(usageOf({ ...task, storageGiB: 20, end: 1100 }).storageGbSeconds, 0);
  assert.equal(usageOf({ ...task, storageGiB: 21, end: 1100 }).storageGbSeconds, 100);
  assert.equal(usageOf({ ...task, storageGiB: 200, end: 1100 }).storageGbSeconds, 180 * 100);
});

test('the clock runs from pullStartedAt to executionStoppedAt, else stoppedAt, else now', () => {
  const base = { cpu: '512', memory: '1024', pullStartedAt: 100 };
  assert.deepEqual(billableOf({ ...base, executionStoppedAt: 400, stoppedAt: 450 }, 999), { cpu: 512, memory: 1024, storageGiB: 20, start: 100, end: 400 });
  assert.equal(billableOf({ ...base, stoppedAt: 450 }, 999)?.end, 450);
  assert.equal(billableOf(base, 999)?.end, 999, 'a running task is metered up to now');
  assert.equal(billableOf({ ...base, ephemeralStorage: { sizeInGiB: 50 } }, 999)?.storageGiB, 50);
});

test('a task that never started to pull its images is not billed', () => {
  assert.equal(billableOf({ cpu: '512', memory: '1024', stoppedAt: 450 }, 999), undefined);
});

test('FARGATE_SPOT tasks bill at Spot, other Fargate tasks at FARGATE, EC2-mode tasks as EC2; arm64 instances bill as ARM', () => {
  assert.equal(providerOf('FARGATE', 'FARGATE_SPOT'), 'FARGATE_SPOT');
  assert.equal(providerOf('FARGATE', 'FARGATE'), 'FARGATE');
  assert.equal(providerOf('FARGATE', undefined), 'FARGATE');
  assert.equal(providerOf('EC2', 'my-asg-provider'), 'EC2');
  assert.equal(providerOf('EXTERNAL', undefined), 'EC2');
  assert.equal(archOf([{ name: 'ecs.cpu-architecture', value: 'arm64' }]), 'arm64');
  assert.equal(archOf([{ name: 'ecs.cpu-architecture', value: 'x86_64' }]), 'x86_64');
  assert.equal(archOf(undefined), 'x86_64');
});
