import type { Command } from './command.ts';

/** A command as `berth --help` lists it, and where its code is. */
export interface CommandEntry {
  /** One line for `berth --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * Every command, each imported only when it runs: `berth agent` then holds the agent's
 * modules and not the control plane's (server, store, registry, ECS and ECR APIs), and
 * `berth ps` starts without either.
 */
export const commands: Readonly<Record<string, CommandEntry>> = {
  up: { summary: 'start Berth on this machine (control plane and embedded state)', load: async () => (await import('./up.ts')).up },
  agent: { summary: 'run the container agent on this host and join a cluster', load: async () => (await import('./agent.ts')).agent },
  host: { summary: "list, kill or start the simulated hosts of 'berth up --hosts N'", load: async () => (await import('./host.ts')).host },
  token: { summary: 'show (or --rotate) the join token other hosts join with', load: async () => (await import('./token.ts')).token },
  'task-definition': { summary: 'register a task definition from a JSON file, as written', load: async () => (await import('./task-definition.ts')).taskDefinition },
  ps: { summary: 'list tasks with their service, status, ports and age', load: async () => (await import('./ps.ts')).ps },
  service: { summary: 'list services with desired, running and pending tasks and the last event', load: async () => (await import('./service.ts')).service },
  cost: { summary: 'what the Fargate tasks would have cost on AWS Fargate, and what Spot saved', load: async () => (await import('./cost.ts')).cost },
  logs: { summary: "print a task container's output", load: async () => (await import('./logs.ts')).logs },
  exec: { summary: "run a command in a task's container", load: async () => (await import('./exec.ts')).exec },
  image: { summary: 'put images into Berth\'s registry: import a file, or push the sample images', load: async () => (await import('./image.ts')).image },
  spot: { summary: 'Fargate Spot: show or set the reclaim settings, interrupt tasks now', load: async () => (await import('./spot.ts')).spot },
  events: { summary: 'ECS events (task state changes) as EventBridge delivers them; --follow', load: async () => (await import('./events.ts')).events },
  reset: { summary: 'wipe all state of a running Berth (for test suites)', load: async () => (await import('./reset.ts')).reset },
  version: { summary: 'print the version of Berth', load: async () => (await import('./version.ts')).version },
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
