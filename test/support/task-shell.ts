// Running tasks and commands inside them, for end-to-end tests that look at a task from
// within: RunTask until RUNNING, and `berth exec` of a command in the task's first container.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from './berth.ts';
import { run } from './run.ts';

type Ecs = <T = Record<string, unknown>>(...args: string[]) => Promise<T>;

/** `berth exec TASK -- CMD…` against `endpoint`: its exit code and trimmed output. */
export async function execInTask(endpoint: string, task: string, ...cmd: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'exec', task, '--endpoint', endpoint, '--', ...cmd]);
  return { code: r.code, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** RunTask of one task of `family`, waited until RUNNING; its ARN. */
export async function runTaskRunning(ecs: Ecs, family: string, extra: readonly string[] = []): Promise<string> {
  const ran = await ecs<{ tasks: { taskArn: string }[]; failures: unknown[] }>('run-task', '--task-definition', family, ...extra);
  assert.deepEqual(ran.failures, []);
  const arn = ran.tasks[0]!.taskArn;
  await ecs('wait', 'tasks-running', '--tasks', arn);
  return arn;
}
