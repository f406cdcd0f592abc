/**
 * An EKS node's side of its cluster's services, in the agent: keeps the table its session
 * sends (whole, then deltas; a delta that does not follow the version held asks for the whole
 * table again), makes the node's nft service table match it (the network manager's
 * `services`), and answers the cluster's names on the node's own DNS server, to which the
 * cluster DNS address (port 53, UDP and TCP) is DNATed.
 *
 *   session ─ serviceTable ─▶ NodeServices.update ─┬─▶ virtualServices ─▶ ServiceVips.set (one nft transaction)
 *                                                  └─▶ dnsServices ─▶ zoneIndex ─▶ DNS server (vpc gateway:NODE_DNS_PORT)
 */
import { createHash } from 'node:crypto';
import { startDnsServer, type DnsServer } from '../dns/server.ts';
import { createUpstream, hostNameservers } from '../dns/upstream.ts';
import type { ZoneData } from '../dns/zone.ts';
import { zoneIndex } from '../dns/zone-index.ts';
import type { ServiceVips } from '../runtime/network/service-vips.ts';
import { dnsServices, virtualServices } from './node-plan.ts';
import { applyDelta, CLUSTER_DOMAIN, type ServiceTable, type TableUpdate } from './table.ts';

/**
 * Where the node's DNS server listens, on its awsvpc bridge's gateway address: not 53, which
 * a resolver of the host's own (dnsmasq on every address) may hold; outside the node port
 * (30000-32767) and dynamic host port (32768-61000) ranges. Pods ask the cluster DNS address
 * on port 53, DNATed here.
 */
export const NODE_DNS_PORT = 10053;
/** Namespaces every cluster has (their `<ns>.svc.<zone>` names exist even without a Service). */
const BUILT_IN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** The resolvers other names go to: the host's own (UDP/TCP port 53). */
const UPSTREAM_PORT = 53;

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface NodeServicesOptions {
  readonly vips: ServiceVips;
  /** The address the DNS server listens on (the awsvpc bridge's gateway) and its port. */
  readonly dnsHost: string;
  readonly dnsPort?: number;
  /** Asks the control plane for the whole table (a delta arrived out of turn). */
  readonly resync: () => void;
  readonly log: (line: string) => void;
}

export class NodeServices {
  readonly #o: NodeServicesOptions;
  #table: ServiceTable | null = null;
  #version = 0;
  #zone: { data: ZoneData; serial: number } = { data: zoneIndex(CLUSTER_DOMAIN, [], BUILT_IN_NAMESPACES), serial: 0 };
  #dns: Promise<DnsServer | undefined> | undefined;
  #closed = false;

  constructor(o: NodeServicesOptions) {
    this.#o = o;
  }

  /** The table held now (tests, diagnostics). */
  get table(): ServiceTable | null {
    return this.#table;
  }

  /** Where the node's DNS server answers, once it runs. */
  async dnsAddress(): Promise<{ host: string; port: number } | undefined> {
    const s = await this.#dns;
    return s && { host: s.host, port: s.port };
  }

  update(u: TableUpdate): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (u.kind === 'full') {
      this.#table = u.table;
      this.#version = u.version;
    } else {
      if (this.#table === null || u.from !== this.#version) {
        this.#o.resync();
        return Promise.resolve();
      }
      this.#table = { ...this.#table, entries: applyDelta(this.#table.entries, u) };
      this.#version = u.version;
    }
    const table = this.#table;
    this.#zone = { data: zoneIndex(table?.dns.domain ?? CLUSTER_DOMAIN, table ? dnsServices(table) : [], BUILT_IN_NAMESPACES), serial: this.#version };
    if (table && !this.#dns) this.#dns = this.#startDns();
    const port = this.#o.dnsPort ?? NODE_DNS_PORT;
    return this.#o.vips.set(
      table ? virtualServices(table, sha256Hex) : null,
      table ? { ip: table.dns.ip, to: `${this.#o.dnsHost}:${port}` } : undefined,
    ).catch((err: unknown) => this.#o.log(`service table: nft refused version ${this.#version}: ${err instanceof Error ? err.message : String(err)}`));
  }

  async #startDns(): Promise<DnsServer | undefined> {
    const port = this.#o.dnsPort ?? NODE_DNS_PORT;
    try {
      const upstream = createUpstream(hostNameservers([this.#o.dnsHost]).map((host) => ({ host, port: UPSTREAM_PORT })));
      const server = await startDnsServer({ host: this.#o.dnsHost, port, zone: () => this.#zone, upstream });
      this.#o.log(`cluster DNS: answering on ${this.#o.dnsHost}:${server.port}`);
      return server;
    } catch (err) {
      this.#o.log(`cluster DNS: cannot listen on ${this.#o.dnsHost}:${port}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** The agent stops: its services' table goes (connections through it end with it), and its DNS server. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#o.vips.drop().catch((err: unknown) => this.#o.log(`service table: removing it: ${String(err)}`));
    await (await this.#dns)?.close();
  }
}
