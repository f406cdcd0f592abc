import { networkInterfaces } from 'node:os';
import { cpuQuantity, nodeName } from '../core/kube/node-view.ts';
import { hostAddress } from './host-address.ts';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envCredentials, envRegion, jsonClient, type JsonClient } from '../api/aws/client.ts';
import type { StatusReport } from '../core/workload/report.ts';
import { ImageStore } from '../images/image-store.ts';
import type { RegistryCredentials } from '../images/registry-auth.ts';
import { findRuntime, reattach, type Reattached } from '../runtime/container/index.ts';
import { createNetworkManager } from '../runtime/network/index.ts';
import { detectIsolation } from '../runtime/sandbox/index.ts';
import { HOST_ATTRIBUTE, ISOLATION_ATTRIBUTE } from '../core/ecs/fargate.ts';
import { resolveConfig, type NetworkManagerOptions } from '../runtime/network/config.ts';
import { MACHINE_RUN_DIR } from '../hosts/layout.ts';
import { claimHost, ownNetns } from './host-claims.ts';
import { InteractiveExecs } from './interactive-execs.ts';
import { PortForwards } from './port-forwards.ts';
import { streamLog } from './log-stream.ts';
import type { AgentRequest, Assignment, RoleCredentials, ServerMessage } from './protocol.ts';
import { readAssignment } from './assignment-file.ts';
import { Lru } from '../lib/lru.ts';
import { TaskCredentials } from './task-credentials.ts';
import { hostId, joinEndpoint, register, registerInPool, type AgentConfig, type Registration } from './registration.ts';
import { s3ObjectReader } from './s3-object-reader.ts';
import { AgentSession } from './session.ts';
import { NodeServices } from '../svcnet/node.ts';
import type { TableUpdate } from '../svcnet/table.ts';
import { taskLayout } from './task-layout.ts';
import { TaskRunner } from './task-runner.ts';
import { endpointId, endpointKey, metadataEnvironment } from './metadata/ids.ts';
import { awsEnvironment } from './metadata/aws-relay.ts';
import { clockSampler } from './metadata/clock.ts';
import { callerTaskAmong, endpointTarget } from './metadata/runner-facts.ts';
import { metadataHandler, startMetadataServer, type EndpointTarget } from './metadata/server.ts';
import { TaskTagsCache } from './metadata/task-tags.ts';
import type { AwslogsTransport } from './awslogs/driver.ts';

/** Where the runtime keeps its state and the crun wrapper by default: tmpfs, gone at reboot like the containers. */
export const DEFAULT_RUN_DIR = MACHINE_RUN_DIR;
/** ECR tokens last 12 hours; fetch a new one well before. */
const TOKEN_REFRESH_MS = 6 * 3600_000;
/** Capabilities this agent has (ECS attribute names), which task definitions may require. */
export const AGENT_CAPABILITIES = [
  'ecs.capability.task-eni',
  'ecs.capability.container-health-check',
  'ecs.capability.container-ordering',
  'com.amazonaws.ecs.capability.docker-remote-api.1.17',
  'com.amazonaws.ecs.capability.docker-remote-api.1.18',
  'com.amazonaws.ecs.capability.docker-remote-api.1.19',
  'com.amazonaws.ecs.capability.docker-remote-api.1.21',
  'com.amazonaws.ecs.capability.logging-driver.json-file',
  // Task IAM roles: the role's credentials served at 169.254.170.2 (task-credentials.ts), bridge, awsvpc and host modes.
  'com.amazonaws.ecs.capability.task-iam-role',
  'com.amazonaws.ecs.capability.task-iam-role-network-host',
  'com.amazonaws.ecs.capability.logging-driver.awslogs',
  // The execution role's session pulls the task's images and ships its awslogs (src/server/execution-principal.ts).
  'ecs.capability.execution-role-ecr-pull',
  'ecs.capability.execution-role-awslogs',
];

export interface AgentOptions extends Omit<AgentConfig, 'capabilities'> {
  /** The control plane: http://host:port. */
  endpoint: string;
  /** ECS_TASK_PIDS_LIMIT (task-pids-limit.ts): pids.max of each task's cgroup; undefined for none. */
  taskPidsLimit?: number | undefined;
  /** The runtime's directory (default {@link DEFAULT_RUN_DIR}); one per agent on a machine. */
  runDir?: string;
  /** Bridge names, subnets, nft table and name prefixes (defaults: config.ts); one set per agent. */
  network?: Pick<NetworkManagerOptions, 'bridge' | 'vpc' | 'nftTable' | 'netnsPrefix' | 'vethPrefix'>;
  /**
   * Offer this host's capacity to the region's Fargate pool too (src/core/ecs/fargate.ts): a
   * second container instance, in the pool's cluster, served by this same agent over a
   * session of its own. Fargate tasks of any cluster are placed on it.
   */
  fargate?: boolean;
  log: (line: string) => void;
}

export interface RunningAgent {
  readonly containerInstanceArn: string;
  /** Its instance in the Fargate pool, when it offers Fargate capacity. */
  readonly poolInstanceArn?: string;
  close(): Promise<void>;
}

/**
 * The container agent of one host: registers it as a container instance, keeps the
 * session with the control plane, and runs the tasks placed on it. Containers outlive
 * the agent (each under its own conmon); a restarted agent adopts them.
 */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const api = jsonClient(o.endpoint, envRegion(), envCredentials());
  const runDir = o.runDir ?? DEFAULT_RUN_DIR;
  const networkOptions: NetworkManagerOptions = { stateDir: join(o.dataDir, 'network'), ...o.network };
  // Refuse before touching anything another agent on this machine holds (host-claims.ts).
  const net = resolveConfig(networkOptions);
  const release = claimHost({
    dataDir: o.dataDir, runDir, netns: ownNetns(), bridge: net.bridge.bridge, vpcBridge: net.vpc.bridge, nftTable: net.nftTable, netnsPrefix: net.netnsPrefix,
  });
  try {
    return await start(o, api, runDir, networkOptions, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function start(o: AgentOptions, api: JsonClient, runDir: string, networkOptions: NetworkManagerOptions, release: () => void): Promise<RunningAgent> {
  const runtime = await findRuntime({ runDir, readOnlyBinaryDir: join(runDir, 'bin'), createNamespace: true });
  for (const w of runtime.warnings ?? []) o.log(`runtime: ${w}`);
  const network = await createNetworkManager(networkOptions);
  for (const w of network.warnings) o.log(`network: ${w}`);
  await network.reattach();
  const registryHost = new URL(o.endpoint).host;
  const images = await ImageStore.open({ root: join(o.dataDir, 'images'), berthRegistry: registryHost, berthUrl: o.endpoint, rootfsMountRoot: runtime.rootfsDir });
  // The boundary Fargate tasks get here: decided once, said once (src/runtime/sandbox/detect.ts).
  const isolation = await detectIsolation({ runDir });
  for (const n of isolation.facts.notes) o.log(`isolation: ${n}`);
  const hostAttributes = [
    { name: ISOLATION_ATTRIBUTE, value: isolation.facts.fargate },
    ...(isolation.facts.kvm ? [{ name: `${ISOLATION_ATTRIBUTE}.kvm`, value: 'present-unused' }] : []),
    // On both registrations: the control plane shares the host's one capacity between them.
    { name: HOST_ATTRIBUTE, value: hostId(o.dataDir) },
  ];
  const joinAt = joinEndpoint(o.endpoint, envRegion());
  const own = await register(api, joinAt, { ...o, capabilities: AGENT_CAPABILITIES, hostAttributes }, o.log);
  const instance = own.containerInstance;
  o.log(`registered ${instance.containerInstanceArn} (${runtime.name} ${runtime.version})`);
  const pool = o.fargate ? await registerInPool(joinAt, { ...o, capabilities: AGENT_CAPABILITIES, hostAttributes }, o.log) : undefined;
  if (pool) o.log(`offers Fargate capacity as ${pool.containerInstance.containerInstanceArn}`);

  const tasksDir = join(o.dataDir, 'tasks');
  const runners = new Map<string, TaskRunner>();
  const roleCredentials = new TaskCredentials();
  // Execution roles' credentials: the agent's own for a task's pulls and awslogs, never served to the task.
  const executionCredentials = new TaskCredentials();
  const streams = new Map<string, () => void>();
  const execs = new InteractiveExecs();
  const ports = new PortForwards();
  // One session per registration (the host's own instance, its pool instance), each told
  // the tasks placed on its instance; one set of runners serves both.
  const sessions = new Map<string, AgentSession>();
  // An EKS node's Services: its nft service table and cluster DNS, from its own instance's session (src/svcnet).
  const nodeServices = new NodeServices({
    vips: network.services, dnsHost: network.config.vpc.gateway, log: o.log,
    resync: () => sessions.get(own.containerInstance.containerInstanceArn)?.resyncServiceTable(),
  });
  // Each session exists before adoption so that adopted tasks' reports queue in its outbox;
  // it dials out only after, when the runners know their tasks.
  const open = (r: Registration): AgentSession => {
    const arn = r.containerInstance.containerInstanceArn;
    const session: AgentSession = new AgentSession(o.endpoint, { cluster: r.containerInstance.containerInstanceArn.split('/').at(-2)!, containerInstanceArn: arn, agentVersion: 'berth' }, r.instanceSecret, {
      onSnapshot: (assignments) => {
        const wanted = new Set(assignments.map((a) => a.spec.ecs.taskArn));
        for (const a of assignments) take(a);
        // A task of this instance the control plane no longer knows (its state was wiped): stop it here too.
        for (const [taskArn, runner] of runners) {
          if (runner.spec.placement.instanceArn === arn && !wanted.has(taskArn) && !runner.done) void runner.stop('UserInitiated', 'The control plane no longer knows this task');
        }
      },
      onAssignment: (a) => take(a),
      onCredentials: (taskArn, c, execution) => { if (runners.has(taskArn)) (execution ? executionCredentials : roleCredentials).set(taskArn, c); },
      onRequest: (req) => handleRequest(session, req),
      onDisconnect: () => { execs.closeOwner(session); ports.closeOwner(session); },
      // The pool instance is no node: only the host's own instance follows a cluster's services.
      ...(r === own && { onServiceTable: (u: TableUpdate) => void nodeServices.update(u) }),
      log: o.log,
    });
    sessions.set(arn, session);
    return session;
  };
  const s = open(own);
  if (pool) open(pool);
  const report = (r: StatusReport) => {
    // A task's reports go to the session of the instance it was placed on.
    const on = runners.get(r.taskArn)?.spec.placement.instanceArn;
    (on !== undefined && sessions.get(on) || s).report(r);
    if (r.status === 'STOPPED') {
      markStopped(tasksDir, r.taskArn);
      roleCredentials.delete(r.taskArn);
      executionCredentials.delete(r.taskArn);
      taskTags.delete(r.taskArn);
      // The runner's work is over; its log stays reachable through the task directory.
      runners.delete(r.taskArn);
    }
  };
  const credentials = ecrCredentials(api, registryHost, (taskArn) => executionCredentials.get(taskArn), (c) => jsonClient(o.endpoint, envRegion(), c));
  // Environment files live in Berth's S3, served on the endpoint this agent joined.
  const envFiles = s3ObjectReader(o.endpoint, envRegion(), envCredentials());
  // The task metadata endpoint: one id per container (metadata/ids.ts), one server per host.
  const metadataKey = endpointKey(o.dataDir);
  // A task with a role has its credentials before its runner is made (take()): its containers get the credentials URI.
  // Berth's AWS APIs at 169.254.170.2, relayed to the control plane (metadata/aws-relay.ts), in the task's region.
  const endpointEnvironment = (taskArn: string, container: string) => [
    ...metadataEnvironment(endpointId(metadataKey, taskArn, container), roleCredentials.get(taskArn) !== undefined),
    ...awsEnvironment(taskArn.split(':')[3] ?? envRegion()),
  ];
  // A task's protection and its awslogs drivers' batches go over the session of the instance it was placed on.
  const sessionOf = (taskArn: string): AgentSession => {
    const on = runners.get(taskArn)?.spec.placement.instanceArn;
    return (on !== undefined && sessions.get(on)) || s;
  };
  // A task with an execution role ships its logs as that role (the control plane checks it: src/server/execution-principal.ts).
  const as = (taskArn: string) => {
    const c = executionCredentials.get(taskArn);
    return c ? { as: { accessKeyId: c.accessKeyId, sessionToken: c.sessionToken } } : {};
  };
  const awslogs: AwslogsTransport = {
    setup: (t) => sessionOf(t.taskArn).awslogs({ op: 'setup', ...t, ...as(t.taskArn) }),
    put: (t, batch) => sessionOf(t.taskArn).awslogsBatch({ ...t, ...as(t.taskArn) }, batch),
  };
  // This host as its node shows it (core/kube/node-view.ts): a pod's placement-only env vars read it.
  const registered = (r: string) => instance.registeredResources.find((x) => x.name === r)?.integerValue ?? 0;
  const podNode = () => ({
    nodeName: nodeName(instance),
    hostIP: sessions.get(instance.containerInstanceArn)?.hostAddress ?? hostAddress(undefined, networkInterfaces()) ?? '',
    allocatable: { cpu: cpuQuantity(registered('CPU')), memory: `${registered('MEMORY') * 1024}Ki` },
  });
  const deps = { images, network, runtime, tasksDir, credentialsFor: credentials, envFiles, report, log: o.log, now: Date.now, taskPidsLimit: o.taskPidsLimit, fargateSandbox: isolation.backend, endpointEnvironment, awslogs, podNode };
  /** Endpoint id → its task and container; rebuilt from the runners on a miss, so it holds at most their containers. */
  let endpoints = new Map<string, { taskArn: string; container: string; made?: { runner: TaskRunner; target: EndpointTarget } }>();
  const endpointOf = (id: string) => {
    if (!endpoints.has(id)) {
      endpoints = new Map();
      for (const r of runners.values()) for (const c of r.facts().assignment.spec.containers) endpoints.set(endpointId(metadataKey, r.taskArn, c.name), { taskArn: r.taskArn, container: c.name });
    }
    return endpoints.get(id);
  };
  const clock = clockSampler(Date.now);
  // taskWithTags: the task's and its instance's tags, asked over the task's session, kept a few seconds.
  const taskTags = new TaskTagsCache((taskArn) => sessionOf(taskArn).tags(taskArn), Date.now);
  const metadataServer = await startMetadataServer([network.config.bridge.gateway, network.config.vpc.gateway], network.config.metadataPort, metadataHandler({
    now: Date.now,
    awsEndpoint: new URL(o.endpoint),
    callerTask: (socket) => callerTaskAmong((function* () { for (const r of runners.values()) yield r.facts(); })(), socket),
    credentials: (taskArn) => roleCredentials.get(taskArn),
    tags: (taskArn) => taskTags.get(taskArn),
    protection: {
      get: (taskArn) => sessionOf(taskArn).protection(taskArn),
      update: (taskArn, enabled, minutes) => sessionOf(taskArn).protection(taskArn, enabled, minutes),
    },
    resolve(id) {
      const e = endpointOf(id);
      const runner = e && runners.get(e.taskArn);
      if (!runner) return undefined;
      // One target per container while its runner lives: no closures made per request.
      if (e.made?.runner !== runner) e.made = { runner, target: endpointTarget(() => runner.facts(), e.container, { network: network.config, clock }) };
      return e.made.target;
    },
  }));

  // Tasks a previous agent process started: adopt their containers before listening.
  for (const a of unfinishedTasks(tasksDir)) {
    // Its awslogs resume before the control plane's snapshot arrives: the execution role's session it was started with serves till then.
    if (a.executionRoleCredentials) executionCredentials.set(a.spec.ecs.taskArn, a.executionRoleCredentials);
    const runner = new TaskRunner(a, deps);
    runners.set(runner.taskArn, runner);
    const found = await reattachContainers(tasksDir, runner.taskId, a);
    await runner.adopt(found).catch((e: Error) => o.log(`adopting ${runner.taskArn}: ${e.message}`));
  }

  function take(a: Assignment): void {
    // The control plane sends no task that has stopped (agent-gateway.ts): each is one to run or to stop.
    const taskArn = a.spec.ecs.taskArn;
    if (a.roleCredentials) roleCredentials.set(taskArn, a.roleCredentials);
    if (a.executionRoleCredentials) executionCredentials.set(taskArn, a.executionRoleCredentials);
    const known = runners.get(taskArn);
    if (known) return known.update(a);
    const runner = new TaskRunner(a, deps);
    runners.set(taskArn, runner);
    void runner.launch().catch((e: Error) => o.log(`task ${taskArn}: ${e.stack ?? e.message}`));
  }
  for (const session of sessions.values()) session.start();

  function handleRequest(s: AgentSession, req: Extract<ServerMessage, { type: AgentRequest }>): void {
    if (req.type === 'execOpen' || req.type === 'execInput' || req.type === 'execResize') {
      return execs.handle(s, req, (taskArn, name) => runners.get(taskArn)?.containerOf(name), (m) => s.answer(m));
    }
    if (req.type === 'portOpen' || req.type === 'portData') return ports.handle(s, req, (taskArn) => runners.get(taskArn)?.portRoute(), (m) => s.answer(m));
    if (req.type === 'cancel') {
      execs.handle(s, req, () => undefined, () => {});
      ports.handle(s, req, () => undefined, () => {});
      streams.get(req.id)?.();
      streams.delete(req.id);
      return;
    }
    const runner = runners.get(req.taskArn);
    if (req.type === 'logs') {
      const path = runner?.logPath(req.container, req.previous === true) ?? logOfFinished(tasksDir, req.taskArn, req.container, req.previous === true);
      if (!path || (req.previous && !existsSync(path))) {
        const what = `${req.previous ? 'the previous run of ' : ''}${req.container ?? 'the first container'}`;
        return s.answer({ type: 'logData', id: req.id, error: `no log for ${what} of ${req.taskArn} on this host` });
      }
      streams.set(req.id, streamLog(path, req.follow, () => runner?.done ?? true,
        (data) => s.answer({ type: 'logData', id: req.id, data }),
        (error) => { streams.delete(req.id); s.answer({ type: 'logData', id: req.id, end: true, ...(error && { error }) }); },
        () => s.answer({ type: 'logData', id: req.id, caughtUp: true })));
      return;
    }
    const container = runner?.containerOf(req.container);
    if (!container) return s.answer({ type: 'execResult', id: req.id, error: `${req.container ?? 'the first container'} of ${req.taskArn} is not running on this host` });
    container.exec(req.command, { timeoutMs: req.timeoutMs }).then(
      (r) => s.answer({ type: 'execResult', id: req.id, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }),
      (e: Error) => s.answer({ type: 'execResult', id: req.id, error: e.message }),
    );
  }

  return {
    containerInstanceArn: instance.containerInstanceArn,
    ...(pool && { poolInstanceArn: pool.containerInstance.containerInstanceArn }),
    async close() {
      for (const stop of streams.values()) stop();
      execs.closeAll();
      ports.closeAll();
      for (const r of runners.values()) r.detach();
      for (const session of sessions.values()) session.close();
      await nodeServices.close();
      await metadataServer.close();
      await network.close();
      release();
    },
  };
}

/** ECR tokens kept for execution roles' sessions, one per session's access key: the tasks on a host, with a rotation's worth to spare. */
const EXECUTION_TOKENS_KEPT = 512;

/**
 * Registry credentials for a pull: an ECR token from GetAuthorizationToken, signed with the
 * task's execution role's session when it has one (the token then names that session, and
 * the registry's pulls with it are the role's), else with the agent's own credentials.
 */
function ecrCredentials(api: JsonClient, registryHost: string, executionOf: (taskArn: string) => RoleCredentials | undefined, clientFor: (c: { accessKeyId: string; secretAccessKey: string; sessionToken: string }) => JsonClient): (reference: string, taskArn?: string) => Promise<RegistryCredentials | undefined> {
  let cached: { creds: RegistryCredentials; at: number } | undefined;
  const byRole = new Lru<string, { creds: RegistryCredentials; at: number }>(EXECUTION_TOKENS_KEPT);
  const fetchToken = async (client: JsonClient): Promise<RegistryCredentials> => {
    const out = await client.call<{ authorizationData: { authorizationToken: string }[] }>('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', {});
    const [username, password] = Buffer.from(out.authorizationData[0]!.authorizationToken, 'base64').toString().split(':') as [string, string];
    return { username, password };
  };
  return async (reference, taskArn) => {
    const host = reference.split('/')[0]!;
    const external = reference.includes('/') && (host.includes('.') || host.includes(':')) && host !== registryHost && !/\.dkr\.ecr\./.test(host) && !/docker\.io$/.test(host);
    if (external) return undefined;
    const execution = taskArn === undefined ? undefined : executionOf(taskArn);
    if (execution) {
      const kept = byRole.get(execution.accessKeyId);
      if (kept && Date.now() - kept.at <= TOKEN_REFRESH_MS) return kept.creds;
      const creds = await fetchToken(clientFor(execution));
      byRole.set(execution.accessKeyId, { creds, at: Date.now() });
      return creds;
    }
    if (!cached || Date.now() - cached.at > TOKEN_REFRESH_MS) cached = { creds: await fetchToken(api), at: Date.now() };
    return cached.creds;
  };
}

function unfinishedTasks(tasksDir: string): Assignment[] {
  if (!existsSync(tasksDir)) return [];
  const out: Assignment[] = [];
  for (const id of readdirSync(tasksDir)) {
    const l = taskLayout(tasksDir, id);
    if (!existsSync(l.assignment) || existsSync(join(l.dir, 'stopped'))) continue;
    out.push(readAssignment(l.assignment));
  }
  return out;
}

async function reattachContainers(tasksDir: string, taskId: string, a: Assignment): Promise<Map<string, Reattached>> {
  const l = taskLayout(tasksDir, taskId);
  const found = new Map<string, Reattached>();
  for (const c of a.spec.containers) {
    if (existsSync(join(l.containerState(c.name), 'container.json'))) found.set(c.name, await reattach(l.containerState(c.name)));
  }
  return found;
}

function markStopped(tasksDir: string, taskArn: string): void {
  const l = taskLayout(tasksDir, taskArn.slice(taskArn.lastIndexOf('/') + 1));
  if (existsSync(l.dir)) writeFileSync(join(l.dir, 'stopped'), '');
}

function logOfFinished(tasksDir: string, taskArn: string, container: string | undefined, previous: boolean): string | undefined {
  const l = taskLayout(tasksDir, taskArn.slice(taskArn.lastIndexOf('/') + 1));
  if (!existsSync(l.assignment)) return undefined;
  const name = container ?? readAssignment(l.assignment).spec.containers[0]?.name;
  const path = name && (previous ? l.previousLog(name) : l.log(name));
  return path && existsSync(path) ? path : undefined;
}
