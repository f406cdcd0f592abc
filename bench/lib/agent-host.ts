/**
 * The host around a container agent that a benchmark starts: making sure no other agent
 * runs here (there is one set of Berth bridges and one nft table per host), measuring a
 * process's memory, and removing everything the agent leaves on the host by design (its
 * containers, overlay mounts, cgroups, namespaces, bridges and nft tables), also after a
 * failure. Processes are ended by the pids the agent's state names, never by name.
 */

import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeId } from '../../src/agent/task-layout.ts';
import { mountAt, mountPointsUnder } from '../../src/lib/mount-table.ts';
import { hierarchies } from '../../src/runtime/container/cgroups.ts';
import { removeCreateNamespace, removeReadOnlyBinaries } from '../../src/runtime/container/index.ts';
import { createNetworkManager } from '../../src/runtime/network/index.ts';
import { DEFAULT_BRIDGE_NAME, DEFAULT_VPC_BRIDGE_NAME } from '../../src/runtime/network/config.ts';
import { run } from './processes.ts';

/** Where `startAgent` keeps runtime state (src/agent/agent.ts RUN_DIR): `--root` of each runtime. */
const AGENT_RUN_DIR = '/run/berth';
/** Every Berth container's cgroup parent (src/agent/task-layout.ts CGROUP_PARENT). */
const AGENT_CGROUP_PARENT = 'berth';

/** Processes on this host running a Berth agent (`berth up` without --no-agent, or `berth agent`), but not `except`. */
export function otherAgents(except: ReadonlySet<number> = new Set()): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || except.has(pid) || pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    // bin/berth runs agents from the JavaScript copy of src/ (scripts/toolchain.sh); tests from the sources.
    const main = argv.findIndex((a) => a.endsWith('src/cli/main.ts') || a.endsWith('berth-js/cli/main.js'));
    if (main < 0) continue;
    const command = argv[main + 1];
    if ((command === 'up' && !argv.includes('--no-agent')) || command === 'agent') found.push(`${pid}: ${argv.slice(main).join(' ')}`);
  }
  return found;
}

/** Berth's host-wide network objects that exist now (an agent's, running or left over). */
export function berthBridgesPresent(): string[] {
  return [DEFAULT_BRIDGE_NAME, DEFAULT_VPC_BRIDGE_NAME].filter((b) => existsSync(`/sys/class/net/${b}`));
}

/** A process's resident memory from /proc/<pid>/status, in KiB: VmRSS, its anonymous part, and the peak. */
export function residentKiB(pid: number): { rss: number; anon: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), anon: field('RssAnon'), peak: field('VmHWM') };
}

/**
 * RSS settles a moment after a burst (V8 frees young-generation pages at its next
 * scavenge): the median of a few samples a quarter second apart.
 */
export async function settledResidentKiB(pid: number, samples = 5, intervalMs = 250): Promise<{ rss: number; anon: number; peak: number }> {
  const taken: { rss: number; anon: number; peak: number }[] = [];
  for (let i = 0; i < samples; i++) {
    if (i) await new Promise((r) => setTimeout(r, intervalMs));
    taken.push(residentKiB(pid));
  }
  taken.sort((a, b) => a.rss - b.rss);
  return taken[Math.floor(taken.length / 2)]!;
}

/** The containers an agent with this data dir made: runtime id, state dir, task id. */
function agentContainers(agentDataDir: string): { id: string; stateDir: string; taskId: string; name: string }[] {
  const tasksDir = join(agentDataDir, 'tasks');
  if (!existsSync(tasksDir)) return [];
  const out: { id: string; stateDir: string; taskId: string; name: string }[] = [];
  for (const taskId of readdirSync(tasksDir)) {
    const containers = join(tasksDir, taskId, 'containers');
    if (!existsSync(containers)) continue;
    for (const name of readdirSync(containers)) out.push({ id: runtimeId(taskId, name), stateDir: join(containers, name), taskId, name });
  }
  return out;
}

/** The task ids an agent with this data dir has known. */
function agentTaskIds(agentDataDir: string): string[] {
  const tasksDir = join(agentDataDir, 'tasks');
  return existsSync(tasksDir) ? readdirSync(tasksDir) : [];
}

function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

/**
 * Removes what an agent that used `agentDataDir` left behind, once it is no longer
 * running: containers (conmon and the container's init, by the pids in their state dirs;
 * then `<runtime> delete -f`), overlay mounts under the data dir, the tasks' cgroups, and
 * the network (the agent's own state, then every Berth namespace, both bridges and the
 * nft tables, as test/support/host-cleanup.ts does). Returns what it found to remove.
 */
export async function cleanupAgentHost(agentDataDir: string): Promise<{ containers: number; mounts: number }> {
  const containers = agentContainers(agentDataDir);
  for (const c of containers) {
    killPid(readPid(join(c.stateDir, 'conmon.pid')));
    killPid(readPid(join(c.stateDir, 'pidfile')));
  }
  for (const c of containers) {
    for (const rt of ['crun', 'runc']) {
      const root = join(AGENT_RUN_DIR, rt);
      if (existsSync(join(root, c.id))) await run(rt, ['--root', root, 'delete', '-f', c.id]).catch(() => undefined);
    }
  }
  const mounts = [...mountPointsUnder(agentDataDir), ...(mountAt(agentDataDir) ? [agentDataDir] : [])];
  await umountAll(mounts);
  await removeCreateNamespace(AGENT_RUN_DIR);
  await removeReadOnlyBinaries(join(AGENT_RUN_DIR, 'bin'));
  const taskIds = agentTaskIds(agentDataDir);
  for (const h of hierarchies()) {
    const parent = join(h, AGENT_CGROUP_PARENT);
    for (const taskId of taskIds) {
      const dir = join(parent, taskId);
      if (!existsSync(dir)) continue;
      for (const leaf of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
        try { rmdirSync(join(dir, leaf.name)); } catch { /* still in use */ }
      }
      try { rmdirSync(dir); } catch { /* still in use */ }
    }
    try { rmdirSync(parent); } catch { /* absent, or another agent's tasks */ }
  }
  const stateDir = join(agentDataDir, 'network');
  const manager = await createNetworkManager({ stateDir: existsSync(stateDir) ? stateDir : join(agentDataDir, 'network-cleanup'), manageIpForward: false });
  await manager.cleanupAll();
  await manager.close();
  return { containers: containers.length, mounts: mounts.length };
}


async function umountAll(points: readonly string[]): Promise<void> {
  for (const p of points) await run('umount', ['-l', p]).catch(() => undefined);
}
