import { agent } from './agent.ts';
import type { Command } from './command.ts';
import { exec } from './exec.ts';
import { logs } from './logs.ts';
import { ps } from './ps.ts';
import { image } from './image.ts';
import { reset } from './reset.ts';
import { taskDefinition } from './task-definition.ts';
import { up } from './up.ts';
import { version } from './version.ts';

export const commands: Readonly<Record<string, Command>> = {
  up,
  agent,
  'task-definition': taskDefinition,
  ps,
  logs,
  exec,
  image,
  reset,
  version,
};

export function printHelp(): void {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  process.stdout.write(`Berth: the AWS container services (ECS, ECR, Fargate, EKS) on your own machines.

Usage: berth <command> [options]

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'berth <command> --help' for a command's options.
The aws CLI works against Berth as it is: aws --endpoint-url http://127.0.0.1:8700 ecs ...
`);
}
