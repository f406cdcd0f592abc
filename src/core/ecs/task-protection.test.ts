import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { TaskRecord } from './task.ts';
import { checkProtectionRequest, isProtected, protectionRefusal, protectionView, withProtection } from './task-protection.ts';

const task = (over: Partial<TaskRecord> = {}) => ({ taskArn: 'arn:aws:ecs:us-east-1:1:task/c/t', group: 'service:web', desiredStatus: 'RUNNING', lastStatus: 'RUNNING', version: 4, ...over }) as TaskRecord;

test('protection lasts 120 minutes by default, or as asked; off removes it; the task version is untouched', () => {
  const on = withProtection(task(), true, undefined, 1000.7);
  assert.equal(on.protectedUntil, 1000 + 120 * 60);
  assert.equal(on.version, 4, 'no state change: no new version, no task event');
  assert.equal(withProtection(task(), true, 1, 1000).protectedUntil, 1060);
  assert.equal('protectedUntil' in withProtection(on, false, undefined, 1000), false);
  assert.deepEqual(protectionView(on, 1000), { taskArn: on.taskArn, protectionEnabled: true, expirationDate: 8200 });
  assert.deepEqual(protectionView(on, 8200), { taskArn: on.taskArn, protectionEnabled: false }, 'expired is unprotected');
  assert.equal(isProtected(on, 8199), true);
});

test('expiresInMinutes from 1 to 2880, 1 to 10 tasks (UpdateTaskProtection), InvalidParameterException otherwise', () => {
  for (const m of [0, 2881, 1.5, -1]) {
    assert.throws(() => checkProtectionRequest(1, 10, m), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException', String(m));
  }
  assert.throws(() => checkProtectionRequest(11, 10, undefined), /1 to 10 tasks/);
  assert.throws(() => checkProtectionRequest(0, 10, undefined), /1 to 10 tasks/);
  checkProtectionRequest(10, 10, 2880);
  checkProtectionRequest(1, 10, 1);
});

test('only running tasks of a service can be protected: TASK_NOT_VALID otherwise', () => {
  assert.equal(protectionRefusal(task()), undefined);
  assert.equal(protectionRefusal(task({ group: 'family:web' }))?.reason, 'TASK_NOT_VALID');
  assert.equal(protectionRefusal(task({ desiredStatus: 'STOPPED' }))?.reason, 'TASK_NOT_VALID');
});
