import { resolve } from 'node:path';
import { startAgent } from '../../agent/agent.ts';
import { isJoinToken } from '../../core/agent-credentials.ts';
import { DEFAULT_RESERVED_MEMORY_MIB } from '../../agent/registration.ts';
import { DEFAULT_INSTANCE_TYPE, hostLayout, MAX_HOSTS } from '../../hosts/layout.ts';
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

Two agents on one machine (in one network namespace or not) never share a data dir, a
run dir, a bridge or nft table of one network namespace, or the prefix of their tasks'
namespaces in /run/netns: the second refuses to start and says which option to change.

Options:
  --join URL              the control plane (default $BERTH_ENDPOINT or http://127.0.0.1:8700)
  --token TOKEN           its join token, berth_join_… (default $BERTH_JOIN_TOKEN, which
                          other users cannot read in ps as they can a command line)
  --cluster NAME          the cluster to join (default: default)
  --data-dir DIR          the agent's state, images and logs (default <berth data dir>/agent)
  --run-dir DIR           the runtime's state and root filesystem mounts, on tmpfs (default
                          /run/berth)
  --name NAME             what its log lines say it is (default: agent)
  --host-index N          derive the directories, zone and network names of simulated host N
                          (1 to ${MAX_HOSTS}) of 'berth up --hosts' (see 'berth up --help'); 1 is the
                          defaults; the options below still override them
  --bridge NAME           bridge of bridge-mode tasks (default berth0)
  --bridge-subnet CIDR    its subnet (default 172.30.240.0/20)
  --vpc-bridge NAME       bridge of awsvpc tasks (default berth-vpc0)
  --vpc-subnet CIDR       its subnet (default 172.30.224.0/20)
  --nft-table NAME        the nftables table, inet and bridge family (default berth)
  --availability-zone AZ  the ecs.availability-zone attribute (default ${DEFAULT_REGION}a)
  --instance-type TYPE    the ecs.instance-type attribute (default ${DEFAULT_INSTANCE_TYPE})
  --reserved-memory MIB   memory kept back from tasks (default ${DEFAULT_RESERVED_MEMORY_MIB})
  --capacity-provider NAME
                          the EC2 capacity provider this host's capacity belongs to (made
                          first with aws ecs create-capacity-provider); strategies that
                          name it place tasks here (default: none)
  --fargate               also offer this host's capacity to the region's Fargate pool: a second
                          container instance, in a cluster no account sees, on which Fargate
                          tasks of any cluster are placed (berth up's own agent does by default)
  --task-pids-limit N     most processes a task's containers may hold together, 1 to
                          ${MAX_TASK_PIDS_LIMIT} (default $${TASK_PIDS_LIMIT_ENV}, as the ECS agent; unset: no limit)
`,
  async run(argv) {
    const { values } = parse('agent', argv, {
      join: { type: 'string' }, token: { type: 'string' }, cluster: { type: 'string' }, 'data-dir': { type: 'string' },
      'availability-zone': { type: 'string' }, 'instance-type': { type: 'string' }, 'reserved-memory': { type: 'string' },
      'task-pids-limit': { type: 'string' }, 'capacity-provider': { type: 'string' }, 'run-dir': { type: 'string' }, name: { type: 'string' }, 'host-index': { type: 'string' },
      bridge: { type: 'string' }, 'bridge-subnet': { type: 'string' }, 'vpc-bridge': { type: 'string' }, 'vpc-subnet': { type: 'string' },
      'nft-table': { type: 'string' }, fargate: { type: 'boolean' },
    });
    const index = intOption('agent', 'host-index', values['host-index'], 1, 1, MAX_HOSTS);
    const layout = hostLayout(index, defaultDataDir(), DEFAULT_REGION);
    const n = layout.network;
    const taskPidsLimit = taskPidsLimitOption('agent', values['task-pids-limit']);
    const joinToken = values.token ?? (process.env.BERTH_JOIN_TOKEN || undefined);
    // Read once: the runtime's processes (conmon, crun, nsenter) inherit the agent's environment.
    delete process.env.BERTH_JOIN_TOKEN;
    if (joinToken !== undefined && !isJoinToken(joinToken)) throw new CliError("--token takes the control plane's join token, berth_join_ and 43 more characters ('berth token' on its host shows it).", 2);
    if (process.getuid?.() !== 0) throw new CliError('the agent runs containers and creates network namespaces: run it as root.');
    // A log reader that went away (the `berth up` that started this agent was killed) must not
    // take the agent with it: like a real host's, it keeps its containers and reconnects.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    const name = values.name ?? 'agent';
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${name}: ${line}\n`);
    const running = await startAgent({
      endpoint: values.join ?? defaultEndpoint(),
      cluster: values.cluster ?? 'default',
      dataDir: resolve(values['data-dir'] ?? layout.dataDir),
      runDir: resolve(values['run-dir'] ?? layout.runDir),
      network: {
        bridge: { name: values.bridge ?? n.bridge, subnet: values['bridge-subnet'] ?? n.bridgeSubnet },
        vpc: { name: values['vpc-bridge'] ?? n.vpcBridge, subnet: values['vpc-subnet'] ?? n.vpcSubnet },
        nftTable: values['nft-table'] ?? n.nftTable, netnsPrefix: n.netnsPrefix, vethPrefix: n.vethPrefix,
      },
      availabilityZone: values['availability-zone'] ?? layout.availabilityZone,
      instanceType: values['instance-type'] ?? layout.instanceType,
      reservedMemoryMiB: intOption('agent', 'reserved-memory', values['reserved-memory'], DEFAULT_RESERVED_MEMORY_MIB, 0, 1 << 30),
      reservedPorts: [],
      taskPidsLimit,
      ...(joinToken && { joinToken }),
      ...(values['capacity-provider'] !== undefined && { capacityProvider: values['capacity-provider'] }),
      ...(values.fargate && { fargate: true }),
      log,
    }).catch((e: Error) => { throw new CliError(`the agent could not start: ${e.message}`); });
    // The pool's line first: 'berth up --hosts' takes the second as the agent being up.
    if (running.poolInstanceArn) process.stdout.write(`Agent offers Fargate capacity as ${running.poolInstanceArn}\n`);
    process.stdout.write(`Agent running as ${running.containerInstanceArn}\n`);
    await new Promise<void>((done) => {
      const stop = () => { void running.close().then(done, done); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
