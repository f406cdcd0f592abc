import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_BACKEND, type SandboxBackend } from '../runtime/sandbox/index.ts';
import { taskSize } from '../core/ecs/task-size.ts';
import type { ContainerSpec, TaskSpec } from '../core/workload/spec.ts';
import { sandboxCpuUnits } from '../runtime/sandbox/gvisor-spec.ts';
import { backendFor, sandboxTask, summedCpuLimits } from './task-sandbox.ts';

const spec = (launchType: 'EC2' | 'FARGATE', resources: TaskSpec['resources'] = { reserved: { cpu: 256, memory: 512 } }, limits: (number | undefined)[] = [undefined]): Pick<TaskSpec, 'launchType' | 'resources' | 'containers'> => ({
  launchType, resources, containers: limits.map((cpuLimit) => ({ resources: { cpu: 0, ...(cpuLimit !== undefined && { cpuLimit }) } }) as ContainerSpec),
});
const gvisor = { isolation: 'gvisor' } as SandboxBackend;

test('a Fargate task goes into the host\'s sandbox; an EC2 task, or any task on a host without one, runs per container', () => {
  assert.equal(backendFor(spec('FARGATE'), gvisor), gvisor);
  assert.equal(backendFor(spec('EC2'), gvisor), CONTAINER_BACKEND);
  assert.equal(backendFor(spec('FARGATE'), undefined), CONTAINER_BACKEND);
});

test('task sizes as ECS writes them: units and MiB, or vCPU and GB', () => {
  assert.equal(taskSize('512'), 512);
  assert.equal(taskSize('1 vCPU'), 1024);
  assert.equal(taskSize('0.25 vcpu'), 256);
  assert.equal(taskSize('2 GB'), 2048);
  assert.equal(taskSize('2048'), 2048);
  assert.equal(taskSize(undefined), undefined);
  assert.equal(taskSize('lots'), undefined);
});

test('the sandbox gets the task\'s reserved size, its ephemeral storage (20 GiB unless set), its cgroup and netns', () => {
  const t = sandboxTask(spec('FARGATE', { reserved: { cpu: 1024, memory: 4096 }, declared: { cpu: 1024, memory: 2048 }, ephemeralStorageGiB: 50 }), 'abc', '/d/abc', { netnsPath: '/run/netns/x' } as never, 'ip-10-0-0-2');
  assert.deepEqual(t, { taskId: 'abc', dir: '/d/abc', cgroupPath: '/berth/abc', hostname: 'ip-10-0-0-2', netnsPath: '/run/netns/x', cpuUnits: 1024, memoryMiB: 4096, cpuLimitUnits: undefined, ephemeralStorageGiB: 50 });
  assert.equal(sandboxTask(spec('FARGATE'), 'abc', '/d', undefined, 'h').ephemeralStorageGiB, 20);
  assert.equal(sandboxTask(spec('FARGATE'), 'abc', '/d', undefined, 'h').cpuUnits, 256);
});

test('a sandbox\'s quota: the task size, or the containers\' CPU limits summed when every one has one and they are lower', () => {
  assert.equal(summedCpuLimits(spec('FARGATE', undefined, [256, 512]).containers), 768);
  assert.equal(summedCpuLimits(spec('FARGATE', undefined, [256, undefined]).containers), undefined, 'one container without a limit: no pod-wide bound');
  const t = sandboxTask(spec('FARGATE', { reserved: { cpu: 1024, memory: 2048 } }, [256, 256]), 'abc', '/d', undefined, 'h');
  assert.equal(t.cpuLimitUnits, 512);
  assert.equal(sandboxCpuUnits(t), 512);
  assert.equal(sandboxCpuUnits({ cpuUnits: 256, cpuLimitUnits: 2048 }), 256, 'the task size still bounds it');
  assert.equal(sandboxCpuUnits({ cpuUnits: undefined, cpuLimitUnits: 300 }), 300);
  assert.equal(sandboxCpuUnits({ cpuUnits: 512 }), 512);
});
