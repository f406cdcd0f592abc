/**
 * What one node makes of its cluster's service table, pure: the virtual services its nft
 * table forwards (src/runtime/network/service-vip-plan.ts) and the services its DNS zone
 * answers (src/dns/zone.ts).
 *
 *   ServiceEntry ─┬─ a cluster IP, per TCP/UDP port ─▶ VirtualService (id from the port's identity)
 *                 │     (not the cluster DNS address: every node answers that itself)
 *                 └─ every entry ─▶ DnsService (headless: its endpoints; ExternalName: a CNAME)
 */
import type { DnsService } from '../dns/zone.ts';
import { serviceChainId, type VirtualService } from '../runtime/network/service-vip-plan.ts';
import type { ServiceEntry, ServiceTable } from './table.ts';

/** The identity of one service port, hashed into its chain names: the same on every node and after a restart. */
export const portIdentity = (e: ServiceEntry, protocol: string, port: number): string => `${e.namespace}/${e.name}:${protocol}/${port}`;

/**
 * The virtual services of a table: one per cluster IP port over TCP or UDP (nft's DNAT here
 * has no SCTP), IPv4 only. `sha256Hex` hashes a port's identity (given: this stays pure).
 */
export function virtualServices(table: ServiceTable, sha256Hex: (text: string) => string): VirtualService[] {
  const out: VirtualService[] = [];
  for (const e of table.entries) {
    const ip = e.clusterIPs.find((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a));
    if (ip === undefined || ip === table.dns.ip) continue;
    for (const p of e.ports) {
      if (p.protocol === 'SCTP') continue;
      const protocol = p.protocol === 'UDP' ? 'udp' : 'tcp';
      out.push({
        id: serviceChainId(sha256Hex(portIdentity(e, protocol, p.port))), ip, protocol, port: p.port,
        ...(p.nodePort !== undefined && { nodePort: p.nodePort }),
        endpoints: p.targets.map((t) => ({ ip: t.ip, port: t.port })),
      });
    }
  }
  return out;
}

/** The services of a table as the DNS zone reads them. */
export function dnsServices(table: ServiceTable): DnsService[] {
  return table.entries.map((e) => ({
    namespace: e.namespace, name: e.name, clusterIPs: e.clusterIPs,
    ...(e.externalName !== undefined && { externalName: e.externalName }),
    ports: e.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port })),
    endpoints: e.endpoints.map((x) => ({ ip: x.ip, ready: x.ready, ...(x.hostname !== undefined && { hostname: x.hostname }) })),
    ...(e.publishNotReadyAddresses === true && { publishNotReadyAddresses: true }),
  }));
}
