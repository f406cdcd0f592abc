import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyReport } from './task-report.ts';
import { stoppedStopCode } from './task-lifecycle.ts';
import type { TaskRecord } from './task.ts';

const task = (): TaskRecord => ({
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1', overrides: {}, lastStatus: 'PROVISIONING',
  desiredStatus: 'RUNNING', containers: [{ containerArn: 'x', taskArn: 't', name: 'web', image: 'busybox', lastStatus: 'PENDING', networkBindings: [], networkInterfaces: [], healthStatus: 'UNKNOWN', cpu: '0' }],
  version: 1, createdAt: 100, group: 'family:f', launchType: 'EC2', attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false,
});

test('reaching RUNNING sets startedAt and the container state, and bumps the version', () => {
  const t = applyReport(task(), { taskArn: 't', status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'r1' }] }, 200)!;
  assert.equal(t.lastStatus, 'RUNNING');
  assert.equal(t.startedAt, 200);
  assert.equal(t.containers[0]!.lastStatus, 'RUNNING');
  assert.equal(t.containers[0]!.runtimeId, 'r1');
  assert.equal(t.version, 2);
});

test('statuses never go back, and a repeated report changes nothing', () => {
  const running = applyReport(task(), { taskArn: 't', status: 'RUNNING', containers: [] }, 200)!;
  assert.equal(applyReport(running, { taskArn: 't', status: 'PENDING', containers: [] }, 300), undefined);
  assert.equal(applyReport(running, { taskArn: 't', status: 'RUNNING', containers: [] }, 300), undefined);
});

test('a task that stops without running gets stoppingAt and stoppedAt but no startedAt', () => {
  const t = applyReport(task(), { taskArn: 't', status: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError', containers: [{ name: 'web', status: 'STOPPED', reason: 'CannotPullContainerError: not found' }] }, 300)!;
  assert.deepEqual([t.lastStatus, t.desiredStatus, t.startedAt, t.stoppingAt, t.stoppedAt, t.stopCode], ['STOPPED', 'STOPPED', undefined, 300, 300, 'TaskFailedToStart']);
});

test('a stop reason set by StopTask is kept when the agent reports the stop', () => {
  const stopping = { ...task(), lastStatus: 'RUNNING' as const, desiredStatus: 'STOPPED' as const, stopCode: 'UserInitiated' as const, stoppedReason: 'Task stopped by user' };
  const t = applyReport(stopping, { taskArn: 't', status: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'web', status: 'STOPPED', exitCode: 143 }] }, 400)!;
  assert.equal(t.stopCode, 'UserInitiated');
  assert.equal(t.stoppedReason, 'Task stopped by user');
  assert.equal(t.containers[0]!.exitCode, 143);
});

test('nothing changes a STOPPED task', () => {
  const stopped = { ...task(), lastStatus: 'STOPPED' as const };
  assert.equal(applyReport(stopped, { taskArn: 't', status: 'STOPPED', containers: [{ name: 'web', status: 'STOPPED', exitCode: 1 }] }, 500), undefined);
});

test('a Spot task interrupted (TerminationNotice while RUNNING) is SpotInterruption once STOPPED, its reason kept', () => {
  const warned = { ...task(), lastStatus: 'RUNNING' as const, desiredStatus: 'STOPPED' as const, stopCode: 'TerminationNotice' as const, stoppedReason: 'Your Spot Task was interrupted.' };
  const stopping = applyReport(warned, { taskArn: 't', status: 'DEACTIVATING', containers: [] }, 350)!;
  assert.equal(stopping.stopCode, 'TerminationNotice', 'still stopping: the notice stands');
  const t = applyReport(stopping, { taskArn: 't', status: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'web', status: 'STOPPED', exitCode: 137 }] }, 400)!;
  assert.deepEqual([t.lastStatus, t.stopCode, t.stoppedReason], ['STOPPED', 'SpotInterruption', 'Your Spot Task was interrupted.']);
});

test('stoppedStopCode turns only TerminationNotice into SpotInterruption', () => {
  assert.equal(stoppedStopCode('TerminationNotice'), 'SpotInterruption');
  for (const code of ['UserInitiated', 'EssentialContainerExited', 'ServiceSchedulerInitiated', 'TaskFailedToStart', 'SpotInterruption', undefined] as const) {
    assert.equal(stoppedStopCode(code), code);
  }
});

test('the isolation an agent reports is recorded once, and a repeat or a change later is ignored', () => {
  const t = applyReport(task(), { taskArn: 't', status: 'PENDING', containers: [], isolation: 'gvisor' }, 200)!;
  assert.equal(t.isolation, 'gvisor');
  assert.equal(applyReport(t, { taskArn: 't', status: 'PENDING', containers: [], isolation: 'gvisor' }, 210), undefined);
  assert.equal(applyReport(t, { taskArn: 't', status: 'PENDING', containers: [], isolation: 'userns' }, 220), undefined);
  const running = applyReport(t, { taskArn: 't', status: 'RUNNING', containers: [] }, 230)!;
  assert.equal(running.isolation, 'gvisor');
});
