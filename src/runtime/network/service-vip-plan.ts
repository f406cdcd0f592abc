/**
 * Service virtual IPs (a Kubernetes ClusterIP or NodePort service) as nftables, one table per
 * host: a connection to a service's IP and port, or to a node port on any of the host's
 * addresses, is DNATed to one of its ready endpoints, chosen at random per connection. What
 * kube-proxy's nftables mode does, in Berth's own table so the two never share rules. Pure:
 * scripts for `nft -f -`.
 *
 *   prerouting / output (nat) ── cluster DNS address :53 ─▶ dnat to the node's resolver
 *                              ├─ daddr . proto . dport ─▶ vmap @services  ─▶ svc_<id>
 *                              └─ local daddr, proto . dport ─▶ vmap @node_ports ─▶ svc_<id>_np
 *   svc_<id>:    numgen random mod N ─▶ svc_<id>_<n>
 *   svc_<id>_<n>: (from itself: mark for masquerade) dnat to endpoint n
 *   forward / output (filter): daddr . proto . dport in @no_endpoints ─▶ refused at once (TCP reset, UDP ICMP)
 *   postrouting (nat): marked, or DNATed from @task_subnets into @task_subnets ─▶ masquerade
 *
 * A change to one service is one transaction touching only its map elements and chains, so
 * other services' connections never see a rebuilt table.
 */

export const SERVICE_TABLE = 'berth_svc';
/**
 * Marks a connection to masquerade: an endpoint reaching itself through its service (the
 * reply must come back through the DNAT), and node-port traffic (its endpoint may be on another
 * host, whose reply must return here). Bit 18: away from DNAT_MARK (bit 20), the host-mode
 * guard's marks (0x7fe00000) and kube-proxy's 0x4000/0x8000.
 */
export const MASQUERADE_MARK = 0x00040000;
/** After the dstnat of the main table's port maps, so a task's published port wins over nothing here (distinct addresses). */
const NAT_PRIORITY = -99;

export interface ServiceEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** One port of one service: what a connection to it is sent on to. */
export interface VirtualService {
  /** Stable and unique per service port, [a-z0-9]{1,16}: chain names carry it (serviceChainId). */
  readonly id: string;
  /** The cluster IP. */
  readonly ip: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** A NodePort service's port on every host address. */
  readonly nodePort?: number;
  /** Ready endpoints; none: connections are refused. */
  readonly endpoints: readonly ServiceEndpoint[];
}

/** What a host's table is made with, beside its services. */
export interface ServiceTableOptions {
  /** The table's name (`ip` family): SERVICE_TABLE, or one per agent of a shared namespace. */
  readonly table?: string;
  /**
   * The host's task subnets: a connection from one of them DNATed to an address in one of them
   * is masqueraded, so the endpoint's reply comes back through this host's conntrack even when
   * both sit on one bridge (without br_netfilter, a bridged reply would bypass the DNAT).
   */
  readonly taskSubnets?: readonly string[];
  /**
   * The cluster DNS address (the `kube-dns` Service's IP): port 53 (UDP and TCP) to it goes to
   * the node's own resolver at `to` (`ip:port`), from tasks and from the host alike.
   */
  readonly dns?: { readonly ip: string; readonly to: string };
}

/** The table with its fixed chains and no services: made once per host (replacing any left from before). */
export function serviceTableScript(o: ServiceTableOptions = {}): string {
  const t = `ip ${o.table ?? SERVICE_TABLE}`;
  const subnets = o.taskSubnets ?? [];
  const dns = o.dns ? [`    ip daddr ${o.dns.ip} meta l4proto { tcp, udp } th dport 53 dnat ip to ${o.dns.to}`] : [];
  return [
    `table ${t} {}`,
    `delete table ${t}`,
    `table ${t} {`,
    '  map services { type ipv4_addr . inet_proto . inet_service : verdict; }',
    '  map node_ports { type inet_proto . inet_service : verdict; }',
    '  set no_endpoints { type ipv4_addr . inet_proto . inet_service; }',
    `  set task_subnets { type ipv4_addr; flags interval;${subnets.length > 0 ? ` elements = { ${subnets.join(', ')} };` : ''} }`,
    `  chain prerouting { type nat hook prerouting priority ${NAT_PRIORITY}; policy accept;`,
    ...dns,
    '    ip daddr . meta l4proto . th dport vmap @services',
    '    fib daddr type local meta l4proto . th dport vmap @node_ports',
    '  }',
    `  chain output { type nat hook output priority ${NAT_PRIORITY}; policy accept;`,
    ...dns,
    '    ip daddr . meta l4proto . th dport vmap @services',
    '    fib daddr type local meta l4proto . th dport vmap @node_ports',
    '  }',
    '  chain postrouting { type nat hook postrouting priority srcnat; policy accept;',
    `    meta mark & ${hex(MASQUERADE_MARK)} == ${hex(MASQUERADE_MARK)} masquerade`,
    '    ct status dnat ip saddr @task_subnets ip daddr @task_subnets masquerade',
    '  }',
    // A service without endpoints refuses at once (as kube-proxy does), instead of a connect timeout.
    // TCP gets a reset: on this kernel an ICMP unreachable sent from the forward hook did not
    // end the client's connect (it timed out); a reset is ECONNREFUSED at once. UDP gets the ICMP.
    '  chain refuse { ip daddr . meta l4proto . th dport != @no_endpoints return',
    '    meta l4proto tcp reject with tcp reset',
    '    reject',
    '  }',
    '  chain refuse_forward { type filter hook forward priority filter - 1; policy accept; jump refuse; }',
    '  chain refuse_output { type filter hook output priority filter - 1; policy accept; jump refuse; }',
    '}',
    '',
  ].join('\n');
}

/** The table made afresh with every service in it, in one transaction (a node's whole table). */
export function fullServiceScript(o: ServiceTableOptions, services: readonly VirtualService[]): string {
  return serviceTableScript(o) + services.map((s) => serviceChangeScript(undefined, s, o.table)).join('');
}

/** The table's removal (host cleanup). */
export function dropServiceTableScript(table = SERVICE_TABLE): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}

/**
 * The transaction that takes one service port from `before` (undefined: new) to `after`
 * (undefined: removed). Removing references comes first, chains after, so one `nft -f`
 * applies it atomically.
 */
export function serviceChangeScript(before: VirtualService | undefined, after: VirtualService | undefined, table = SERVICE_TABLE): string {
  const lines: string[] = [];
  if (before) lines.push(...removeLines(before, table));
  if (after) lines.push(...addLines(after, table));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function removeLines(s: VirtualService, table: string): string[] {
  const t = `ip ${table}`;
  const key = elementKey(s);
  const lines: string[] = [];
  if (s.endpoints.length === 0) lines.push(`delete element ${t} no_endpoints { ${key} }`);
  else {
    lines.push(`delete element ${t} services { ${key} }`);
    if (s.nodePort !== undefined) lines.push(`delete element ${t} node_ports { ${s.protocol} . ${s.nodePort} }`);
    // Referrers before what they refer to: the node-port chain jumps to the service chain, which jumps to the endpoints'.
    if (s.nodePort !== undefined) lines.push(`delete chain ${t} ${chain(s)}_np`);
    lines.push(`delete chain ${t} ${chain(s)}`);
    s.endpoints.forEach((_, n) => lines.push(`delete chain ${t} ${chain(s)}_${n}`));
  }
  return lines;
}

function addLines(s: VirtualService, table: string): string[] {
  const t = `ip ${table}`;
  const key = elementKey(s);
  if (s.endpoints.length === 0) return [`add element ${t} no_endpoints { ${key} }`];
  const lines: string[] = [];
  s.endpoints.forEach((e, n) => {
    lines.push(`add chain ${t} ${chain(s)}_${n}`);
    // Hairpin: an endpoint reaching itself through the service must see the reply come back through the DNAT.
    lines.push(`add rule ${t} ${chain(s)}_${n} ip saddr ${e.ip} meta mark set meta mark | ${hex(MASQUERADE_MARK)}`);
    lines.push(`add rule ${t} ${chain(s)}_${n} ${s.protocol === 'tcp' ? 'meta l4proto tcp' : 'meta l4proto udp'} dnat to ${e.ip}:${e.port}`);
  });
  lines.push(`add chain ${t} ${chain(s)}`);
  lines.push(`add rule ${t} ${chain(s)} ${pick(s)}`);
  lines.push(`add element ${t} services { ${key} : goto ${chain(s)} }`);
  if (s.nodePort !== undefined) {
    lines.push(`add chain ${t} ${chain(s)}_np`);
    lines.push(`add rule ${t} ${chain(s)}_np meta mark set meta mark | ${hex(MASQUERADE_MARK)} goto ${chain(s)}`);
    lines.push(`add element ${t} node_ports { ${s.protocol} . ${s.nodePort} : goto ${chain(s)}_np }`);
  }
  return lines;
}

/** The endpoint choice: one endpoint, or a uniform random one per new connection (conntrack keeps the rest of it there). */
function pick(s: VirtualService): string {
  if (s.endpoints.length === 1) return `goto ${chain(s)}_0`;
  const arms = s.endpoints.map((_, n) => `${n} : goto ${chain(s)}_${n}`).join(', ');
  return `numgen random mod ${s.endpoints.length} vmap { ${arms} }`;
}

function elementKey(s: VirtualService): string {
  return `${s.ip} . ${s.protocol} . ${s.port}`;
}

function chain(s: VirtualService): string {
  if (!/^[a-z0-9]{1,16}$/.test(s.id)) throw new Error(`service id ${JSON.stringify(s.id)} is not 1-16 of [a-z0-9]`);
  return `svc_${s.id}`;
}

/**
 * A chain id for a service port: 16 base-36 characters of a hash of its identity, so the same
 * service port gets the same chains on every host and after a restart. `hash` is sha256 hex
 * (given, to keep this module pure).
 */
export function serviceChainId(sha256Hex: string): string {
  return BigInt(`0x${sha256Hex.slice(0, 20)}`).toString(36).padStart(16, '0').slice(-16);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
