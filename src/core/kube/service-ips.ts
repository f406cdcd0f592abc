/**
 * Addresses and ports a Service is given, as the API server allocates them: a cluster IP from
 * the cluster's service range (EKS: `kubernetesNetworkConfig.serviceIpv4Cidr`, 10.100.0.0/16 by
 * default), and node ports from 30000-32767. Pure: what is in use and the random source are
 * inputs; a refusal carries the field and the API server's words, for a 422.
 */

/** The node port range (the API server's --service-node-port-range default). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export type Allocation<T> = { readonly ok: T } | { readonly field: string; readonly value: unknown; readonly message: string };

export interface Ipv4Range {
  readonly base: number;
  /** Addresses in the range, network and broadcast included. */
  readonly size: number;
  readonly cidr: string;
}

export function parseRange(cidr: string): Ipv4Range {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`${cidr} is not an IPv4 CIDR`);
  const prefix = Number(m[5]);
  const size = 2 ** (32 - prefix);
  const ip = toNumber(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`)!;
  return { base: ip - (ip % size), size, cidr };
}

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The `kubernetes` service's address: the range's first (10.100.0.1 on EKS). */
export function apiServerIP(range: Ipv4Range): string {
  return toIp(range.base + 1);
}

/** The cluster DNS service's address: the range's tenth (10.100.0.10 on EKS, as kube-dns has). */
export function dnsServiceIP(range: Ipv4Range): string {
  return toIp(range.base + 10);
}

/**
 * The start of the range's dynamic band: addresses below it are handed out at random only when
 * the band above is full, so that addresses people pick by hand (low ones, like .10) stay free.
 * The API server's rule: 1/16 of the range, at least 16 and at most 256 addresses.
 */
function staticBand(range: Ipv4Range): number {
  return Math.min(Math.max(16, Math.floor(range.size / 16)), 256);
}

/**
 * A cluster IP: the one asked for if it is in range and free, else a free one at random
 * (`random()` in [0, 1)). Network and broadcast addresses are never given.
 */
export function allocateClusterIP(range: Ipv4Range, used: ReadonlySet<string>, random: () => number, requested?: string): Allocation<string> {
  if (requested !== undefined && requested !== '') {
    const n = toNumber(requested);
    if (n === undefined || n <= range.base || n >= range.base + range.size - 1) {
      return { field: 'spec.clusterIPs', value: [requested], message: `failed to allocate IP ${requested}: provided IP is not in the valid range. The range of valid IPs is ${range.cidr}` };
    }
    if (used.has(requested)) return { field: 'spec.clusterIPs', value: [requested], message: `failed to allocate IP ${requested}: provided IP is already allocated` };
    return { ok: requested };
  }
  const first = range.base + 1;
  const last = range.base + range.size - 2;
  const band = Math.min(range.base + staticBand(range), last);
  const pick = (lo: number, hi: number): string | undefined => {
    const span = hi - lo + 1;
    if (span <= 0) return undefined;
    const start = Math.floor(random() * span);
    for (let i = 0; i < span; i++) {
      const ip = toIp(lo + ((start + i) % span));
      if (!used.has(ip)) return ip;
    }
    return undefined;
  };
  const ip = pick(band + 1, last) ?? pick(first, band);
  return ip !== undefined ? { ok: ip } : { field: 'spec.clusterIPs', value: [], message: `failed to allocate a serviceIP: range is full` };
}

/** A node port: the one asked for if in range and free, else a free one at random. */
export function allocateNodePort(used: ReadonlySet<number>, random: () => number, index: number, requested?: number): Allocation<number> {
  const field = `spec.ports[${index}].nodePort`;
  if (requested !== undefined && requested !== 0) {
    if (requested < NODE_PORT_MIN || requested > NODE_PORT_MAX) {
      return { field, value: requested, message: `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}` };
    }
    if (used.has(requested)) return { field, value: requested, message: 'provided port is already allocated' };
    return { ok: requested };
  }
  const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
  const start = Math.floor(random() * span);
  for (let i = 0; i < span; i++) {
    const port = NODE_PORT_MIN + ((start + i) % span);
    if (!used.has(port)) return { ok: port };
  }
  return { field, value: 0, message: 'range is full' };
}
