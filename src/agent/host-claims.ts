/**
 * Two agents on one machine must never share a data dir (its state files), a run dir
 * (runtime state and rootfs mounts), a bridge or an nft table in one network namespace,
 * or a task-namespace prefix (namespaces live in the machine-wide /run/netns, and each
 * agent sweeps the ones with its prefix that it does not own). Each running agent writes
 * what it holds to a claim file; a starting agent reads the live ones and refuses, saying
 * which option to change, when it would share something.
 *
 * A claim is live while its process is: same pid and same start time (pids are reused).
 * /run is tmpfs, so claims go with a reboot, as the agents do.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where live agents' claims are kept. */
export const CLAIMS_DIR = '/run/berth-claims';

export interface HostClaim {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, names one process. */
  readonly startTime: string;
  readonly dataDir: string;
  readonly runDir: string;
  /** Inode of the agent's network namespace: bridges and nft tables are per namespace. */
  readonly netns: number;
  readonly bridge: string;
  readonly vpcBridge: string;
  readonly nftTable: string;
  readonly netnsPrefix: string;
}

/** What `mine` would share with `other`, each as a sentence saying what to change; pure. */
export function conflicts(mine: Omit<HostClaim, 'pid' | 'startTime'>, other: HostClaim): string[] {
  const out: string[] = [];
  const by = `the agent with pid ${other.pid}`;
  if (mine.dataDir === other.dataDir) out.push(`data dir ${mine.dataDir} is used by ${by}: pass another --data-dir`);
  if (mine.runDir === other.runDir) out.push(`run dir ${mine.runDir} is used by ${by}: pass another --run-dir`);
  if (mine.netns === other.netns) {
    const bridges = new Set([other.bridge, other.vpcBridge]);
    for (const b of [mine.bridge, mine.vpcBridge]) if (bridges.has(b)) out.push(`bridge ${b} is used by ${by} in this network namespace: pass --host-index, or other --bridge/--vpc-bridge names`);
    if (mine.nftTable === other.nftTable) out.push(`nft table ${mine.nftTable} is used by ${by} in this network namespace: pass --host-index or another --nft-table`);
  }
  if (mine.netnsPrefix.startsWith(other.netnsPrefix) || other.netnsPrefix.startsWith(mine.netnsPrefix)) {
    out.push(`task namespaces /run/netns/${mine.netnsPrefix}* would mix with ${by}'s /run/netns/${other.netnsPrefix}*: pass --host-index`);
  }
  return out;
}

/** The inode of this process's network namespace. */
export function ownNetns(): number {
  return statSync('/proc/self/ns/net').ino;
}

/**
 * Checks `mine` against the live claims and records it; throws an Error listing every
 * conflict. Returns the release function (close calls it; a killed agent's claim dies
 * with its process).
 */
export function claimHost(mine: Omit<HostClaim, 'pid' | 'startTime'>, dir = CLAIMS_DIR): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problems: string[] = [];
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    let other: HostClaim;
    try {
      other = JSON.parse(readFileSync(path, 'utf8')) as HostClaim;
    } catch {
      continue;
    }
    if (other.pid === process.pid) continue;
    if (startTimeOf(other.pid) !== other.startTime) { rmSync(path, { force: true }); continue; }
    problems.push(...conflicts(mine, other));
  }
  if (problems.length) throw new Error(`another agent on this machine holds what this one would use: ${problems.join('; ')}`);
  // One file per agent: the in-process agent of `berth up` and others may share a pid.
  const path = join(dir, `${process.pid}-${Buffer.from(mine.dataDir).toString('base64url').slice(-40)}.json`);
  const claim: HostClaim = { pid: process.pid, startTime: startTimeOf(process.pid) ?? '', ...mine };
  writeFileSync(path, JSON.stringify(claim), { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/**
 * The start time of a running process; undefined once it has exited, also while it is a
 * zombie nobody reaped yet (an agent orphaned by a killed `berth up` is reaped by init,
 * which may take its time, and a zombie holds nothing).
 */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}
