/**
 * The host-mode loopback guard, pure: a host-mode task shares the host's network
 * namespace, so no interface tells its packets apart; its cgroup v2 does. nftables'
 * `socket cgroupv2` names the sending socket's cgroup in `output` and, by a socket
 * lookup, the receiving socket's in `input`. A task's packets to loopback are marked with
 * the task's own mark on the way out; on `lo`, a new connection or datagram carrying a
 * mark is let in only when the socket it reaches is in the same task's cgroup.
 *
 * The packet mark is the only thing that survives from output to input on `lo` (the
 * loopback device drops the sending socket), hence a mark per task rather than one bit.
 */
import type { HostGuard, NetworkState, TaskRecord } from './state.ts';

/**
 * The mark bits the guard owns: bits 21-30, above the DNAT bit (0x00100000, bit 20) and
 * far from kube-proxy's 0x4000/0x8000. A task's mark is its index shifted into them.
 */
export const HOST_GUARD_MARK_MASK = 0x7fe00000;
const HOST_GUARD_MARK_SHIFT = 21;
/** How many host-mode tasks one host can guard at once: every value of the 10 mark bits but 0. */
export const MAX_HOST_GUARDED_TASKS = HOST_GUARD_MARK_MASK >>> HOST_GUARD_MARK_SHIFT;
/**
 * The depth of a task's cgroup (`/berth/<task>`): `socket cgroupv2 level N` takes a fixed
 * level, so every guarded task's cgroup is at this one.
 */
export const HOST_GUARD_CGROUP_LEVEL = 2;
/**
 * The one host loopback service a host-mode task may reach: name resolution. Host mode
 * gives a task the host's /etc/resolv.conf, whose server is often on loopback
 * (systemd-resolved's 127.0.0.53, a local dnsmasq); without it the task resolves no name.
 */
export const HOST_RESOLVER_PORT = 53;
/** A cgroup path nft can take in a quoted string and the agent can make: no quotes, no dot-dot. */
const CGROUP_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;


/** Checks an absolute cgroup path (`/berth/<task>`) and returns it relative, or a reason. */
export function guardCgroup(path: string): string | Error {
  const parts = path.split('/');
  if (parts[0] !== '' || parts.length !== HOST_GUARD_CGROUP_LEVEL + 1 || !parts.slice(1).every((p) => CGROUP_PART.test(p))) {
    return new Error(`cgroup '${path}' must be an absolute path of ${HOST_GUARD_CGROUP_LEVEL} plain names, like /berth/<task>`);
  }
  return parts.slice(1).join('/');
}

/** The lowest mark no task in `state` holds; undefined when all {@link MAX_HOST_GUARDED_TASKS} are taken. */
export function freeGuardMark(state: NetworkState): number | undefined {
  const used = new Set(Object.values(state.tasks).map((t) => t.hostGuard?.mark));
  for (let i = 1; i <= MAX_HOST_GUARDED_TASKS; i++) {
    const mark = (i << HOST_GUARD_MARK_SHIFT) >>> 0;
    if (!used.has(mark)) return mark;
  }
  return undefined;
}

/** Every guard in `state` whose cgroup `exists` (nft resolves the path when it loads, and fails on a missing one). */
export function liveGuards(state: NetworkState, exists: (cgroup: string) => boolean): HostGuard[] {
  return Object.values(state.tasks)
    .map((t: TaskRecord) => t.hostGuard)
    .filter((g): g is HostGuard => g !== undefined && exists(g.cgroup))
    .sort((a, b) => a.mark - b.mark);
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** The element lists of the two guard maps, for a table body or an `add element`. */
export function guardElements(guards: readonly HostGuard[]): { marks: string[]; pairs: string[]; cgroups: string[] } {
  return {
    marks: guards.map((g) => `"${g.cgroup}" : ${hex(g.mark)}`),
    pairs: guards.map((g) => `${hex(g.mark)} . "${g.cgroup}"`),
    cgroups: guards.map((g) => `"${g.cgroup}"`),
  };
}

/**
 * The guard's maps and chains, for the inet table's body.
 *
 * - `output`: a packet of a connection's original direction (not a reply to a connection
 *   someone else opened to the task) from a task's socket to loopback is given the task's
 *   mark; the map lookup misses, and nothing is set, for every other socket. The whole
 *   mark is set: a task's own SO_MARK cannot then pass for another's.
 * - `input` on `lo`: a marked packet of a new flow (TCP SYN, a first UDP datagram) passes
 *   only when the socket it reaches is in the same task's cgroup, or is for the host's
 *   resolver ({@link HOST_RESOLVER_PORT}); to another task, the host or no listener at all,
 *   it is dropped. Packets of flows already let in pass (the
 *   handshake's last ACK reaches a request socket, which has no cgroup to compare).
 */
export function guardTableBody(guards: readonly HostGuard[], loopback4: string, loopback6: string, endpointDnat?: string): string {
  const e = guardElements(guards);
  const els = (items: string[]): string => (items.length ? ` elements = { ${items.join(', ')} };` : '');
  const level = HOST_GUARD_CGROUP_LEVEL;
  return `  map host_task_marks { typeof socket cgroupv2 level ${level} : meta mark;${els(e.marks)} }
  set host_task_pairs { typeof meta mark . socket cgroupv2 level ${level};${els(e.pairs)} }
  set host_task_cgroups { typeof socket cgroupv2 level ${level};${els(e.cgroups)} }
  chain host_task_out {
    type filter hook output priority filter; policy accept;
    ct direction original ip daddr ${loopback4} meta mark set socket cgroupv2 level ${level} map @host_task_marks
    ct direction original ip6 daddr ${loopback6} meta mark set socket cgroupv2 level ${level} map @host_task_marks
  }
  chain host_task_in {
    type filter hook input priority filter; policy accept;
    iif lo meta mark & ${hex(HOST_GUARD_MARK_MASK)} != 0 jump from_host_task
  }
  chain from_host_task {
    ct state established,related accept
    meta mark . socket cgroupv2 level ${level} @host_task_pairs accept
    meta l4proto { tcp, udp } th dport ${HOST_RESOLVER_PORT} accept
    drop
  }
${endpointDnat === undefined ? '' : `  chain host_task_endpoint {
    type nat hook output priority -100; policy accept;
    socket cgroupv2 level ${level} @host_task_cgroups ${endpointDnat}
  }
`}`;
}

/**
 * Replaces the guard's elements with `guards`, in one transaction. Used for every change
 * (a task's start or stop): nft resolves a cgroup path only while the cgroup exists, and a
 * stopped task's is gone by its network teardown, so its elements could not be named for
 * a `delete`. Rewriting a few hundred elements at most costs less than the nft process.
 */
export function guardRewriteScript(table: string, guards: readonly HostGuard[]): string {
  const e = guardElements(guards);
  const lines = [`flush map inet ${table} host_task_marks`, `flush set inet ${table} host_task_pairs`, `flush set inet ${table} host_task_cgroups`];
  if (e.marks.length) lines.push(`add element inet ${table} host_task_marks { ${e.marks.join(', ')} }`);
  if (e.pairs.length) lines.push(`add element inet ${table} host_task_pairs { ${e.pairs.join(', ')} }`);
  if (e.cgroups.length) lines.push(`add element inet ${table} host_task_cgroups { ${e.cgroups.join(', ')} }`);
  return `${lines.join('\n')}\n`;
}
