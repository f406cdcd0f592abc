import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FARGATE_TASK_PIDS_LIMIT, MAX_TASK_PIDS_LIMIT, parseTaskPidsLimit, taskPidsLimit } from './task-pids-limit.ts';

test('ECS_TASK_PIDS_LIMIT: unset or empty is no limit; 1 to 4194304 as the ECS agent takes them', () => {
  assert.equal(parseTaskPidsLimit(undefined), undefined);
  assert.equal(parseTaskPidsLimit(''), undefined);
  assert.equal(parseTaskPidsLimit(' 100 '), 100);
  assert.equal(parseTaskPidsLimit('1'), 1);
  assert.equal(parseTaskPidsLimit('4194304'), MAX_TASK_PIDS_LIMIT);
});

test('a value the ECS agent would ignore stops Berth\'s agent with the range', () => {
  for (const bad of ['0', '-1', '4194305', 'foobar', '1e3', '10.5']) {
    assert.throws(() => parseTaskPidsLimit(bad), /ECS_TASK_PIDS_LIMIT must be a whole number from 1 to 4194304/, bad);
  }
  assert.throws(() => parseTaskPidsLimit('0', '--task-pids-limit'), /^RangeError: --task-pids-limit must/);
});

test('Fargate tasks get Fargate\'s limit whatever the agent\'s setting; others get the setting', () => {
  assert.equal(taskPidsLimit({ launchType: 'FARGATE' }, undefined), FARGATE_TASK_PIDS_LIMIT);
  assert.equal(taskPidsLimit({ launchType: 'FARGATE' }, 100), FARGATE_TASK_PIDS_LIMIT);
  assert.equal(taskPidsLimit({ launchType: 'EC2' }, 100), 100);
  assert.equal(taskPidsLimit({ launchType: 'EXTERNAL' }, undefined), undefined);
});
