/**
 * Options of the network manager and their defaults (Options → NetworkConfig). Pure: the
 * subnet id hash is the only computation, done with node:crypto.
 */
import { createHash } from 'node:crypto';
import { InvalidAddressError, addressAt, macForIp, overlaps, parseSubnet, parseTaskSubnet, type Subnet } from './ipv4.ts';

/**
 * Default bridge-mode subnet. 172.30.240.0/20 sits outside the blocks other tools take
 * first: Docker's 172.17.0.0/16 and the /16s it hands out after it, AWS default VPCs
 * (172.31.0.0/16), podman (10.88.0.0/16), Kubernetes (10.96.0.0/12, 10.244.0.0/16) and home
 * LANs (192.168.0.0/16). A /20 holds 4093 tasks, well above one host's capacity.
 */
export const DEFAULT_BRIDGE_SUBNET = '172.30.240.0/20';
/** Default awsvpc subnet: the /20 just below the bridge one, for the same reasons. */
export const DEFAULT_VPC_SUBNET = '172.30.224.0/20';
export const DEFAULT_BRIDGE_NAME = 'berth0';
export const DEFAULT_VPC_BRIDGE_NAME = 'berth-vpc0';
/** nftables table name, used in both the `inet` and the `bridge` family. */
export const DEFAULT_NFT_TABLE = 'berth';
export const DEFAULT_NETNS_PREFIX = 'berth-';
/** Host-side veth names are `<prefix><b|v|n><hex offset>`, at most 15 bytes (IFNAMSIZ-1). */
export const DEFAULT_VETH_PREFIX = 'bth';
/**
 * Dynamic host ports: ECS takes them from the instance's ephemeral range, which is
 * 32768–60999 on Linux (net.ipv4.ip_local_port_range); Berth uses ECS's documented
 * 32768–61000.
 */
export const DYNAMIC_PORT_FIRST = 32768;
export const DYNAMIC_PORT_LAST = 61000;
/** Ports the ECS agent reserves on every container instance (ECS_RESERVED_PORTS default). */
export const ECS_RESERVED_PORTS: readonly number[] = [22, 2375, 2376, 51678, 51679];
/**
 * The port the agent's endpoint server (task metadata, scale-in protection; later task
 * credentials) listens on at each bridge's gateway; containers' 169.254.170.2:80 is DNATed
 * to it. 51679 is the ECS agent's own credentials port, which ECS_RESERVED_PORTS already
 * keeps from tasks' dynamic host ports.
 */
export const DEFAULT_METADATA_PORT = 51679;
/** Region used for private DNS names when none is given (AWS's default region). */
export const DEFAULT_REGION = 'us-east-1';
/** Second MAC octet of task interfaces: marks an address as Berth's (see macForIp). */
export const TASK_MAC_TAG = 0xb5;
/** Second MAC octet of Berth's bridges, so a bridge never takes a port's MAC. */
export const BRIDGE_MAC_TAG = 0xb4;
/** Linux interface names hold at most 15 bytes (IFNAMSIZ 16 with the NUL). */
const IFNAME_MAX = 15;

export interface NetworkManagerOptions {
  /** Directory for the allocation state file (created if missing). */
  stateDir: string;
  /** Bridge-mode network: one bridge per host, NATed. */
  bridge?: { name?: string; subnet?: string };
  /** awsvpc network: a second bridge whose subnet other hosts route to this host. */
  vpc?: {
    name?: string;
    subnet?: string;
    /** Reported as the ENI's subnetId; defaults to a stable id derived from the subnet. */
    subnetId?: string;
    /** Region for private DNS names (`ip-a-b-c-d.ec2.internal` in us-east-1). */
    region?: string;
    /** Destinations reached without masquerading (other hosts' task subnets); the vpc subnet is always one. */
    routedCidrs?: string[];
  };
  nftTable?: string;
  /** The endpoint server's port on the bridges' gateways (default {@link DEFAULT_METADATA_PORT}). */
  metadataPort?: number;
  netnsPrefix?: string;
  vethPrefix?: string;
  hostPorts?: { first?: number; last?: number; reserved?: number[] };
  /**
   * Run host-side commands in this network namespace instead of the caller's (tests use a
   * namespace that plays the host). Costs one more process per task.
   */
  hostNetns?: string;
  /** Set net.ipv4.ip_forward=1 when it is 0 (default true; bridge NAT and awsvpc routing need it). */
  manageIpForward?: boolean;
  /** Host ports already taken by listeners, as `tcp/8080`; default reads /proc/net. */
  portsInUse?: () => ReadonlySet<string>;
}

export interface NetworkDef {
  readonly kind: 'bridge' | 'vpc';
  readonly bridge: string;
  readonly subnet: Subnet;
  readonly gateway: string;
  readonly bridgeMac: string;
  /** Host veth names of this network start with this (and nothing else's do). */
  readonly vethStem: string;
}

export interface NetworkConfig {
  readonly stateDir: string;
  readonly bridge: NetworkDef;
  readonly vpc: NetworkDef & { readonly subnetId: string; readonly region: string; readonly routed: readonly Subnet[] };
  readonly nftTable: string;
  readonly metadataPort: number;
  /** Task namespaces are `/run/netns/<netnsPrefix><taskId>[.<n>]`. */
  readonly netnsPrefix: string;
  readonly hostPorts: { readonly first: number; readonly last: number; readonly reserved: ReadonlySet<number> };
  readonly hostNetns: string | undefined;
  readonly manageIpForward: boolean;
}

export class NetworkConfigError extends Error {
  override name = 'NetworkConfigError';
}

/** Fills defaults and checks the options; throws NetworkConfigError saying what to fix. */
export function resolveConfig(o: NetworkManagerOptions): NetworkConfig {
  const vethPrefix = o.vethPrefix ?? DEFAULT_VETH_PREFIX;
  if (!/^[a-z][a-z0-9]{0,5}$/.test(vethPrefix)) throw new NetworkConfigError(`vethPrefix '${vethPrefix}' must be 1-6 lowercase letters or digits, starting with a letter`);
  const bridge = network('bridge', o.bridge?.name ?? DEFAULT_BRIDGE_NAME, o.bridge?.subnet ?? DEFAULT_BRIDGE_SUBNET, `${vethPrefix}b`);
  const vpcNet = network('vpc', o.vpc?.name ?? DEFAULT_VPC_BRIDGE_NAME, o.vpc?.subnet ?? DEFAULT_VPC_SUBNET, `${vethPrefix}v`);
  if (bridge.bridge === vpcNet.bridge) throw new NetworkConfigError(`the bridge and vpc networks need different bridge names (both are '${bridge.bridge}')`);
  if (overlaps(bridge.subnet, vpcNet.subnet)) throw new NetworkConfigError(`the bridge subnet ${bridge.subnet.cidr} overlaps the vpc subnet ${vpcNet.subnet.cidr}: pick disjoint blocks`);
  const routed = [vpcNet.subnet, ...(o.vpc?.routedCidrs ?? []).map((c) => guard(() => parseSubnet(c), 'vpc.routedCidrs'))];
  const first = o.hostPorts?.first ?? DYNAMIC_PORT_FIRST;
  const last = o.hostPorts?.last ?? DYNAMIC_PORT_LAST;
  if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 1 && first <= last && last <= 65535)) {
    throw new NetworkConfigError(`hostPorts ${first}-${last} is not a port range (1 ≤ first ≤ last ≤ 65535)`);
  }
  const nftTable = o.nftTable ?? DEFAULT_NFT_TABLE;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(nftTable)) throw new NetworkConfigError(`nftTable '${nftTable}' must be a letter then letters, digits or _ (at most 32)`);
  const metadataPort = o.metadataPort ?? DEFAULT_METADATA_PORT;
  if (!Number.isInteger(metadataPort) || metadataPort < 1 || metadataPort > 65535) throw new NetworkConfigError(`metadataPort ${metadataPort} is not a port (1-65535)`);
  const netnsPrefix = o.netnsPrefix ?? DEFAULT_NETNS_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(netnsPrefix)) throw new NetworkConfigError(`netnsPrefix '${netnsPrefix}' may hold only letters, digits, '_', '.', '-'`);
  const subnetId = o.vpc?.subnetId ?? `subnet-${createHash('sha256').update(`berth:${vpcNet.subnet.cidr}`).digest('hex').slice(0, 17)}`;
  return {
    stateDir: o.stateDir,
    bridge,
    vpc: { ...vpcNet, subnetId, region: o.vpc?.region ?? DEFAULT_REGION, routed },
    nftTable,
    metadataPort,
    netnsPrefix,
    hostPorts: { first, last, reserved: new Set(o.hostPorts?.reserved ?? ECS_RESERVED_PORTS) },
    hostNetns: o.hostNetns,
    manageIpForward: o.manageIpForward ?? true,
  };
}

function network(kind: 'bridge' | 'vpc', name: string, cidr: string, vethStem: string): NetworkDef {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || Buffer.byteLength(name) > IFNAME_MAX) {
    throw new NetworkConfigError(`${kind} bridge name '${name}' must be 1-${IFNAME_MAX} letters, digits, '_', '.', '-'`);
  }
  const subnet = guard(() => parseTaskSubnet(cidr), `${kind}.subnet`);
  const gateway = addressAt(subnet, 1);
  return { kind, bridge: name, subnet, gateway, bridgeMac: macForIp(gateway, BRIDGE_MAC_TAG), vethStem };
}

function guard<T>(f: () => T, field: string): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof InvalidAddressError) throw new NetworkConfigError(`${field}: ${err.message}`);
    throw err;
  }
}
