/**
 * The /etc/hosts, /etc/resolv.conf and /etc/hostname a container sees: generated per
 * container (from ECS hostname, extraHosts, dnsServers, dnsSearchDomains and the host's
 * own resolv.conf) and bind-mounted over the image's, as Docker does.
 */

import { ContainerConfigError } from './errors.ts';

export interface EtcInput {
  readonly hostname: string;
  /** The container's own addresses (awsvpc/bridge); the hostname maps to them. */
  readonly addresses?: readonly string[] | undefined;
  /** ECS `extraHosts`. */
  readonly extraHosts?: readonly { hostname?: string; ipAddress?: string }[] | undefined;
  /** ECS `dnsServers`; when absent, the host's usable name servers. */
  readonly dnsServers?: readonly string[] | undefined;
  /** ECS `dnsSearchDomains`; when absent, the host's. */
  readonly dnsSearchDomains?: readonly string[] | undefined;
  /** resolv.conf options (`ndots:5`); when absent, the host's. */
  readonly dnsOptions?: readonly string[] | undefined;
  /** The host's /etc/resolv.conf text. */
  readonly hostResolvConf: string;
  /** True in `host` network mode: the host's loopback name servers are reachable then. */
  readonly hostNetwork: boolean;
}

export interface EtcFiles {
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
}

/**
 * Used when no name server is left (the host only lists loopback ones, which a separate
 * network namespace cannot reach): Docker's fallback, so names resolve where there is a route.
 */
export const FALLBACK_DNS_SERVERS: readonly string[] = ['8.8.8.8', '8.8.4.4'];

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const isIp = (s: string): boolean => IPV4_RE.test(s) || (/^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':'));
/** One resolv.conf option: a word, with `:value` (no spaces: they would split it). */
const RESOLV_OPTION_RE = /^[A-Za-z0-9_-]+(:[^\s]+)?$/;
const isLoopback = (s: string): boolean => s.startsWith('127.') || s === '::1';

export function checkHostname(name: string, field: string): string {
  if (name.length > 253 || !HOSTNAME_RE.test(name)) {
    throw new ContainerConfigError(`${field} ${JSON.stringify(name)} is not a valid host name: letters, digits and hyphens in dot-separated labels of at most 63 characters`);
  }
  return name;
}

export function etcFiles(input: EtcInput): EtcFiles {
  const hostname = checkHostname(input.hostname, 'hostname');
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const own = input.addresses ?? [];
  // Without an address of its own, the hostname still resolves (Debian's 127.0.1.1 convention).
  for (const a of own.length > 0 ? own : ['127.0.1.1']) lines.push(`${a}\t${hostname}`);
  for (const h of input.extraHosts ?? []) {
    const ip = h.ipAddress ?? '';
    if (!isIp(ip)) throw new ContainerConfigError(`extraHosts entry ${JSON.stringify(h)}: ipAddress must be an IPv4 or IPv6 address`);
    lines.push(`${ip}\t${checkHostname(h.hostname ?? '', 'extraHosts hostname')}`);
  }

  const host = parseResolvConf(input.hostResolvConf);
  let servers = input.dnsServers ?? host.nameservers.filter((s) => input.hostNetwork || !isLoopback(s));
  for (const s of servers) if (!isIp(s)) throw new ContainerConfigError(`dnsServers entry ${JSON.stringify(s)} is not an IP address`);
  if (servers.length === 0) servers = FALLBACK_DNS_SERVERS;
  const search = input.dnsSearchDomains ?? host.search;
  for (const d of search) checkHostname(d, 'dnsSearchDomains entry');
  const options = input.dnsOptions ?? host.options;
  for (const o of options) if (!RESOLV_OPTION_RE.test(o)) throw new ContainerConfigError(`dnsOptions entry ${JSON.stringify(o)} is not a resolver option (name or name:value)`);
  const resolv = [
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ];
  return { hosts: `${lines.join('\n')}\n`, resolvConf: `${resolv.join('\n')}\n`, hostname: `${hostname}\n` };
}

export function parseResolvConf(text: string): { nameservers: string[]; search: string[]; options: string[] } {
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const [key, ...values] = raw.replace(/[#;].*/, '').trim().split(/\s+/);
    if (key === 'nameserver' && values[0] !== undefined) out.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.search = values;
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}
