/**
 * What a sandbox that died leaves (the host's OOM killer ends the sandbox process, not its
 * file proxies): runsc gofer processes still in the task's cgroup, which then cannot be
 * removed, and runsc's state files for the sandbox's containers, which runsc can no
 * longer delete (it asks the dead sandbox).
 */

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hierarchies } from '../container/cgroups.ts';
import { waitForProcessExit } from '../container/exit-watch.ts';

/** After SIGKILL the kernel ends a process in milliseconds; this bounds a wedged one. */
const KILLED_EXIT_WAIT_MS = 5_000;

/** Every pid in the cgroup and the cgroups below it, as the first hierarchy that has it lists them. */
export function processesIn(cgroupPath: string): number[] {
  const dir = hierarchies().map((h) => join(h, cgroupPath)).find((d) => existsSync(join(d, 'cgroup.procs')));
  if (!dir) return [];
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      out.push(...readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch { /* removed meanwhile */ }
  };
  walk(dir);
  return out;
}

/** SIGKILLs what is left in the task's cgroup and waits for it to go. */
export async function killCgroupProcesses(cgroupPath: string): Promise<void> {
  const pids = processesIn(cgroupPath);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* gone already */ }
  }
  await Promise.all(pids.map((pid) => waitForProcessExit(pid, KILLED_EXIT_WAIT_MS)));
}

/** Removes runsc's state files of a sandbox's containers (`<id>_sandbox:<sandbox>.state|.lock`) and its socket. */
export function removeRunscState(root: string, sandbox: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    if (n.endsWith(`_sandbox:${sandbox}.state`) || n.endsWith(`_sandbox:${sandbox}.lock`) || n === `runsc-${sandbox}.sock`) rmSync(join(root, n), { force: true });
  }
}
