/**
 * Host ports with a socket bound on them, read from /proc/net: listening TCP sockets and
 * bound UDP sockets, IPv4 and IPv6. The allocator skips them, since a DNAT rule on such a
 * port would hide the host's own service from other hosts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** /proc/net/tcp `st` of a listening socket (TCP_LISTEN). */
const TCP_LISTEN = '0A';
/** /proc/net/udp `st` of a bound, unconnected socket (TCP_CLOSE, reused by UDP). */
const UDP_BOUND = '07';

/** Parses one /proc/net/{tcp,udp}[6] table: the local ports of rows in state `st`. */
export function parseProcNet(text: string, st: string): number[] {
  const ports: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (!local || cols[3] !== st) continue;
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (port > 0) ports.push(port);
  }
  return ports;
}

/** `tcp/PORT` and `udp/PORT` for every bound host port (of the namespace /proc/net shows). */
export function hostPortsInUse(procNet = '/proc/net'): Set<string> {
  const out = new Set<string>();
  for (const [file, proto, st] of [['tcp', 'tcp', TCP_LISTEN], ['tcp6', 'tcp', TCP_LISTEN], ['udp', 'udp', UDP_BOUND], ['udp6', 'udp', UDP_BOUND]] as const) {
    let text: string;
    try {
      text = readFileSync(join(procNet, file), 'utf8');
    } catch {
      continue; // no IPv6 on this host, for instance
    }
    for (const port of parseProcNet(text, st)) out.add(`${proto}/${port}`);
  }
  return out;
}
