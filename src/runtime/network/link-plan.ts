/**
 * The iproute2 side, as `ip -batch` lines: what to run on the host and inside each task
 * namespace. Measured (runtime-notes §5): two batches per task beat one `ip` per step by
 * 2-3x, since the cost is process start-up. Pure.
 */
import type { NetworkConfig, NetworkDef } from './config.ts';
import type { EndpointRecord, TaskRecord } from './state.ts';

/** The interface name of a task's end of its veth pair. */
export const TASK_IFNAME = 'eth0';
export const NETNS_DIR = '/run/netns';

export interface TaskLinkPlan {
  /** `netns add` lines: outside any `-n`, since `ip -n` works in a private mount namespace. */
  readonly netnsAdd: readonly string[];
  /** Lines for the host namespace. */
  readonly host: readonly string[];
  /** Lines to run with `ip -n <netns>`, one batch per namespace. */
  readonly inside: readonly { readonly netns: string; readonly lines: readonly string[] }[];
}

export interface TaskUnlinkPlan {
  /** `netns del` lines (run with -force, outside any `-n`: any may already be gone). */
  readonly netnsDel: readonly string[];
}

export function netnsPath(netns: string): string {
  return `${NETNS_DIR}/${netns}`;
}

function networkOf(config: NetworkConfig, e: EndpointRecord): NetworkDef | undefined {
  return e.network === 'bridge' ? config.bridge : e.network === 'vpc' ? config.vpc : undefined;
}

export function taskLinkPlan(config: NetworkConfig, record: TaskRecord): TaskLinkPlan {
  const netnsAdd: string[] = [];
  const host: string[] = [];
  const inside: { netns: string; lines: string[] }[] = [];
  for (const e of record.endpoints) {
    netnsAdd.push(`netns add ${e.netns}`);
    const lines = ['link set dev lo up'];
    const net = networkOf(config, e);
    if (net && e.hostVeth && e.ip && e.mac) {
      host.push(`link add ${e.hostVeth} type veth peer name ${TASK_IFNAME} address ${e.mac} netns ${e.netns}`);
      host.push(`link set dev ${e.hostVeth} master ${net.bridge} up`);
      // Hairpin lets a DNATed packet go back out the port it came in on: a task reaching its
      // own published port through the host's address (bridged by br_netfilter).
      if (net.kind === 'bridge') host.push(`link set dev ${e.hostVeth} type bridge_slave hairpin on`);
      lines.push(`addr add ${e.ip}/${net.subnet.prefix} dev ${TASK_IFNAME}`, `link set dev ${TASK_IFNAME} up`, `route add default via ${net.gateway} dev ${TASK_IFNAME}`);
    }
    inside.push({ netns: e.netns, lines });
  }
  return { netnsAdd, host, inside };
}

/**
 * Only the namespaces: the kernel then destroys their veths in its batched, asynchronous
 * namespace cleanup. Measured here: `link del` of the host end first made a teardown
 * 32-36 ms instead of 3-4 ms (unregistering a device waits for RCU grace periods). A veth
 * outlives this only when a process still holds the namespace; its name (derived from the
 * address) then blocks reuse of the address until setup removes it (see staleVeths).
 */
export function taskUnlinkPlan(record: TaskRecord): TaskUnlinkPlan {
  return { netnsDel: record.endpoints.map((e) => `netns del ${e.netns}`) };
}

/** Lines deleting the task's host veths (left over when a process held a namespace). */
export function staleVethLines(record: TaskRecord): string[] {
  return record.endpoints.flatMap((e) => (e.hostVeth ? [`link del dev ${e.hostVeth}`] : []));
}

/**
 * Lines making the bridge exist with its fixed MAC and gateway address, up. `create` is
 * false when it already exists. A fixed MAC stops the bridge from taking the lowest port
 * MAC, which would change as tasks come and go and confuse the tasks' ARP caches.
 */
export function bridgeLines(net: NetworkDef, create: boolean): string[] {
  return [
    ...(create ? [`link add ${net.bridge} type bridge`] : []),
    `link set dev ${net.bridge} address ${net.bridgeMac}`,
    `addr replace ${net.gateway}/${net.subnet.prefix} dev ${net.bridge}`,
    `link set dev ${net.bridge} up`,
  ];
}
