import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executionRoleOf, taskRoleOf } from './task-role.ts';

const TASK = 'arn:aws:ecs:us-east-1:000000000000:task/demo/0123456789abcdef0123456789abcdef';

test("a task's role: the run's override first, then the definition's; the session is the task id", () => {
  assert.deepEqual(taskRoleOf({ taskArn: TASK, overrides: {} }, { taskRoleArn: 'arn:aws:iam::000000000000:role/app' }),
    { roleArn: 'arn:aws:iam::000000000000:role/app', sessionName: '0123456789abcdef0123456789abcdef' });
  assert.equal(taskRoleOf({ taskArn: TASK, overrides: { taskRoleArn: 'arn:aws:iam::000000000000:role/other' } }, { taskRoleArn: 'arn:aws:iam::000000000000:role/app' })?.roleArn, 'arn:aws:iam::000000000000:role/other');
  assert.equal(taskRoleOf({ taskArn: TASK, overrides: {} }, {}), undefined);
});

test("a task's execution role: the run's override first, then the definition's; apart from its task role", () => {
  const td = { taskRoleArn: 'arn:aws:iam::000000000000:role/app', executionRoleArn: 'arn:aws:iam::000000000000:role/exec' };
  assert.deepEqual(executionRoleOf({ taskArn: TASK, overrides: {} }, td), { roleArn: 'arn:aws:iam::000000000000:role/exec', sessionName: '0123456789abcdef0123456789abcdef' });
  assert.equal(executionRoleOf({ taskArn: TASK, overrides: { executionRoleArn: 'arn:aws:iam::000000000000:role/x' } }, td)?.roleArn, 'arn:aws:iam::000000000000:role/x');
  assert.equal(executionRoleOf({ taskArn: TASK, overrides: {} }, {}), undefined);
});
