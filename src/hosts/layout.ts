/**
 * Where each simulated host of `berth up --hosts N` lives: its name, network namespace,
 * address, zone, directories, and the network names its agent uses. Pure: everything is
 * derived from the host's index, so `berth up`, `berth host` and `berth agent --host-index`
 * agree without sharing state, and a restart finds the same names again.
 *
 * Host 1 is the machine itself (the in-process agent of `berth up`, as with one host);
 * hosts 2..N are namespaces on the "hosts bridge", a bridge on the machine whose address
 * is the machine's own on that network.
 */
import { join } from 'node:path';
import {
  DEFAULT_BRIDGE_NAME, DEFAULT_BRIDGE_SUBNET, DEFAULT_NETNS_PREFIX, DEFAULT_NFT_TABLE, DEFAULT_VETH_PREFIX, DEFAULT_VPC_BRIDGE_NAME, DEFAULT_VPC_SUBNET,
} from '../runtime/network/config.ts';
import { addressAt, parseSubnet } from '../runtime/network/ipv4.ts';

/**
 * Most hosts one `berth up` simulates. Each takes two /22s of 172.30.0.0/16 below the
 * hosts network (16 × 8 = 128 < 208) and a process, an image store and a run dir; 16 is
 * enough to spread tasks over three zones and lose some.
 */
export const MAX_HOSTS = 16;
/** The network between the machine and its simulated hosts: machine .1, host i at .i. */
export const HOSTS_NETWORK = { bridge: 'berth-hosts', prefix: '172.30.208', length: 24 } as const;
/** Where simulated hosts keep their runtime state (tmpfs, gone at reboot, as /run/berth). */
export const HOSTS_RUN_ROOT = '/run/berth-hosts';
/** The agent's runtime directory on the machine itself (host 1, and `berth agent` by default: agent.ts DEFAULT_RUN_DIR). */
export const MACHINE_RUN_DIR = '/run/berth';
/** Availability zones go round these suffixes, as a region's first three zones. */
const ZONE_SUFFIXES = ['a', 'b', 'c'] as const;
/** The `ecs.instance-type` of a host nobody named a type for (`berth agent --instance-type`'s default). */
export const DEFAULT_INSTANCE_TYPE = 'berth.host';
/** Instance types are EC2's shape, `family.size` in lower case: `t3.small`, `berth.host`. */
const INSTANCE_TYPE = /^[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/;

export interface HostLayout {
  /** 1-based. */
  readonly index: number;
  /** `host-<index>`: what `berth host` and log lines call it. */
  readonly name: string;
  /** Its network namespace under /run/netns (undefined for host 1, the machine's own). */
  readonly netns: string | undefined;
  /** The machine-side end of its veth pair, on the hosts bridge. */
  readonly machineLink: string | undefined;
  /** The address the machine reaches it at (port mappings, awsvpc routes). */
  readonly address: string;
  readonly availabilityZone: string;
  /** Its `ecs.instance-type` attribute (memberOf(attribute:ecs.instance-type == t3.large) picks it). */
  readonly instanceType: string;
  /** The agent's data dir (state, images, logs): under `berth up`'s data dir. */
  readonly dataDir: string;
  /** The agent's runtime dir (crun state, rootfs mounts). */
  readonly runDir: string;
  readonly network: HostNetworkNames;
}

/** The names the agent's network manager uses; never the same for two hosts. */
export interface HostNetworkNames {
  readonly bridge: string;
  readonly bridgeSubnet: string;
  readonly vpcBridge: string;
  readonly vpcSubnet: string;
  readonly nftTable: string;
  /** Prefix of its tasks' namespaces in the machine-wide /run/netns. */
  readonly netnsPrefix: string;
  readonly vethPrefix: string;
}

export class HostLayoutError extends Error {
  override name = 'HostLayoutError';
}

/** Network names for host `index`: 1 keeps the defaults (today's single host). */
export function hostNetworkNames(index: number): HostNetworkNames {
  checkIndex(index);
  if (index === 1) {
    return {
      bridge: DEFAULT_BRIDGE_NAME, bridgeSubnet: DEFAULT_BRIDGE_SUBNET, vpcBridge: DEFAULT_VPC_BRIDGE_NAME, vpcSubnet: DEFAULT_VPC_SUBNET,
      nftTable: DEFAULT_NFT_TABLE, netnsPrefix: DEFAULT_NETNS_PREFIX, vethPrefix: DEFAULT_VETH_PREFIX,
    };
  }
  // Prefixes must not start with the machine's `berth-`: its agent sweeps /run/netns/berth-*
  // namespaces it does not own.
  return {
    bridge: `berth-h${index}`, bridgeSubnet: `172.30.${8 * index}.0/22`,
    vpcBridge: `berth-vpc-h${index}`, vpcSubnet: `172.30.${8 * index + 4}.0/22`,
    nftTable: `berth_h${index}`, netnsPrefix: `bh${index}-`, vethPrefix: `bh${index}`,
  };
}

/**
 * The gateway of host `index`'s awsvpc bridge: the host's own address as its pods see it.
 * Host 1's is where pods of every host reach the control plane's Kubernetes API servers (the
 * `kubernetes` Service's endpoint): the others route host 1's awsvpc subnet to the machine.
 */
export function podGateway(index: number): string {
  return addressAt(parseSubnet(hostNetworkNames(index).vpcSubnet), 1);
}

/**
 * The layout of host `index` of a `berth up` with data dir `dataDir` in `region`; hosts take
 * `instanceTypes` in turn, as they take zones.
 */
export function hostLayout(index: number, dataDir: string, region: string, instanceTypes: readonly string[] = [DEFAULT_INSTANCE_TYPE]): HostLayout {
  const network = hostNetworkNames(index);
  const name = `host-${index}`;
  const availabilityZone = `${region}${ZONE_SUFFIXES[(index - 1) % ZONE_SUFFIXES.length]}`;
  const instanceType = instanceTypes[(index - 1) % instanceTypes.length] ?? DEFAULT_INSTANCE_TYPE;
  if (index === 1) {
    return { index, name, netns: undefined, machineLink: undefined, address: `${HOSTS_NETWORK.prefix}.1`, availabilityZone, instanceType, dataDir: join(dataDir, 'agent'), runDir: MACHINE_RUN_DIR, network };
  }
  return {
    index, name, netns: `bhost-${index}`, machineLink: `bhost-${index}`, address: `${HOSTS_NETWORK.prefix}.${index}`, availabilityZone, instanceType,
    dataDir: join(dataDir, 'hosts', name), runDir: join(HOSTS_RUN_ROOT, name), network,
  };
}

/** `--instance-types t3.small,t3.large` → the list; throws saying what a type looks like. */
export function parseInstanceTypes(list: string): string[] {
  const types = list.split(',').map((t) => t.trim());
  const bad = types.find((t) => !INSTANCE_TYPE.test(t));
  if (bad !== undefined) throw new HostLayoutError(`'${bad}' is not an instance type: give them comma-separated, each like t3.small or m5.large`);
  return types;
}

/** `host-3` or `3` → 3; throws saying what names there are. */
export function parseHostName(name: string, hosts: number): number {
  const m = /^(?:host-)?(\d+)$/.exec(name);
  const index = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(index) || index < 1 || index > hosts) {
    throw new HostLayoutError(`there is no host '${name}': the hosts are ${hosts === 1 ? 'host-1' : `host-1 to host-${hosts}`} ('berth host ls' lists them)`);
  }
  return index;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_HOSTS) throw new HostLayoutError(`a host index is a whole number from 1 to ${MAX_HOSTS}, not ${index}`);
}
