/**
 * The nftables side, as text for `nft -f -`. The rules are fixed per host; what a task
 * changes is only elements of named maps and sets, so a task start or stop is one small
 * transaction and never rebuilds a chain. Pure.
 */
import type { NetworkConfig } from './config.ts';
import { guardTableBody } from './host-guard.ts';
import type { HostGuard, NetworkState, TaskRecord } from './state.ts';

/**
 * Packet mark bit meaning "this connection was DNATed to a published port". The bridge
 * family cannot read conntrack on every kernel (NF_CONNTRACK_BRIDGE is often missing, as
 * on this host), so a prerouting chain copies `ct status dnat` into this bit for the bridge
 * chain. Tasks cannot forge it: the mark is cleared when a packet crosses a veth into
 * another namespace. One bit, away from kube-proxy's 0x4000/0x8000.
 */
export const DNAT_MARK = 0x00100000;
/** Runs after NAT prerouting (dstnat, -100) so `ct status dnat` is already known. */
const FLAG_PRIORITY = 'dstnat + 10';
/** The dstnat priority as a number: nft 1.0.6 accepts the name on prerouting only. */
const OUTPUT_NAT_PRIORITY = -100;
/**
 * The loopback guard runs after NAT prerouting too: a packet a port mapping DNATed already
 * carries its task's address, and the reply to a localhost-published connection already
 * has 127.0.0.1 back as its destination and `ct status dnat`, both of which must pass.
 */
const LOOPBACK_GUARD_PRIORITY = 'dstnat + 10';
/**
 * Loopback as seen from a task: 127.0.0.0/8, ::1, and IPv4-mapped loopback (a dual-stack
 * socket bound to [::] would take ::ffff:127.0.0.1 as 127.0.0.1).
 */
const LOOPBACK4 = '127.0.0.0/8';
const LOOPBACK6 = '{ ::1, ::ffff:127.0.0.0/104 }';

/** Where containers reach the agent's endpoint server (task metadata; AWS's address and port). */
export const TASK_ENDPOINT_ADDRESS = '169.254.170.2';
export const TASK_ENDPOINT_PORT = 80;

/**
 * The endpoint server's DNAT: 169.254.170.2:80 from a task of either bridge goes to the
 * agent's server on that bridge's gateway, so the server sees the task's own address as
 * the source (how it tells tasks apart) and no route_localnet is needed on the vpc bridge.
 * A gVisor sandbox's packets cross its veth like any awsvpc task's.
 */
export function endpointDnatRules(config: NetworkConfig): string[] {
  const rule = (net: NetworkConfig['bridge']) =>
    `iifname { "${net.bridge}", "${net.vethStem}*" } ip daddr ${TASK_ENDPOINT_ADDRESS} tcp dport ${TASK_ENDPOINT_PORT} dnat ip to ${net.gateway}:${config.metadataPort}`;
  return [rule(config.bridge), rule(config.vpc)];
}

/**
 * A host-mode task has no interface of its own: its 169.254.170.2:80 is DNATed in `output`,
 * for sockets of a guarded host-mode task's cgroup only (`host_task_cgroups`, host-guard.ts),
 * so the host's other processes, and other agents' tasks on the same machine, are untouched.
 * The agent then tells the task by its socket's owner (src/agent/metadata/owner.ts).
 */
export function hostEndpointDnat(config: NetworkConfig): string {
  return `ip daddr ${TASK_ENDPOINT_ADDRESS} tcp dport ${TASK_ENDPOINT_PORT} dnat ip to ${config.bridge.gateway}:${config.metadataPort}`;
}

/**
 * awsvpc tasks are reached on their published ports only (their port mappings' container
 * ports, as a security group made from the task definition admits them); other ports of
 * a task's address refuse connections from other tasks and other hosts. In the inet
 * forward hook by conntrack (routed packets, and bridged ones under br_netfilter); in the
 * bridge family, which cannot read conntrack here, statelessly: a TCP SYN to an
 * unpublished port is dropped (no connection can then be made), and a UDP datagram passes
 * only to a published port or from one (a reply). Tasks have IPv4 addresses only: TCP and
 * UDP over IPv6 (link-local) between them is dropped. The host's own processes reach every
 * port (its output does not cross the forward hook), as a shell on an ENI's VPC would.
 */
const VPC_PUBLISHED_SET = 'set vpc_published { type ipv4_addr . inet_proto . inet_service;';

interface Elements {
  tcp: string[];
  udp: string[];
  peerIps: string[];
  peerPorts: string[];
  /** awsvpc: `task IP . protocol . containerPort` of each port mapping, the ports others may open. */
  vpcPublished: string[];
}

const noElements = (): Elements => ({ tcp: [], udp: [], peerIps: [], peerPorts: [], vpcPublished: [] });

/** The map/set elements a task owns. */
export function taskElements(record: TaskRecord): Elements {
  const out = noElements();
  if (record.mode === 'awsvpc') {
    const ip = record.endpoints[0]?.ip;
    if (ip !== undefined) for (const p of record.ports) out.vpcPublished.push(`${ip} . ${p.protocol} . ${p.containerPort}`);
    return out;
  }
  if (record.mode !== 'bridge') return out;
  for (const p of record.ports) {
    if (p.targetIp !== undefined) out[p.protocol].push(`${p.hostPort} : ${p.targetIp} . ${p.containerPort}`);
  }
  // Containers of one task in separate namespaces (isolation 'container') may talk to each
  // other directly, as Docker links allow; every other pair of bridge tasks may not.
  const linked = record.endpoints.filter((e) => e.ip !== undefined && e.hostVeth !== undefined);
  for (const a of linked) {
    for (const b of linked) {
      if (a === b) continue;
      out.peerIps.push(`${a.ip} . ${b.ip}`);
      out.peerPorts.push(`"${a.hostVeth}" . "${b.hostVeth}"`);
    }
  }
  return out;
}

function elementStatements(table: string, e: Elements, verb: 'add' | 'delete'): string[] {
  const lines: string[] = [];
  const put = (family: string, set: string, items: string[]): void => {
    if (items.length) lines.push(`${verb} element ${family} ${table} ${set} { ${items.join(', ')} }`);
  };
  put('inet', 'tcp_ports', e.tcp);
  put('inet', 'udp_ports', e.udp);
  put('inet', 'peer_ips', e.peerIps);
  put('bridge', 'peer_ports', e.peerPorts);
  put('inet', 'vpc_published', e.vpcPublished);
  put('bridge', 'vpc_published', e.vpcPublished);
  return lines;
}

/** Adds the task's elements; undefined when it owns none (no nft call needed). */
export function taskAddScript(config: NetworkConfig, record: TaskRecord): string | undefined {
  const lines = elementStatements(config.nftTable, taskElements(record), 'add');
  return lines.length ? `${lines.join('\n')}\n` : undefined;
}

/**
 * Removes the task's elements whether or not they exist: nft 1.0.6 has no `destroy`, and a
 * `delete` of a missing element fails the whole transaction, so each element is first
 * added (a no-op when present with the same value) and then deleted.
 */
export function taskRemoveScript(config: NetworkConfig, record: TaskRecord): string | undefined {
  const e = taskElements(record);
  const lines = [...elementStatements(config.nftTable, e, 'add'), ...elementStatements(config.nftTable, e, 'delete')];
  return lines.length ? `${lines.join('\n')}\n` : undefined;
}

/**
 * Interfaces a task's packets arrive on: both bridges (routed packets, br_netfilter off)
 * and every task veth (bridged packets go through the IP hooks with the port as input
 * interface when br_netfilter is on). Host mode has none: its tasks use the host's stack.
 */
export function taskFacingInterfaces(config: NetworkConfig): string[] {
  return [config.bridge.bridge, config.vpc.bridge, `${config.bridge.vethStem}*`, `${config.vpc.vethStem}*`];
}

/**
 * The whole ruleset, replacing any previous copy of Berth's tables atomically, with the
 * elements of every task in `state` and the host-mode `guards` (those whose cgroup exists:
 * see liveGuards). Used at start-up and after a restart.
 *
 * `guard_loopback` closes the CVE-2020-8558 class: with `route_localnet=1` on the bridge
 * (for localhost port maps), a task with CAP_NET_RAW could send 127.0.0.1 packets to the
 * gateway's MAC and reach the host's loopback listeners. Loopback is neither a destination
 * nor a source for anything arriving from a task, unless a port mapping DNATed it (the
 * replies of localhost-published connections), as kube-proxy rules it. Host-mode tasks
 * have no interface of their own: their guard goes by cgroup (host-guard.ts).
 */
export function baseScript(config: NetworkConfig, state: NetworkState, guards: readonly HostGuard[]): string {
  const t = config.nftTable;
  const br = config.bridge;
  const vpc = config.vpc;
  const all = noElements();
  for (const r of Object.values(state.tasks)) {
    const e = taskElements(r);
    for (const k of Object.keys(all) as (keyof Elements)[]) all[k].push(...e[k]);
  }
  const els = (items: string[]): string => (items.length ? ` elements = { ${items.join(', ')} };` : '');
  const mark = `0x${DNAT_MARK.toString(16).padStart(8, '0')}`;
  const publish = [
    'fib daddr type local meta l4proto tcp dnat ip to tcp dport map @tcp_ports',
    'fib daddr type local meta l4proto udp dnat ip to udp dport map @udp_ports',
  ];
  return `add table inet ${t}
delete table inet ${t}
add table bridge ${t}
delete table bridge ${t}
table inet ${t} {
  map tcp_ports { type inet_service : ipv4_addr . inet_service;${els(all.tcp)} }
  map udp_ports { type inet_service : ipv4_addr . inet_service;${els(all.udp)} }
  set peer_ips { type ipv4_addr . ipv4_addr;${els(all.peerIps)} }
  set vpc_routed { type ipv4_addr; flags interval; elements = { ${vpc.routed.map((s) => s.cidr).join(', ')} }; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ${[...endpointDnatRules(config), ...publish].join('\n    ')}
  }
  chain output {
    type nat hook output priority ${OUTPUT_NAT_PRIORITY}; policy accept;
    ${publish.join('\n    ')}
  }
  chain guard_loopback {
    type filter hook prerouting priority ${LOOPBACK_GUARD_PRIORITY}; policy accept;
    iifname { ${taskFacingInterfaces(config).map((i) => `"${i}"`).join(', ')} } jump from_task
  }
  chain from_task {
    ct status dnat return
    ip daddr ${LOOPBACK4} drop
    ip saddr ${LOOPBACK4} drop
    ip6 daddr ${LOOPBACK6} drop
    ip6 saddr ${LOOPBACK6} drop
  }
${guardTableBody(guards, LOOPBACK4, LOOPBACK6, hostEndpointDnat(config))}  chain flag_dnat {
    type filter hook prerouting priority ${FLAG_PRIORITY}; policy accept;
    ct status dnat meta mark set meta mark | ${mark}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${br.bridge}" ip saddr 127.0.0.0/8 masquerade
    oifname "${br.bridge}" ip saddr ${br.subnet.cidr} ct status dnat masquerade
    ip saddr ${br.subnet.cidr} oifname != "${br.bridge}" masquerade
    ip saddr ${vpc.subnet.cidr} oifname != "${vpc.bridge}" ip daddr != @vpc_routed masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    oifname "${br.bridge}" jump into_bridge_tasks
    oifname "${vpc.bridge}" jump into_vpc_tasks
  }
  chain into_bridge_tasks {
    ct state established,related accept
    ct status dnat accept
    ip saddr . ip daddr @peer_ips accept
    drop
  }
  ${VPC_PUBLISHED_SET}${els(all.vpcPublished)} }
  chain into_vpc_tasks {
    ct state established,related accept
    meta l4proto { tcp, udp } ip daddr . meta l4proto . th dport != @vpc_published drop
    meta nfproto ipv6 meta l4proto { tcp, udp } drop
  }
}
table bridge ${t} {
  set peer_ports { type ifname . ifname;${els(all.peerPorts)} }
  ${VPC_PUBLISHED_SET}${els(all.vpcPublished)} }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${br.vethStem}*" oifname "${br.vethStem}*" jump between_bridge_tasks
    iifname "${vpc.vethStem}*" oifname "${vpc.vethStem}*" jump between_vpc_tasks
  }
  chain between_bridge_tasks {
    iifname . oifname @peer_ports accept
    meta mark & ${mark} == ${mark} accept
    drop
  }
  chain between_vpc_tasks {
    tcp flags & (syn | ack) == syn ip daddr . meta l4proto . th dport != @vpc_published drop
    meta l4proto udp ip daddr . meta l4proto . th dport != @vpc_published ip saddr . meta l4proto . th sport != @vpc_published drop
    meta protocol ip6 meta l4proto { tcp, udp } drop
  }
}
`;
}

/** Removes both of Berth's tables, present or not. */
export function dropTablesScript(config: NetworkConfig): string {
  const t = config.nftTable;
  return `add table inet ${t}\ndelete table inet ${t}\nadd table bridge ${t}\ndelete table bridge ${t}\n`;
}
