import { parseTaskPidsLimit, TASK_PIDS_LIMIT_ENV } from '../agent/task-pids-limit.ts';
import { CliError } from './cli-error.ts';

/** `--task-pids-limit`, else $ECS_TASK_PIDS_LIMIT (the ECS agent's setting); a bad value is a usage error naming its source. */
export function taskPidsLimitOption(command: string, option: string | undefined): number | undefined {
  try {
    return option !== undefined ? parseTaskPidsLimit(option, '--task-pids-limit') : parseTaskPidsLimit(process.env[TASK_PIDS_LIMIT_ENV]);
  } catch (e) {
    throw new CliError(`${(e as Error).message}. Run 'berth ${command} --help'.`, 2);
  }
}
