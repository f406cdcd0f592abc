import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_BACKEND, type SandboxBackend } from '../runtime/sandbox/index.ts';
import type { Assignment } from './protocol.ts';
import { backendFor, sandboxTask, taskSize } from './task-sandbox.ts';

const assignment = (launchType: 'EC2' | 'FARGATE', extra: Partial<Assignment['task']> = {}): Assignment => ({
  task: { launchType, overrides: {}, ...extra } as Assignment['task'],
  containers: [],
  taskDefinition: { family: 'f', revision: 1, networkMode: 'awsvpc', cpu: '256', memory: '512', volumes: [], pidMode: undefined, ipcMode: undefined },
});
const gvisor = { isolation: 'gvisor' } as SandboxBackend;

test('a Fargate task goes into the host\'s sandbox; an EC2 task, or any task on a host without one, runs per container', () => {
  assert.equal(backendFor(assignment('FARGATE'), gvisor), gvisor);
  assert.equal(backendFor(assignment('EC2'), gvisor), CONTAINER_BACKEND);
  assert.equal(backendFor(assignment('FARGATE'), undefined), CONTAINER_BACKEND);
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

test('the sandbox gets the task\'s size (override, task, definition), its ephemeral storage (20 GiB unless set), its cgroup and netns', () => {
  const t = sandboxTask(assignment('FARGATE', { cpu: '1024', memory: '2048', overrides: { memory: '4096' }, ephemeralStorage: { sizeInGiB: 50 } }), 'abc', '/d/abc', { netnsPath: '/run/netns/x' } as never, 'ip-10-0-0-2');
  assert.deepEqual(t, { taskId: 'abc', dir: '/d/abc', cgroupPath: '/berth/abc', hostname: 'ip-10-0-0-2', netnsPath: '/run/netns/x', cpuUnits: 1024, memoryMiB: 4096, ephemeralStorageGiB: 50 });
  assert.equal(sandboxTask(assignment('FARGATE'), 'abc', '/d', undefined, 'h').ephemeralStorageGiB, 20);
  assert.equal(sandboxTask(assignment('FARGATE'), 'abc', '/d', undefined, 'h').cpuUnits, 256);
});
