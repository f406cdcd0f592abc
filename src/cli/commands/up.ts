import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startAgent } from '../../agent/agent.ts';
import { DEFAULT_RESERVED_MEMORY_MIB } from '../../agent/registration.ts';
import { MAX_TASK_PIDS_LIMIT, TASK_PIDS_LIMIT_ENV } from '../../agent/task-pids-limit.ts';
import { serveHostControl } from '../../hosts/control.ts';
import { DEFAULT_INSTANCE_TYPE, HOSTS_NETWORK, hostLayout, MAX_HOSTS, parseInstanceTypes, podGateway } from '../../hosts/layout.ts';
import { ensureHostsBridge, powerOffFrom, removeHostsBridge } from '../../hosts/machine.ts';
import { HostSupervisor } from '../../hosts/supervisor.ts';
import { ensureJoinToken } from '../../server/join-token.ts';
import { startServer } from '../../server/server.ts';
import { StoreLockedError } from '../../store/sqlite/sqlite-store.ts';
import { VERSION } from '../../version.ts';
import { intOption, parse } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { DEFAULT_ACCOUNT, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION, defaultDataDir } from '../defaults.ts';
import { taskPidsLimitOption } from '../task-pids-limit-option.ts';
import type { Command } from './command.ts';

export const up: Command = {
  help: `Usage: berth up [options]

Starts Berth in the foreground: the AWS-compatible endpoint (ECS, and more as they land)
on one port, with its state in an embedded SQLite database in the data directory.
Stop it with Ctrl-C (SIGINT) or SIGTERM; what was acknowledged is on disk.

Options:
  --port N          port to listen on (default ${DEFAULT_PORT}, or $BERTH_PORT)
  --host ADDR       address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 for every interface,
                    and it says at start what other hosts can then reach)
  --data-dir DIR    where state is kept (default /var/lib/berth as root, else
                    ~/.local/share/berth; or $BERTH_DATA_DIR)
  --account-id ID   the AWS account id Berth answers as (default ${DEFAULT_ACCOUNT})
  --region REGION   region for requests that do not sign one (default ${DEFAULT_REGION})
  --anonymous-pull  let anyone pull from the registry without a token (pushes still need one)
  --no-registry-auth
                    accept registry pushes and pulls without a token: only where nobody
                    else can reach the port
  --no-agent        do not run a container agent on this host (control plane only)
  --no-fargate      do not offer the hosts' capacity to the Fargate pool (by default each
                    host's agent also serves Fargate tasks of every cluster; without a pool
                    host, RunTask --launch-type FARGATE answers "Capacity is unavailable")
  --hosts N         simulate N hosts on this machine, 1 to ${MAX_HOSTS} (default 1: this machine
                    alone). See "Several hosts" below.
  --instance-types T1,T2,...
                    the hosts' ecs.instance-type attributes, taken in turn (default
                    ${DEFAULT_INSTANCE_TYPE}); e.g. t3.small,m5.large for memberOf on instance type
  --meter-ec2       meter EC2-mode tasks too, for what they would have cost on Fargate
                    ('berth cost --ec2'); by default only Fargate tasks are metered
  --task-pids-limit N
                    most processes a task's containers may hold together, 1 to ${MAX_TASK_PIDS_LIMIT}
                    (default $${TASK_PIDS_LIMIT_ENV}, as the ECS agent; unset: no limit)
  -h, --help        show this help

The first start makes a join token (kept in the data dir, 'berth token' shows or
rotates it) and prints the 'berth agent --join URL --token T' line that makes another
host join. Callers on other hosts need it for Berth's own endpoints too (/_berth/*).

Then, for example:
  aws --endpoint-url http://127.0.0.1:${DEFAULT_PORT} ecs list-clusters

Several hosts (--hosts N, root):
  host-1 is this machine, with the agent 'berth up' always runs. host-2 to host-N are
  simulated: each is a network namespace (bhost-<i>) on the bridge ${HOSTS_NETWORK.bridge}
  (${HOSTS_NETWORK.prefix}.1 is this machine, host i is ${HOSTS_NETWORK.prefix}.<i>), with its own
  'berth agent' process, data dir (<data dir>/hosts/host-<i>), run dir
  (/run/berth-hosts/host-<i>), bridges, subnets and nft table, and its own availability
  zone (<region>a, b, c in turn) and instance type (--instance-types in turn). Each joins the default cluster with the join token, at
  http://${HOSTS_NETWORK.prefix}.1:<port>, where the endpoint is served too. A task's host
  port on host i is reachable from this machine at http://${HOSTS_NETWORK.prefix}.<i>:<port>.
  'berth host ls' lists them, 'berth host kill host-2' powers one off (its agent and
  containers die) and 'berth host start host-2' boots it again. Stopping 'berth up'
  powers the simulated hosts off and removes their namespaces and links; host-1's
  containers keep running, as with one host.
`,
  async run(argv) {
    const { values } = parse('up', argv, {
      port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' },
      'account-id': { type: 'string' }, region: { type: 'string' },
      'anonymous-pull': { type: 'boolean' }, 'no-registry-auth': { type: 'boolean' }, 'no-agent': { type: 'boolean' }, 'no-fargate': { type: 'boolean' },
      'meter-ec2': { type: 'boolean' }, 'task-pids-limit': { type: 'string' }, hosts: { type: 'string' }, 'instance-types': { type: 'string' },
    });
    const hosts = intOption('up', 'hosts', values.hosts, 1, 1, MAX_HOSTS);
    if (hosts > 1 && values['no-agent']) throw new CliError('--hosts runs an agent on every host: leave out --no-agent, or --hosts.', 2);
    if (hosts > 1 && process.getuid?.() !== 0) throw new CliError('--hosts makes network namespaces and runs agents: run berth up as root.');
    let instanceTypes: string[] = [DEFAULT_INSTANCE_TYPE];
    try {
      if (values['instance-types'] !== undefined) instanceTypes = parseInstanceTypes(values['instance-types']);
    } catch (err) {
      throw new CliError(`--instance-types: ${(err as Error).message}.`, 2);
    }
    const taskPidsLimit = values['no-agent'] ? undefined : taskPidsLimitOption('up', values['task-pids-limit']);
    const port = intOption('up', 'port', values.port ?? process.env.BERTH_PORT, DEFAULT_PORT);
    const host = values.host ?? DEFAULT_HOST;
    const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
    const accountId = values['account-id'] ?? DEFAULT_ACCOUNT;
    if (!/^\d{12}$/.test(accountId)) throw new CliError(`--account-id must be 12 digits, like ${DEFAULT_ACCOUNT}; it was '${accountId}'.`, 2);
    const region = values.region ?? DEFAULT_REGION;
    prepareDataDir(dataDir);
    let joinToken: string;
    try {
      joinToken = ensureJoinToken(dataDir);
    } catch (err) {
      throw new CliError((err as Error).message);
    }

    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    let server;
    try {
      server = await startServer({
        host, port, dataDir, accountId, region, log,
        anonymousPull: values['anonymous-pull'] ?? false, registryAuthOff: values['no-registry-auth'] ?? false,
        meterEc2: values['meter-ec2'] ?? false,
        // Pods of every host reach the clusters' API servers at this host's pod gateway (the agent below brings it up).
        ...(process.getuid?.() === 0 && !values['no-agent'] && { inClusterHost: podGateway(1) }),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is in use: stop what is using it, or pass --port with a free port.`);
      if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${host}:${port} (${e.code}): pick another --host or --port.`);
      if (err instanceof StoreLockedError) throw new CliError(`${err.message}; stop it, or pass another --data-dir.`);
      throw err;
    }
    const fargate = !values['no-fargate'];
    let agent: { containerInstanceArn: string; poolInstanceArn?: string; close(): Promise<void> } | undefined;
    if (!values['no-agent']) {
      if (process.getuid?.() !== 0) log('not root: no container agent on this host (tasks need one; run as root, or join agents with berth agent)');
      else {
        agent = await startAgent({
          endpoint: server.url, cluster: 'default', dataDir: join(dataDir, 'agent'), availabilityZone: hostLayout(1, dataDir, region).availabilityZone,
          instanceType: instanceTypes[0]!, reservedMemoryMiB: DEFAULT_RESERVED_MEMORY_MIB, reservedPorts: [port], taskPidsLimit, joinToken, fargate,
          log: (line) => log(`agent: ${line}`),
        }).catch(async (e: Error) => {
          await server.close();
          throw new CliError(`the container agent could not start: ${e.message} (pass --no-agent to run the control plane alone)`);
        });
      }
    }
    if (process.getuid?.() === 0 && !values['no-agent']) {
      // Hosts beyond N that a killed `berth up --hosts M` (M > N) left running.
      const off = await powerOffFrom(hosts + 1, (i) => hostLayout(i, dataDir, region));
      if (off.length) log(`powered off ${off.join(', ')}, left by a berth up with more --hosts`);
      if (hosts === 1) await removeHostsBridge();
    }
    let simulated: { supervisor: HostSupervisor; stop(): Promise<void> } | undefined;
    if (hosts > 1) {
      simulated = await startHosts({
        hosts, instanceTypes, dataDir, region, port: server.port, listenHost: host, joinToken, taskPidsLimit, fargate,
        machineInstanceArn: agent?.containerInstanceArn, machinePoolInstanceArn: agent?.poolInstanceArn,
        listenAlso: (address) => server.listenAlso(address), log,
      }).catch(async (e: Error) => {
        await agent?.close();
        await server.close();
        throw new CliError(`the simulated hosts could not start: ${e.message}`);
      });
    }
    process.stdout.write(`Berth ${VERSION} is up.
  endpoint   ${server.url}
  data dir   ${dataDir}
  account    ${accountId}
  agent      ${agent ? agent.containerInstanceArn : 'none'}
  fargate    ${agent?.poolInstanceArn ?? 'none (no pool host here)'}
${simulated ? hostLines(simulated.supervisor) : ''}  registry   ${server.url.replace(/^http:\/\//, '')} (log in: aws ecr get-login-password --endpoint-url ${server.url} | skopeo login --tls-verify=false -u AWS --password-stdin ${server.url.replace(/^http:\/\//, '')})
  join       berth agent --join ${joinUrl(host, server.port, server.url)} --token ${joinToken}
Try: aws --endpoint-url ${server.url} ecs list-clusters
${isLoopbackHost(host) ? '' : exposure(host, values['anonymous-pull'] ?? false, values['no-registry-auth'] ?? false)}`);
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        log(`${signal}: shutting down (containers keep running; the next start adopts them)`);
        void (simulated ? simulated.stop() : Promise.resolve())
          .catch((e: Error) => log(`stopping the simulated hosts: ${e.message}`))
          .then(() => (agent ? agent.close() : undefined)).then(() => server.close()).then(done, done);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};

interface HostsOptions {
  hosts: number;
  instanceTypes: readonly string[];
  dataDir: string;
  region: string;
  port: number;
  /** --host: with a wildcard the endpoint already answers on the hosts bridge. */
  listenHost: string;
  joinToken: string;
  taskPidsLimit: number | undefined;
  /** Every host's agent offers Fargate capacity (berth agent --fargate). */
  fargate: boolean;
  machineInstanceArn: string | undefined;
  machinePoolInstanceArn: string | undefined;
  listenAlso(address: string): Promise<void>;
  log(line: string): void;
}

/** The hosts bridge, the control plane on it, hosts 2..N and `berth host`'s socket. */
async function startHosts(o: HostsOptions): Promise<{ supervisor: HostSupervisor; stop(): Promise<void> }> {
  const layouts = Array.from({ length: o.hosts }, (_, i) => hostLayout(i + 1, o.dataDir, o.region, o.instanceTypes));
  const machine = `${HOSTS_NETWORK.prefix}.1`;
  const supervisor = new HostSupervisor({
    hosts: layouts, machineInstanceArn: o.machineInstanceArn, machinePoolInstanceArn: o.machinePoolInstanceArn, endpoint: `http://${machine}:${o.port}`, joinToken: o.joinToken,
    agentArgs: [...(o.taskPidsLimit === undefined ? [] : ['--task-pids-limit', String(o.taskPidsLimit)]), ...(o.fargate ? ['--fargate'] : [])], log: o.log,
  });
  const stop = async () => {
    await supervisor.shutdown();
    await removeHostsBridge();
  };
  let stopControl: (() => Promise<void>) | undefined;
  try {
    await ensureHostsBridge();
    if (o.listenHost !== '0.0.0.0' && o.listenHost !== '::' && o.listenHost !== machine) await o.listenAlso(machine);
    await supervisor.startAll();
    stopControl = await serveHostControl(o.dataDir, supervisor, o.log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { supervisor, stop: async () => { await stopControl?.(); await stop(); } };
}

function hostLines(supervisor: HostSupervisor): string {
  return supervisor.list().map((h) => `  ${h.name.padEnd(10)} ${h.address} ${h.availabilityZone} ${h.instanceType} ${h.containerInstanceArn ?? '(no agent)'}${h.poolInstanceArn ? ' (+ fargate)' : ''}
`).join('');
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The URL other hosts join at: with a wildcard host, this host's first non-loopback address. */
function joinUrl(host: string, port: number, url: string): string {
  if (host !== '0.0.0.0' && host !== '::') return url;
  const address = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && (host === '::' || a.family === 'IPv4'));
  if (!address) return url;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${port}`;
}

/** What listening beyond loopback opens to other hosts, said at start. */
function exposure(host: string, anonymousPull: boolean, registryAuthOff: boolean): string {
  return `Listening on ${host}: other hosts that reach this port can use
  AWS APIs   ECS, ECR, S3 with no signature check: anyone can read and change everything
  registry   ${registryAuthOff ? 'pushes and pulls with no token at all (--no-registry-auth)' : `pushes with an ECR token${anonymousPull ? ', pulls by anyone (--anonymous-pull)' : ', pulls with one too'}`}
  agents     join with the join token only; each then presents its own secret
  admin      /_berth/* (reset, logs, exec) only with 'Authorization: Bearer <join token>'; /_berth/health is open
`;
}

function prepareDataDir(dir: string): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CliError(`cannot write to the data dir ${dir} (${(err as NodeJS.ErrnoException).code}): pass --data-dir with a directory you can write to.`);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir never returns for some paths
 * under /proc (seen with Node 24.21 on `/proc/x`), and a wrong --data-dir must fail fast.
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}
