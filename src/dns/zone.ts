/**
 * The cluster's DNS zone as the Kubernetes DNS-based service discovery specification (schema
 * 1.1.0) defines it, answered from what the cluster holds: services, their endpoints, pods.
 * Pure: a name and a type in, records out. The names (zone `cluster.local`):
 *
 *   <svc>.<ns>.svc.<zone>                 A/AAAA: the cluster IP, or each ready endpoint (headless);
 *                                         CNAME: an ExternalName service's name
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV: each named port (headless: one per ready endpoint)
 *   <host>.<svc>.<ns>.svc.<zone>          A/AAAA: a headless service's endpoint, by its hostname
 *                                         (or its address with dashes when it has none)
 *   <a-b-c-d>.<ns>.pod.<zone>             A: any address in that form (CoreDNS's "pods insecure",
 *                                         which EKS's CoreDNS runs)
 *   <d>.<c>.<b>.<a>.in-addr.arpa          PTR: a cluster IP or a named endpoint, back to its name
 *   dns-version.<zone>                    TXT: the schema version
 *
 * A name under the zone that names nothing is NXDOMAIN; a name that exists without records of
 * the asked type is NODATA (NOERROR, no answers); both carry the zone's SOA, so resolvers cache
 * the negative answer for its minimum TTL.
 */

export interface ServicePort {
  /** Empty for a service's single unnamed port: it has no SRV record. */
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
}

export interface Endpoint {
  /** IPv4 or IPv6. */
  readonly ip: string;
  /** The pod's `hostname` when the endpoint has one (a StatefulSet's pods do). */
  readonly hostname?: string;
  /** Only ready endpoints are published (publishNotReadyAddresses aside). */
  readonly ready: boolean;
}

export interface DnsService {
  readonly namespace: string;
  readonly name: string;
  /** A ClusterIP or NodePort service has cluster IPs; a headless one none; an ExternalName one an externalName. */
  readonly clusterIPs: readonly string[];
  readonly externalName?: string;
  readonly ports: readonly ServicePort[];
  readonly endpoints: readonly Endpoint[];
  /** `spec.publishNotReadyAddresses`: not-ready endpoints are published too. */
  readonly publishNotReadyAddresses?: boolean;
}

/** What the zone answers from: the cluster's services (and whether a namespace exists). */
export interface ZoneData {
  /** The cluster domain, without a trailing dot: `cluster.local`. */
  readonly domain: string;
  service(namespace: string, name: string): DnsService | undefined;
  /** The service whose cluster IP this is, for PTR. */
  serviceByClusterIP(ip: string): DnsService | undefined;
  /** The headless service endpoint (with a hostname) holding this IP, for PTR. */
  endpointByIP(ip: string): { service: DnsService; endpoint: Endpoint } | undefined;
  hasNamespace(namespace: string): boolean;
}

export type RecordData =
  | { readonly type: 'A' | 'AAAA'; readonly data: string }
  | { readonly type: 'CNAME' | 'PTR'; readonly data: string }
  | { readonly type: 'TXT'; readonly data: string }
  | { readonly type: 'SRV'; readonly data: { readonly priority: number; readonly weight: number; readonly port: number; readonly target: string } }
  | { readonly type: 'SOA'; readonly data: SoaData };

export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export type ZoneRecord = RecordData & { readonly name: string; readonly ttl: number };

export type SoaRecord = ZoneRecord & { readonly type: 'SOA' };

export type ZoneAnswer =
  /** Not a name of this zone: ask upstream. */
  | { readonly kind: 'outside' }
  | { readonly kind: 'found'; readonly answers: readonly ZoneRecord[] }
  | { readonly kind: 'nodata'; readonly soa: SoaRecord }
  | { readonly kind: 'nxdomain'; readonly soa: SoaRecord };

/** The record TTL, in seconds: CoreDNS's kubernetes plugin default, so endpoint changes show within seconds. */
export const RECORD_TTL = 5;
/** The specification version served at dns-version.<zone>. */
export const SCHEMA_VERSION = '1.1.0';
/** The SOA's timers (seconds): refresh, retry, expire as CoreDNS sets them; minimum = how long a negative answer is cached. */
const SOA_TIMERS = { refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL } as const;

export type QueryType = 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'SRV' | 'TXT' | 'SOA' | 'NS' | 'ANY' | string;

/**
 * Answers `name` (any case, with or without the trailing dot) of type `type` from `zone`.
 * `serial` is the SOA serial (the data's version: it changes when the records do).
 */
export function answer(zone: ZoneData, name: string, type: QueryType, serial: number): ZoneAnswer {
  const fqdn = name.replace(/\.$/, '').toLowerCase();
  const domain = zone.domain.toLowerCase();
  if (fqdn.endsWith('.in-addr.arpa') || fqdn.endsWith('.ip6.arpa')) return reverse(zone, fqdn, type, serial);
  if (fqdn !== domain && !fqdn.endsWith(`.${domain}`)) return { kind: 'outside' };
  const soa = soaOf(domain, serial);
  const labels = fqdn === domain ? [] : fqdn.slice(0, -domain.length - 1).split('.');
  const found = (records: ZoneRecord[]): ZoneAnswer => {
    const matching = type === 'ANY' ? records : records.filter((r) => r.type === type || r.type === 'CNAME');
    return matching.length > 0 ? { kind: 'found', answers: matching } : { kind: 'nodata', soa };
  };
  const nx: ZoneAnswer = { kind: 'nxdomain', soa };

  // The zone apex and the names between it and a record exist (empty non-terminals): NODATA.
  if (labels.length === 0) return type === 'SOA' || type === 'ANY' ? { kind: 'found', answers: [soa] } : { kind: 'nodata', soa };
  if (labels.length === 1) {
    if (labels[0] === 'dns-version') return found([{ name: fqdn, ttl: RECORD_TTL, type: 'TXT', data: SCHEMA_VERSION }]);
    return labels[0] === 'svc' || labels[0] === 'pod' ? { kind: 'nodata', soa } : nx;
  }
  const kindLabel = labels[labels.length - 1];
  const namespace = labels[labels.length - 2]!;
  const rest = labels.slice(0, -2);
  if (kindLabel === 'pod') return podName(zone, fqdn, namespace, rest, found, nx, soa);
  if (kindLabel !== 'svc') return nx;
  if (rest.length === 0) return zone.hasNamespace(namespace) ? { kind: 'nodata', soa } : nx;

  const service = zone.service(namespace, rest[rest.length - 1]!);
  if (!service) return nx;
  const serviceName = `${service.name}.${service.namespace}.svc.${domain}`;
  const published = service.endpoints.filter((e) => e.ready || service.publishNotReadyAddresses);
  const headless = service.clusterIPs.length === 0 && service.externalName === undefined;

  if (rest.length === 1) {
    if (service.externalName !== undefined) {
      return found([{ name: fqdn, ttl: RECORD_TTL, type: 'CNAME', data: service.externalName.replace(/\.$/, '') }]);
    }
    if (type === 'SRV') return found(serviceSrv(service, serviceName, published, headless, domain, fqdn));
    const ips = headless ? published.map((e) => e.ip) : service.clusterIPs;
    return found(addressRecords(fqdn, ips));
  }
  if (rest.length === 2) {
    // A headless service's endpoint by hostname: <host>.<svc>.<ns>.svc.<zone>.
    const host = rest[0]!;
    if (headless) {
      const ips = published.filter((e) => endpointLabel(e) === host).map((e) => e.ip);
      if (ips.length > 0) return found(addressRecords(fqdn, ips));
    }
    // _<proto>.<svc>.…: an empty non-terminal when some port uses that protocol.
    if (host.startsWith('_') && service.ports.some((p) => p.name !== '' && `_${p.protocol.toLowerCase()}` === host)) return { kind: 'nodata', soa };
    return nx;
  }
  if (rest.length === 3 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
    // _<port>._<proto>.<svc>.<ns>.svc.<zone>
    const port = service.ports.find((p) => p.name !== '' && `_${p.name.toLowerCase()}` === rest[0] && `_${p.protocol.toLowerCase()}` === rest[1]);
    if (!port) return nx;
    const srv = serviceSrv({ ...service, ports: [port] }, serviceName, published, headless, domain, fqdn);
    return found(srv);
  }
  return nx;
}

function serviceSrv(service: DnsService, serviceName: string, published: readonly Endpoint[], headless: boolean, domain: string, owner: string): ZoneRecord[] {
  const named = service.ports.filter((p) => p.name !== '');
  if (!headless) return named.map((p) => srv(owner, p.port, serviceName));
  // Headless: one SRV per ready endpoint and port, each target the endpoint's own name.
  const weight = published.length > 0 ? Math.floor(100 / published.length) : 0;
  return named.flatMap((p) => published.map((e) => srv(owner, p.port, `${endpointLabel(e)}.${service.name}.${service.namespace}.svc.${domain}`, weight)));
}

function srv(owner: string, port: number, target: string, weight = 100): ZoneRecord {
  return { name: owner, ttl: RECORD_TTL, type: 'SRV', data: { priority: 0, weight, port, target } };
}

/** An endpoint's label under its headless service: its hostname, else its address with dashes. */
function endpointLabel(e: Endpoint): string {
  return (e.hostname ?? e.ip.replaceAll(/[.:]/g, '-')).toLowerCase();
}

function addressRecords(owner: string, ips: readonly string[]): ZoneRecord[] {
  return ips.map((ip) => ({ name: owner, ttl: RECORD_TTL, type: ip.includes(':') ? 'AAAA' as const : 'A' as const, data: ip }));
}

function podName(zone: ZoneData, fqdn: string, namespace: string, rest: readonly string[], found: (r: ZoneRecord[]) => ZoneAnswer, nx: ZoneAnswer, soa: SoaRecord): ZoneAnswer {
  if (rest.length === 0) return zone.hasNamespace(namespace) ? { kind: 'nodata', soa } : nx;
  if (rest.length !== 1) return nx;
  const v4 = rest[0]!.split('-');
  if (v4.length === 4 && v4.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return found(addressRecords(fqdn, [v4.join('.')]));
  return nx;
}

function reverse(zone: ZoneData, fqdn: string, type: QueryType, serial: number): ZoneAnswer {
  const ip = reverseToIp(fqdn);
  if (ip === undefined) return { kind: 'outside' };
  const domain = zone.domain.toLowerCase();
  const service = zone.serviceByClusterIP(ip);
  const endpoint = service ? undefined : zone.endpointByIP(ip);
  const target = service
    ? `${service.name}.${service.namespace}.svc.${domain}`
    : endpoint && `${endpointLabel(endpoint.endpoint)}.${endpoint.service.name}.${endpoint.service.namespace}.svc.${domain}`;
  // Addresses the cluster does not own are the upstream resolvers' to answer.
  if (target === undefined) return { kind: 'outside' };
  if (type !== 'PTR' && type !== 'ANY') return { kind: 'nodata', soa: soaOf(domain, serial) };
  return { kind: 'found', answers: [{ name: fqdn, ttl: RECORD_TTL, type: 'PTR', data: target }] };
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; a full ip6.arpa name → the IPv6 address; else undefined. */
export function reverseToIp(fqdn: string): string | undefined {
  if (fqdn.endsWith('.in-addr.arpa')) {
    const octets = fqdn.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
    return octets.reverse().map(Number).join('.');
  }
  const nibbles = fqdn.slice(0, -'.ip6.arpa'.length).split('.');
  if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
  const hex = nibbles.reverse().join('');
  const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return compressIpv6(groups);
}

/** The canonical (RFC 5952) text of eight hex groups: the longest run of two or more zeros as `::`. */
function compressIpv6(groups: readonly string[]): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function soaOf(domain: string, serial: number): SoaRecord {
  return {
    name: domain,
    ttl: RECORD_TTL,
    type: 'SOA',
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial, ...SOA_TIMERS },
  };
}
