import { resolve, join } from 'node:path';
import { startAgent } from '../../agent/agent.ts';
import { isJoinToken } from '../../core/agent-credentials.ts';
import { DEFAULT_RESERVED_MEMORY_MIB } from '../../agent/registration.ts';
import { MAX_TASK_PIDS_LIMIT, TASK_PIDS_LIMIT_ENV } from '../../agent/task-pids-limit.ts';
import { intOption, parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { DEFAULT_REGION, defaultDataDir, defaultEndpoint } from '../defaults.ts';
import { taskPidsLimitOption } from '../task-pids-limit-option.ts';
import type { Command } from './command.ts';

export const agent: Command = {
  help: `Usage: berth agent --join URL --token TOKEN [--cluster NAME] [options]

Runs the container agent in the foreground: registers this host as a container instance
of the cluster (created if missing, as the ECS agent does), keeps a session with the
control plane, and runs the tasks placed here as containers (crun or runc, under
conmon). Containers keep running when the agent stops; a restarted agent adopts them.
Needs root. ('berth up' already runs an agent on its own host.)

The first time, the agent joins with the control plane's join token ('berth up' prints
the whole command; 'berth token' on its host shows the token). The control plane answers
with this instance's own secret, kept in the agent's data dir (identity.json, 0600); a
restarted agent presents that, and needs the token again only to join anew (after the
instance was deregistered, or the control plane's state was wiped).

Options:
  --join URL              the control plane (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --token TOKEN           its join token, berth_join_… (default $BERTH_JOIN_TOKEN, which
                          other users cannot read in ps as they can a command line)
  --cluster NAME          the cluster to join (default: default)
  --data-dir DIR          the agent's state, images and logs (default <berth data dir>/agent)
  --availability-zone AZ  the ecs.availability-zone attribute (default ${DEFAULT_REGION}a)
  --instance-type TYPE    the ecs.instance-type attribute (default berth.host)
  --reserved-memory MIB   memory kept back from tasks (default ${DEFAULT_RESERVED_MEMORY_MIB})
  --capacity-provider NAME
                          the EC2 capacity provider this host's capacity belongs to (made
                          first with aws ecs create-capacity-provider); strategies that
                          name it place tasks here (default: none)
  --task-pids-limit N     most processes a task's containers may hold together, 1 to
                          ${MAX_TASK_PIDS_LIMIT} (default $${TASK_PIDS_LIMIT_ENV}, as the ECS agent; unset: no limit)
`,
  async run(argv) {
    const { values } = parse('agent', argv, {
      join: { type: 'string' }, token: { type: 'string' }, cluster: { type: 'string' }, 'data-dir': { type: 'string' },
      'availability-zone': { type: 'string' }, 'instance-type': { type: 'string' }, 'reserved-memory': { type: 'string' },
      'task-pids-limit': { type: 'string' }, 'capacity-provider': { type: 'string' },
    });
    const taskPidsLimit = taskPidsLimitOption('agent', values['task-pids-limit']);
    const joinToken = values.token ?? (process.env.BERTH_JOIN_TOKEN || undefined);
    // Read once: the runtime's processes (conmon, crun, nsenter) inherit the agent's environment.
    delete process.env.BERTH_JOIN_TOKEN;
    if (joinToken !== undefined && !isJoinToken(joinToken)) throw new CliError("--token takes the control plane's join token, berth_join_ and 43 more characters ('berth token' on its host shows it).", 2);
    if (process.getuid?.() !== 0) throw new CliError('the agent runs containers and creates network namespaces: run it as root.');
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} agent: ${line}\n`);
    const running = await startAgent({
      endpoint: values.join ?? defaultEndpoint(),
      cluster: values.cluster ?? 'default',
      dataDir: resolve(values['data-dir'] ?? join(defaultDataDir(), 'agent')),
      availabilityZone: values['availability-zone'] ?? `${DEFAULT_REGION}a`,
      instanceType: values['instance-type'] ?? 'berth.host',
      reservedMemoryMiB: intOption('agent', 'reserved-memory', values['reserved-memory'], DEFAULT_RESERVED_MEMORY_MIB, 0, 1 << 30),
      reservedPorts: [],
      taskPidsLimit,
      ...(joinToken && { joinToken }),
      ...(values['capacity-provider'] !== undefined && { capacityProvider: values['capacity-provider'] }),
      log,
    }).catch((e: Error) => { throw new CliError(`the agent could not start: ${e.message}`); });
    process.stdout.write(`Agent running as ${running.containerInstanceArn}\n`);
    await new Promise<void>((done) => {
      const stop = () => { void running.close().then(done, done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
