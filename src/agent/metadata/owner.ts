/**
 * Who holds the client end of a connection, for callers that have no address of their
 * own: a host-mode task's connection arrives from the host's address, so the server asks
 * whether the client socket (found in /proc/net/tcp by its port and the address it
 * dialled) belongs to a process of the task's cgroup. Only the claimed task's processes
 * are searched: a few directory reads per request.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The inode of the TCP socket whose local port is `port` and whose peer is `peer` (`a.b.c.d:port`), from /proc/net/tcp's text. */
export function socketInode(procNetTcp: string, port: number, peer: string): string | undefined {
  const [ip, peerPort] = peer.split(':') as [string, string];
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  // /proc/net/tcp writes an IPv4 address as one little-endian 32-bit word.
  const peerHex = `${ip.split('.').map((o) => hex(Number(o), 2)).reverse().join('')}:${hex(Number(peerPort), 4)}`;
  const localSuffix = `:${hex(port, 4)}`;
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(localSuffix) && f[2] === peerHex) return f[9];
  }
  return undefined;
}

/** Every pid in `cgroupDir` and the cgroups below it. */
function pidsBelow(cgroupDir: string): number[] {
  const out: number[] = [];
  const walk = (dir: string) => {
    let text = '';
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      return;
    }
    for (const p of text.split('\n')) if (p) out.push(Number(p));
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(cgroupDir);
  return out;
}

/** Whether a process of `pids` holds socket `inode`. */
export function heldBy(pids: readonly number[], inode: string, proc = '/proc'): boolean {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(join(proc, String(pid), 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(join(proc, String(pid), 'fd', fd)) === want) return true;
      } catch { /* closed meanwhile */ }
    }
  }
  return false;
}

/** The inode of the client socket of a connection from `clientPort` that dialled `dialled` (169.254.170.2:80 before the DNAT). */
export function clientSocketInode(clientPort: number, dialled: string, proc = '/proc'): string | undefined {
  let tcp = '';
  try {
    tcp = readFileSync(join(proc, 'net', 'tcp'), 'utf8');
  } catch {
    return undefined;
  }
  const inode = socketInode(tcp, clientPort, dialled);
  return inode === '0' ? undefined : inode;
}

/** Whether a process of the cgroup v2 directory `cgroupDir` (or one below it) holds socket `inode`. */
export function inodeInCgroup(cgroupDir: string, inode: string, proc = '/proc'): boolean {
  return heldBy(pidsBelow(cgroupDir), inode, proc);
}

/**
 * Whether the client of a connection from `clientPort`, which dialled `dialled`
 * (169.254.170.2:80 before the DNAT), is a process of the cgroup v2 directory `cgroupDir`.
 */
export function clientInCgroup(cgroupDir: string, clientPort: number, dialled: string, proc = '/proc'): boolean {
  const inode = clientSocketInode(clientPort, dialled, proc);
  return inode !== undefined && inodeInCgroup(cgroupDir, inode, proc);
}
