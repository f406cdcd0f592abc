import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPOT_INTERRUPTED_REASON } from './fargate.ts';
import { interruptTask } from './spot-interruption.ts';
import { applyReport } from './task-report.ts';
import type { TaskRecord } from './task.ts';

const running = (): TaskRecord => ({
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/abc', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1', overrides: {}, lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING', containers: [], version: 3, createdAt: 100, startedAt: 110, group: 'service:web', launchType: 'FARGATE',
  attachments: [], healthStatus: 'HEALTHY', tags: [], enableExecuteCommand: false, capacityProviderName: 'FARGATE_SPOT',
});

test('an interruption tells the task to stop with TerminationNotice while it stays RUNNING', () => {
  const t = interruptTask(running())!;
  assert.deepEqual([t.lastStatus, t.desiredStatus, t.stopCode, t.stoppedReason, t.version], ['RUNNING', 'STOPPED', 'TerminationNotice', SPOT_INTERRUPTED_REASON, 4]);
  assert.equal(t.stoppingAt, undefined, 'stoppingAt comes with the agent\'s report, not the notice');
});

test('a task already told to stop, or stopped, is not interrupted again', () => {
  assert.equal(interruptTask({ ...running(), desiredStatus: 'STOPPED', stopCode: 'UserInitiated' }), undefined);
  assert.equal(interruptTask({ ...running(), lastStatus: 'STOPPED' }), undefined);
});

test('an interrupted task that stops ends as SpotInterruption with AWS\'s reason', () => {
  const t = applyReport(interruptTask(running())!, { taskArn: 'x', status: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [] }, 200)!;
  assert.deepEqual([t.lastStatus, t.stopCode, t.stoppedReason], ['STOPPED', 'SpotInterruption', SPOT_INTERRUPTED_REASON]);
});
