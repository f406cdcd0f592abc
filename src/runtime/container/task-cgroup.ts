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
  if (limits.pidsMax === undefined) return { dirs: [], writes: [] };
  if (!Number.isSafeInteger(limits.pidsMax) || limits.pidsMax < 1) throw new Error(`pids limit ${limits.pidsMax} must be a whole number of at least 1`);
  const levels = path.split('/').filter(Boolean).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  if (layout === 'v1') {
    return { dirs: levels.map((l) => `pids/${l}`), writes: [{ file: `pids/${path.slice(1)}/pids.max`, value: String(limits.pidsMax) }] };
  }
  const ancestors = ['', ...levels.slice(0, -1)];
  return {
    dirs: levels,
    writes: [
      ...ancestors.map((a) => ({ file: posix.join(a, 'cgroup.subtree_control'), value: '+pids' })),
      { file: `${path.slice(1)}/pids.max`, value: String(limits.pidsMax) },
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
  if (layout === 'v1' && !existsSync(join(root, 'pids'))) throw new Error(`no pids cgroup controller at ${join(root, 'pids')}: the task pids limit needs it (kernel 4.3 or later, mounted as systemd does)`);
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
