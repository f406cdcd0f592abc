/**
 * ExecuteCommand's rule (ECS API reference, ExecuteCommand): which container of which task a
 * session may open, or AWS's refusal. Pure: the task comes in, the chosen container goes out.
 */
import { fail } from '../errors.ts';
import type { ContainerRecord, TaskRecord } from './task.ts';

/** AWS's text when the task was not run with execute command enabled, or its agent is not running. */
export const NOT_ENABLED_MESSAGE = 'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.';
/** ExecuteCommand's command is a string; AWS bounds the session document's command to this many characters. */
export const MAX_COMMAND_LENGTH = 4096;

export interface ExecuteCommandInput {
  container?: string;
  command: string;
  interactive: boolean;
}

/** The container the session opens in, or the exception AWS answers. */
export function checkExecuteCommand(task: TaskRecord, input: ExecuteCommandInput): ContainerRecord {
  if (!input.interactive) fail('InvalidParameterException', 'Interactive is the only mode supported currently.');
  if (input.command.trim() === '') fail('InvalidParameterException', 'command must not be empty: name the command to run, e.g. /bin/sh.');
  if (input.command.length > MAX_COMMAND_LENGTH) fail('InvalidParameterException', `command must be at most ${MAX_COMMAND_LENGTH} characters.`);
  if (!task.enableExecuteCommand || task.lastStatus !== 'RUNNING') fail('InvalidParameterException', NOT_ENABLED_MESSAGE);
  let container: ContainerRecord | undefined;
  if (input.container !== undefined) {
    container = task.containers.find((c) => c.name === input.container);
    if (!container) fail('InvalidParameterException', `The container ${input.container} does not exist in the task ${task.taskArn}: name one of ${task.containers.map((c) => c.name).join(', ')}.`);
  } else {
    if (task.containers.length > 1) fail('InvalidParameterException', 'The container name is required when the task has multiple containers: pass --container with one of ' + `${task.containers.map((c) => c.name).join(', ')}.`);
    container = task.containers[0];
  }
  if (!container || container.lastStatus !== 'RUNNING') fail('InvalidParameterException', NOT_ENABLED_MESSAGE);
  return container;
}
