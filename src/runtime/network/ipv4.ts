/**
 * IPv4 addresses and subnets as plain numbers: parsing, printing and the arithmetic the
 * allocator and the planners need. No I/O.
 */

/** A parsed CIDR block: `base` is the network address (host bits zero). */
export interface Subnet {
  readonly cidr: string;
  readonly base: number;
  readonly prefix: number;
  /** Number of addresses in the block, network and broadcast included. */
  readonly size: number;
}

/** The smallest block that still leaves room for a gateway and a few tasks. */
const MAX_PREFIX = 29;
/** The largest block Berth will manage: offsets must stay small enough to name veths. */
const MIN_PREFIX = 12;

export class InvalidAddressError extends Error {
  override name = 'InvalidAddressError';
}

/** Parses dotted-quad IPv4 into an unsigned 32-bit number. */
export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new InvalidAddressError(`'${text}' is not an IPv4 address (expected four numbers 0-255, like 172.30.240.2)`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n`; the address must be the network address (no host bits set). */
export function parseSubnet(cidr: string, limits: { minPrefix?: number; maxPrefix?: number } = {}): Subnet {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new InvalidAddressError(`'${cidr}' is not a CIDR block (expected a.b.c.d/n, like 172.30.240.0/20)`);
  const base = parseIp(m[1] as string);
  const prefix = Number(m[2]);
  const min = limits.minPrefix ?? 0;
  const max = limits.maxPrefix ?? 32;
  if (prefix < min || prefix > max) throw new InvalidAddressError(`'${cidr}': the prefix length must be between /${min} and /${max}`);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new InvalidAddressError(`'${cidr}' has host bits set; the network address is ${formatIp(base - (base % size))}/${prefix}`);
  return { cidr, base, prefix, size };
}

/** A subnet a Berth bridge can serve (between /12 and /29). */
export function parseTaskSubnet(cidr: string): Subnet {
  return parseSubnet(cidr, { minPrefix: MIN_PREFIX, maxPrefix: MAX_PREFIX });
}

/** The address at `offset` inside the subnet (offset 1 is the gateway by Berth's convention). */
export function addressAt(subnet: Subnet, offset: number): string {
  return formatIp(subnet.base + offset);
}

/** The offset of `ip` in the subnet, or undefined when it lies outside. */
export function offsetOf(subnet: Subnet, ip: string): number | undefined {
  const n = parseIp(ip);
  return n >= subnet.base && n < subnet.base + subnet.size ? n - subnet.base : undefined;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** Offsets a task may get: everything but the network address, the gateway (1) and broadcast. */
export function taskOffsetRange(subnet: Subnet): { first: number; last: number } {
  return { first: 2, last: subnet.size - 2 };
}

/**
 * A MAC address derived from an IP: locally administered unicast (first octet 0x02) with
 * Berth's second octet, then the four address bytes. Deterministic, so an address reused
 * later gets the same MAC and neighbours' ARP caches stay right.
 */
export function macForIp(ip: string, tag: number): string {
  const n = parseIp(ip);
  const bytes = [0x02, tag & 255, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
