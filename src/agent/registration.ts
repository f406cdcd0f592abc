import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { JsonClient } from '../api/aws/client.ts';
import type { Attribute, ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { httpRequest, readBody } from '../lib/http-request.ts';
import { replaceFileSync } from '../lib/replace-file.ts';
import { FARGATE_POOL_CLUSTER } from '../core/ecs/fargate.ts';
import { VERSION } from '../version.ts';
import { REGISTER_PATH } from './protocol.ts';

const ECS = 'AmazonEC2ContainerServiceV20141113';
/** MiB kept back from tasks for the agent, conmon and the OS by default (ECS_RESERVED_MEMORY's role). */
export const DEFAULT_RESERVED_MEMORY_MIB = 256;

export interface AgentConfig {
  cluster: string;
  dataDir: string;
  availabilityZone: string;
  instanceType: string;
  reservedMemoryMiB: number;
  /** Host ports tasks may not take (besides ECS's own reserved ones): Berth's own port, say. */
  reservedPorts: number[];
  /** Capabilities this host's runtime really has, as ECS attribute names. */
  capabilities: string[];
  /** Host facts as attributes with values (the boundary Fargate tasks get here, KVM's presence). */
  hostAttributes?: { name: string; value: string }[];
  /** The control plane's join token: needed to join the first time (and again after a deregistration). */
  joinToken?: string;
  /** The capacity provider this host's capacity belongs to (--capacity-provider): its instance's capacityProviderName. */
  capacityProvider?: string;
}

/** What the agent keeps across restarts, in its data dir (0600): who it is, and its secret. */
interface Identity {
  cluster: string;
  /** The EC2-style id the control plane gave this host when it joined. */
  instanceId?: string;
  containerInstanceArn?: string;
  /** The instance's own secret: re-registers it and opens its sessions. Issued once, at the join. */
  instanceSecret?: string;
}

/** The registered instance, and the secret its sessions present. */
export interface Registration {
  containerInstance: ContainerInstanceRecord;
  instanceSecret: string;
}

/** The control plane's POST /_berth/agents/register (src/server/agent-registration.ts), as the agent calls it. */
export type JoinEndpoint = (bearer: string, input: Record<string, unknown>) => Promise<{ containerInstance: ContainerInstanceRecord; instanceSecret?: string }>;

/** A refusal or an error answer of the registration endpoint: `status` is its HTTP status, `code` its `__type` if any. */
export class JoinError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.name = 'JoinError';
    this.status = status;
    this.code = code;
  }
}

/** Largest answer read: one container instance record. */
const MAX_ANSWER_BYTES = 1 << 20;

/** The registration endpoint of the control plane at `endpoint`, in `region`. */
export function joinEndpoint(endpoint: string, region: string): JoinEndpoint {
  const url = new URL(REGISTER_PATH, endpoint);
  return async (bearer, input) => {
    const body = JSON.stringify({ ...input, region });
    let status: number;
    let text: string | undefined;
    try {
      const res = await httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body });
      status = res.statusCode;
      text = (await readBody(res, MAX_ANSWER_BYTES))?.toString('utf8');
    } catch (err) {
      throw new JoinError(0, 'Unreachable', `cannot reach ${endpoint} (${(err as { code?: string }).code ?? (err as Error).message})`);
    }
    let out: Record<string, unknown> = {};
    try {
      out = JSON.parse(text ?? '') as Record<string, unknown>;
    } catch { /* below */ }
    if (status !== 200 || !out.containerInstance) throw new JoinError(status, out.__type as string | undefined, String(out.message ?? `${endpoint} answered HTTP ${status} to ${REGISTER_PATH}`));
    return out as Awaited<ReturnType<JoinEndpoint>>;
  };
}

/**
 * Joins the cluster as the ECS agent does: creates the cluster if it is missing, and
 * registers this host with its real CPU (cores × 1024) and memory (less a reserve).
 *
 * The first time, with the join token: the control plane answers with the new instance's
 * ARN and its own secret, both kept in the data dir (durably, 0600). From then on the
 * agent re-registers as the same instance with that secret; the join token is needed
 * again only if the secret stops working (the instance was deregistered, or the control
 * plane's state was wiped), and then the host joins as a new instance.
 */
export async function register(api: JsonClient, join: JoinEndpoint, config: AgentConfig, log: (line: string) => void = () => {}): Promise<Registration> {
  await api.call(`${ECS}.CreateCluster`, { clusterName: config.cluster });
  return registerAs(join, config, log, false);
}

/**
 * Offers this host's capacity to the region's Fargate pool (src/core/ecs/fargate.ts): a
 * second registration of the same host, as an instance of the pool's cluster in the
 * platform's account (the control plane makes it), with its own identity file and secret.
 * The same agent serves both instances, one session each.
 */
export async function registerInPool(join: JoinEndpoint, config: AgentConfig, log: (line: string) => void = () => {}): Promise<Registration> {
  const { capacityProvider: _none, ...rest } = config;
  return registerAs(join, { ...rest, cluster: FARGATE_POOL_CLUSTER }, log, true);
}

async function registerAs(join: JoinEndpoint, config: AgentConfig, log: (line: string) => void, pool: boolean): Promise<Registration> {
  const identity = loadIdentity(config, pool);
  const cpu = availableParallelism() * 1024;
  const memory = Math.max(0, Math.floor(totalmem() / 1024 / 1024) - config.reservedMemoryMiB);
  const attributes: Attribute[] = [
    { name: 'ecs.cpu-architecture', value: arch() === 'x64' ? 'x86_64' : arch() },
    ...config.capabilities.map((name) => ({ name })),
    ...(config.hostAttributes ?? []),
  ];
  const document = { availabilityZone: config.availabilityZone, instanceType: config.instanceType, architecture: arch() === 'x64' ? 'x86_64' : arch() };
  const input = (instanceId?: string) => ({
    cluster: config.cluster,
    instanceIdentityDocument: JSON.stringify(instanceId ? { instanceId, ...document } : document),
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: config.reservedPorts.map(String) },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    versionInfo: { agentVersion: VERSION, agentHash: 'berth', dockerVersion: 'OCI runtime' },
    attributes,
    // Beside ECS's request, as region is: the registration endpoint checks that the provider exists.
    ...(config.capacityProvider !== undefined && { capacityProviderName: config.capacityProvider }),
    // Beside ECS's request too: register in the Fargate pool.
    ...(pool && { fargate: true }),
  });

  const arn = identity.cluster === config.cluster ? identity.containerInstanceArn : undefined;
  if (arn) {
    // The same instance again: with its secret, or (an agent from before join tokens) with the token, once.
    const bearer = identity.instanceSecret ?? config.joinToken;
    try {
      if (bearer) {
        const out = await join(bearer, { ...input(identity.instanceId), containerInstanceArn: arn });
        return keep(config, identity, out.containerInstance, out.instanceSecret ?? identity.instanceSecret!, pool);
      }
    } catch (err) {
      // The instance or its secret is gone (deregistered, or the state was wiped): join afresh below.
      if (!(err instanceof JoinError) || !(err.status === 401 || err.status === 403 || err.code === 'InvalidParameterException')) throw err;
      if (!config.joinToken) throw new Error(`${err.message} (this host has no join token to do so: pass --token)`, { cause: err });
      log(`${arn} can no longer register (${err.message}); joining as a new instance`);
    }
  }
  if (!config.joinToken && arn && !identity.instanceSecret) {
    throw new Error(`this host registered as ${arn} before join tokens: pass --token once, and it gets its own secret`);
  }
  if (!config.joinToken) {
    throw new Error(`this host has not joined ${config.cluster} yet: pass --token with the control plane's join token ('berth token' on its host shows it)`);
  }
  const out = await join(config.joinToken, input());
  if (!out.instanceSecret) throw new Error(`the control plane registered ${out.containerInstance.containerInstanceArn} without issuing its secret`);
  return keep(config, { cluster: config.cluster }, out.containerInstance, out.instanceSecret, pool);
}

function keep(config: AgentConfig, identity: Identity, containerInstance: ContainerInstanceRecord, instanceSecret: string, pool: boolean): Registration {
  saveIdentity(config, pool, {
    cluster: config.cluster, instanceId: containerInstance.ec2InstanceId ?? identity.instanceId,
    containerInstanceArn: containerInstance.containerInstanceArn, instanceSecret,
  });
  return { containerInstance, instanceSecret };
}

/**
 * This host's id (fargate.ts HOST_ATTRIBUTE), set on both its registrations so the control
 * plane shares one capacity between them: made once, kept in the data dir (`host-id`), so it
 * outlives restarts and re-joins. Per data dir, not per machine: `berth up --hosts N` runs N
 * agents on one machine, each its own host.
 */
export function hostId(dataDir: string): string {
  const path = join(dataDir, 'host-id');
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim();
    if (/^[a-f0-9]{32}$/.test(id)) return id;
    throw new Error(`the agent's host id file ${path} is not 32 hex digits: remove it, and the agent makes a new one`);
  }
  const id = randomBytes(16).toString('hex');
  mkdirSync(dataDir, { recursive: true });
  replaceFileSync(path, `${id}\n`, { durable: true, mode: 0o600 });
  return id;
}

/** identity.json: the host's instance in its cluster; identity-fargate.json: its instance in the Fargate pool. */
function identityPath(config: AgentConfig, pool: boolean): string {
  return join(config.dataDir, pool ? 'identity-fargate.json' : 'identity.json');
}

function loadIdentity(config: AgentConfig, pool: boolean): Identity {
  const path = identityPath(config, pool);
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Identity;
    } catch (e) {
      throw new Error(`the agent's identity file ${path} is unreadable (${(e as Error).message}): remove it, and this host joins as a new container instance`, { cause: e });
    }
  }
  return { cluster: config.cluster };
}

function saveIdentity(config: AgentConfig, pool: boolean, identity: Identity): void {
  mkdirSync(config.dataDir, { recursive: true });
  // Durable: it outlives reboots, and a host that lost it would join as a new instance.
  // Private: the secret in it is this instance's whole identity.
  replaceFileSync(identityPath(config, pool), JSON.stringify(identity, null, 2), { durable: true, mode: 0o600 });
}
