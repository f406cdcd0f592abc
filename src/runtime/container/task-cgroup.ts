/**
 * The task's own cgroup, `/berth/<task>`, the parent of its containers' cgroups: limits
 * set here hold for all of the task's containers together, as ECS sets them. Today that is
 * `pids.max` (ECS_TASK_PIDS_LIMIT). The runtimes create only the containers' leaves
 * below it; this makes the task level first, and removing it is `removeCgroups`' work
 * (cgroups.ts), like every empty level under the cgroup parent.
 *
 * The pids controller sits on a v1 hierarchy on v1 and hybrid hosts (this machine kind:
 * cgroup2 there holds only hugetlb), and on the single hierarchy of a pure v2 host, where
 * each ancestor must first pass it down (`+pids` in `cgroup.subtree_control`).
 *
 * The task's cgroup v2 is made in every case, limit or not: the network's host-mode
 * loopback guard names it, and must find it before the first container starts
 * (cgroup2.ts puts crun's containers in it).
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { CGROUP_ROOT } from './cgroups.ts';
import { makeCgroup2 } from './cgroup2.ts';

export type CgroupLayout = 'v1' | 'v2';

export interface TaskLimits {
  /** Most processes (and threads) the task's containers may hold together; undefined: no limit. */
  readonly pidsMax?: number | undefined;
  /** Memory of the task's containers together, bytes (a Fargate task's size, on the userns boundary). */
  readonly memoryBytes?: number | undefined;
  /** CPU time of the task's containers together: quota µs per period µs (1024 units = one period). */
  readonly cpu?: { readonly quotaUs: number; readonly periodUs: number } | undefined;
}

/** What to do under the cgroup root, in order: directories to make, then files to write. */
export interface TaskCgroupPlan {
  readonly dirs: readonly string[];
  readonly writes: readonly { readonly file: string; readonly value: string }[];
}

/** The hierarchy layout: pure v2 when the root itself is a cgroup2 mount. */
export function cgroupLayout(root = CGROUP_ROOT): CgroupLayout {
  return existsSync(join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

/** Pure: the directories and files that give `taskPath` its limits (paths relative to the cgroup root). */
export function taskCgroupPlan(taskPath: string, limits: TaskLimits, layout: CgroupLayout): TaskCgroupPlan {
  const path = posix.normalize(taskPath);
  if (!path.startsWith('/') || path === '/') throw new Error(`task cgroup ${taskPath} must be an absolute path below the root`);
  const levels = path.split('/').filter(Boolean).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  // Per controller: the v1 hierarchy, the v2 file and its value.
  const wanted: { controller: string; v1: string; file: string; value: string }[] = [];
  if (limits.pidsMax !== undefined) {
    if (!Number.isSafeInteger(limits.pidsMax) || limits.pidsMax < 1) throw new Error(`pids limit ${limits.pidsMax} must be a whole number of at least 1`);
    wanted.push({ controller: 'pids', v1: 'pids', file: 'pids.max', value: String(limits.pidsMax) });
  }
  if (limits.memoryBytes !== undefined) {
    if (!Number.isSafeInteger(limits.memoryBytes) || limits.memoryBytes < 1) throw new Error(`memory limit ${limits.memoryBytes} must be a whole number of bytes`);
    wanted.push({ controller: 'memory', v1: 'memory', file: layout === 'v1' ? 'memory.limit_in_bytes' : 'memory.max', value: String(limits.memoryBytes) });
  }
  if (limits.cpu !== undefined) {
    const { quotaUs, periodUs } = limits.cpu;
    if (!Number.isSafeInteger(quotaUs) || !Number.isSafeInteger(periodUs) || quotaUs < 1000 || periodUs < 1000) throw new Error(`cpu quota ${quotaUs}/${periodUs} µs must be whole numbers of at least 1000`);
    if (layout === 'v1') {
      // The period first: the kernel checks the quota against it.
      wanted.push({ controller: 'cpu', v1: 'cpu', file: 'cpu.cfs_period_us', value: String(periodUs) });
      wanted.push({ controller: 'cpu', v1: 'cpu', file: 'cpu.cfs_quota_us', value: String(quotaUs) });
    } else {
      wanted.push({ controller: 'cpu', v1: 'cpu', file: 'cpu.max', value: `${quotaUs} ${periodUs}` });
    }
  }
  if (wanted.length === 0) return { dirs: [], writes: [] };
  const controllers = [...new Set(wanted.map((w) => w.controller))];
  if (layout === 'v1') {
    return {
      dirs: controllers.flatMap((c) => levels.map((l) => `${wanted.find((w) => w.controller === c)!.v1}/${l}`)),
      writes: wanted.map((w) => ({ file: `${w.v1}/${path.slice(1)}/${w.file}`, value: w.value })),
    };
  }
  const ancestors = ['', ...levels.slice(0, -1)];
  return {
    dirs: levels,
    writes: [
      ...ancestors.map((a) => ({ file: posix.join(a, 'cgroup.subtree_control'), value: controllers.map((c) => `+${c}`).join(' ') })),
      ...wanted.map((w) => ({ file: `${path.slice(1)}/${w.file}`, value: w.value })),
    ],
  };
}

/**
 * Makes the task's cgroup with its limits (idempotent: an adopted task's cgroup is set
 * again to the same values). Throws, naming what is missing, on a host without the pids
 * controller: a limit the agent was given is never silently dropped.
 */
export function applyTaskCgroup(taskPath: string, limits: TaskLimits, root = CGROUP_ROOT): void {
  const layout = cgroupLayout(root);
  const plan = taskCgroupPlan(taskPath, limits, layout);
  makeCgroup2(posix.normalize(taskPath), root);
  if (plan.writes.length === 0) return;
  if (layout === 'v1' && limits.pidsMax !== undefined && !existsSync(join(root, 'pids'))) throw new Error(`no pids cgroup controller at ${join(root, 'pids')}: the task pids limit needs it (kernel 4.3 or later, mounted as systemd does)`);
  for (const dir of plan.dirs) {
    try {
      mkdirSync(join(root, dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  for (const w of plan.writes) {
    try {
      writeFileSync(join(root, w.file), w.value);
    } catch (e) {
      throw new Error(`cannot write ${w.value} to ${join(root, w.file)}: ${(e as Error).message}`);
    }
  }
}
