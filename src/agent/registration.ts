import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { replaceFileSync } from '../lib/replace-file.ts';
import { arch, availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import type { JsonClient } from '../api/aws/client.ts';
import type { Attribute, ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { VERSION } from '../version.ts';

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
}

/** What the agent keeps across restarts: who it is. */
interface Identity {
  instanceId: string;
  cluster: string;
  containerInstanceArn?: string;
}

/**
 * Joins the cluster as the ECS agent does: creates the cluster if it is missing,
 * registers this host with its real CPU (cores × 1024) and memory (less a reserve), and
 * keeps its container instance ARN in the data dir so a restarted agent re-registers
 * as the same instance.
 */
export async function register(api: JsonClient, config: AgentConfig): Promise<ContainerInstanceRecord> {
  const identity = loadIdentity(config);
  await api.call(`${ECS}.CreateCluster`, { clusterName: config.cluster });
  const cpu = availableParallelism() * 1024;
  const memory = Math.max(0, Math.floor(totalmem() / 1024 / 1024) - config.reservedMemoryMiB);
  const attributes: Attribute[] = [
    { name: 'ecs.cpu-architecture', value: arch() === 'x64' ? 'x86_64' : arch() },
    ...config.capabilities.map((name) => ({ name })),
  ];
  const doc = JSON.stringify({ instanceId: identity.instanceId, availabilityZone: config.availabilityZone, instanceType: config.instanceType, architecture: arch() === 'x64' ? 'x86_64' : arch() });
  const out = await api.call<{ containerInstance: ContainerInstanceRecord }>(`${ECS}.RegisterContainerInstance`, {
    cluster: config.cluster,
    instanceIdentityDocument: doc,
    totalResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: config.reservedPorts.map(String) },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    versionInfo: { agentVersion: VERSION, agentHash: 'berth', dockerVersion: 'OCI runtime' },
    attributes,
    ...(identity.containerInstanceArn && identity.cluster === config.cluster && { containerInstanceArn: identity.containerInstanceArn }),
  }).catch(async (err: { code?: string }) => {
    // The instance was deregistered meanwhile: register afresh.
    if (err.code !== 'InvalidParameterException' || !identity.containerInstanceArn) throw err;
    saveIdentity(config, { instanceId: identity.instanceId, cluster: config.cluster });
    return register(api, config).then((containerInstance) => ({ containerInstance }));
  });
  saveIdentity(config, { instanceId: identity.instanceId, cluster: config.cluster, containerInstanceArn: out.containerInstance.containerInstanceArn });
  return out.containerInstance;
}

function identityPath(config: AgentConfig): string {
  return join(config.dataDir, 'identity.json');
}

function loadIdentity(config: AgentConfig): Identity {
  const path = identityPath(config);
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Identity;
    } catch (e) {
      throw new Error(`the agent's identity file ${path} is unreadable (${(e as Error).message}): remove it, and this host joins as a new container instance`, { cause: e });
    }
  }
  return { instanceId: `i-${randomBytes(9).toString('hex').slice(0, 17)}`, cluster: config.cluster };
}

function saveIdentity(config: AgentConfig, identity: Identity): void {
  mkdirSync(config.dataDir, { recursive: true });
  // Durable: it outlives reboots, and a host that lost it would join as a new instance.
  replaceFileSync(identityPath(config), JSON.stringify(identity, null, 2), { durable: true });
}
