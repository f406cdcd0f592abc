/**
 * What `berth up --hosts N` makes on the machine for its simulated hosts, and takes away:
 * the hosts bridge, one network namespace per host with a veth pair onto the bridge, and
 * the routes to each host's awsvpc subnet. Also the power switch: killing every process of
 * a host and removing what it had on tmpfs and in the kernel, as a lost machine loses it.
 *
 *   machine ── berth-hosts 172.30.208.1/24 ──┬── bhost-2 ═ eth0 172.30.208.2 [netns bhost-2]
 *   (host-1,   + control plane listens here)  ├── bhost-3 ═ eth0 172.30.208.3 [netns bhost-3]
 *    its own                                  └── …
 *    agent)    route 172.30.(8i+4).0/22 via 172.30.208.i    (host i's awsvpc subnet)
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { launch, launchChecked } from '../lib/launcher.ts';
import { removeCreateNamespace, removeReadOnlyBinaries } from '../runtime/container/index.ts';
import { join } from 'node:path';
import { HOSTS_NETWORK, MAX_HOSTS, type HostLayout } from './layout.ts';

const NETNS_DIR = '/run/netns';
/** Rounds of SIGKILL over a host's processes: a fork between the scan and the kill survives one. */
const KILL_ROUNDS = 20;
/** Pause between rounds, for the killed to exit. */
const KILL_WAIT_MS = 50;

/**
 * The machine's own nft table for the hosts network. It keeps the machine's address on
 * the hosts bridge, where the control plane answers the hosts, for the machine and its
 * hosts: Linux accepts a packet for any of its addresses on any interface, so without it
 * a neighbour routing 172.30.208.0/24 to this machine would reach the endpoint too.
 * Replies pass: the machine's own connections to a port host-1 publishes come from this
 * address, and their replies arrive on host-1's task bridge.
 */
export const HOSTS_NFT_TABLE = 'berth_hosts';

/** The hosts bridge with the machine's address on it, and the table that fences that address; idempotent. */
export async function ensureHostsBridge(): Promise<void> {
  const { bridge, prefix, length } = HOSTS_NETWORK;
  if (!linkExists(bridge)) await ip(['link', 'add', bridge, 'type', 'bridge']);
  await ip(['addr', 'replace', `${prefix}.1/${length}`, 'dev', bridge]);
  await ip(['link', 'set', bridge, 'up']);
  // Replaced whole: `add` then `delete` then the table, in one transaction.
  await launchChecked('nft', ['-f', '-'], { input: `add table inet ${HOSTS_NFT_TABLE}
delete table inet ${HOSTS_NFT_TABLE}
table inet ${HOSTS_NFT_TABLE} {
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr ${prefix}.1 iifname != { "${bridge}", "lo" } ct state != { established, related } drop
  }
}
` });
}

/** Deletes the hosts bridge (its addresses and the routes through it go with it) and its table. */
export async function removeHostsBridge(): Promise<void> {
  if (linkExists(HOSTS_NETWORK.bridge)) await ip(['link', 'del', HOSTS_NETWORK.bridge]);
  await launch('nft', ['delete', 'table', 'inet', HOSTS_NFT_TABLE]);
}

/**
 * Powers off the simulated hosts a previous `berth up` with more hosts left (it was killed
 * before it could stop them): those from `first` on whose namespace still exists.
 */
export async function powerOffFrom(first: number, layoutOf: (index: number) => HostLayout): Promise<string[]> {
  const off: string[] = [];
  for (let i = Math.max(first, 2); i <= MAX_HOSTS; i++) {
    const h = layoutOf(i);
    if (!existsSync(join(NETNS_DIR, h.netns!))) continue;
    await powerOff(h);
    off.push(h.name);
  }
  return off;
}

/**
 * Host `h`'s namespace, plugged into the hosts bridge with its address and a default route
 * to the machine, and routes to every other host's awsvpc subnet (`others`, host 1 too).
 * Idempotent: an existing namespace is kept (its containers with it), and its link
 * re-made only if missing.
 */
export async function ensureHostNamespace(h: HostLayout, others: readonly HostLayout[]): Promise<void> {
  const ns = h.netns!;
  const link = h.machineLink!;
  if (!existsSync(join(NETNS_DIR, ns))) await ip(['netns', 'add', ns]);
  if (!linkExists(link)) {
    await ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ip(['link', 'set', link, 'master', HOSTS_NETWORK.bridge, 'up']);
  }
  await ip(['-n', ns, 'addr', 'replace', `${h.address}/${HOSTS_NETWORK.length}`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'route', 'replace', 'default', 'via', `${HOSTS_NETWORK.prefix}.1`]);
  // The machine and the other hosts reach this host's awsvpc tasks by their addresses, as
  // hosts of one VPC do (src/runtime/network/README.md, "Two bridges").
  await ip(['route', 'replace', h.network.vpcSubnet, 'via', h.address]);
  for (const o of others) {
    if (o.index !== h.index) await ip(['-n', ns, 'route', 'replace', o.network.vpcSubnet, 'via', o.address]);
  }
}

/**
 * Powers host `h` off: SIGKILL to every process in its namespace or one of its tasks'
 * (its agent, the container monitors, the containers), then its task namespaces, its
 * namespace (the veth pair, its bridges and nft tables go with it), the mounts under its
 * run dir and the run dir itself: what a machine loses when it goes down. Its data dir
 * (the disk) stays. Returns how many processes it killed.
 */
export async function powerOff(h: HostLayout): Promise<number> {
  const taskNs = existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR).filter((n) => n.startsWith(h.network.netnsPrefix)) : [];
  const nsFiles = [h.netns!, ...taskNs].map((n) => join(NETNS_DIR, n)).filter((f) => existsSync(f));
  const killed = await killIn(new Set(nsFiles.map((f) => `net:[${statSync(f).ino}]`)));
  for (const n of taskNs) await launch('ip', ['netns', 'del', n]);
  if (existsSync(join(NETNS_DIR, h.netns!))) await ip(['netns', 'del', h.netns!]);
  if (linkExists(h.machineLink!)) await launch('ip', ['link', 'del', h.machineLink!]);
  await launch('ip', ['route', 'del', h.network.vpcSubnet]);
  await removeCreateNamespace(h.runDir);
  await removeReadOnlyBinaries(join(h.runDir, 'bin'));
  rmSync(h.runDir, { recursive: true, force: true });
  return killed;
}

/** Pids of processes whose network namespace is one of `namespaces` (`net:[inode]`). */
export function processesIn(namespaces: ReadonlySet<string>): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (namespaces.has(readlinkSync(`/proc/${name}/ns/net`))) out.push(Number(name));
    } catch { /* gone, or a kernel thread */ }
  }
  return out;
}

async function killIn(namespaces: ReadonlySet<string>): Promise<number> {
  const killed = new Set<number>();
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const pids = processesIn(namespaces).filter((p) => p !== process.pid && !isZombie(p));
    if (pids.length === 0) break;
    for (const p of pids) {
      try { process.kill(p, 'SIGKILL'); killed.add(p); } catch { /* already gone */ }
    }
    await new Promise((r) => setTimeout(r, KILL_WAIT_MS));
  }
  return killed.size;
}

/** True when `pid` has exited (or is exiting) but was not reaped yet, or is gone. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

async function ip(args: string[]): Promise<void> {
  await launchChecked('ip', args);
}
