import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from './cli-error.ts';
import { taskPidsLimitOption } from './task-pids-limit-option.ts';

function withEnv(value: string | undefined, fn: () => void): void {
  const saved = process.env.ECS_TASK_PIDS_LIMIT;
  if (value === undefined) delete process.env.ECS_TASK_PIDS_LIMIT;
  else process.env.ECS_TASK_PIDS_LIMIT = value;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.ECS_TASK_PIDS_LIMIT;
    else process.env.ECS_TASK_PIDS_LIMIT = saved;
  }
}

test('--task-pids-limit wins over ECS_TASK_PIDS_LIMIT, which is the default; neither: no limit', () => {
  withEnv('200', () => {
    assert.equal(taskPidsLimitOption('agent', '100'), 100);
    assert.equal(taskPidsLimitOption('agent', undefined), 200);
  });
  withEnv(undefined, () => assert.equal(taskPidsLimitOption('up', undefined), undefined));
});

test('a bad value is a usage error (exit 2) naming where it came from', () => {
  withEnv('lots', () => {
    assert.throws(() => taskPidsLimitOption('up', undefined), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /^ECS_TASK_PIDS_LIMIT must be a whole number from 1 to 4194304 .*'lots'.*Run 'berth up --help'\.$/.test(e.message));
    assert.throws(() => taskPidsLimitOption('agent', '0'), (e: unknown) => e instanceof CliError && /^--task-pids-limit must .*'0'.*Run 'berth agent --help'\.$/.test(e.message));
  });
});
