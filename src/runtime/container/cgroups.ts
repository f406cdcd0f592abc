/**
 * Reading and tidying a container's cgroups, on v1, v2 or this machine's hybrid layout.
 * The runtimes create `/sys/fs/cgroup/<hierarchy>/<cgroupsPath>` and their `delete`
 * removes only that leaf; the parents Berth's absolute paths imply (`/berth/<task>`) are
 * Berth's to remove, in every hierarchy including `unified/` (runtime-notes §1).
 */

import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join, posix } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** The mounted hierarchies: /sys/fs/cgroup itself on a pure v2 host, else each real directory in it. */
export function hierarchies(root = CGROUP_ROOT): string[] {
  if (existsSync(join(root, 'cgroup.controllers'))) return [root];
  return readdirSync(root).map((n) => join(root, n)).filter((p) => {
    try {
      return lstatSync(p).isDirectory(); // cpu,cpuacct-style symlinks name a hierarchy twice
    } catch {
      return false;
    }
  });
}

function memoryDir(cgroupsPath: string, root = CGROUP_ROOT): { dir: string; v2: boolean } {
  const v1 = join(root, 'memory', cgroupsPath);
  return existsSync(join(root, 'memory')) ? { dir: v1, v2: false } : { dir: join(root, cgroupsPath), v2: true };
}

const field = (text: string, key: string): number | undefined => {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * How many processes the kernel's OOM killer ended in this cgroup (v1
 * `memory.oom_control`, v2 `memory.events`); undefined once the cgroup is gone, which is
 * why this is read before `delete`.
 */
export function oomKillCount(cgroupsPath: string, root = CGROUP_ROOT): number | undefined {
  const { dir, v2 } = memoryDir(cgroupsPath, root);
  const text = readOr(join(dir, v2 ? 'memory.events' : 'memory.oom_control'));
  return text === undefined ? undefined : field(text, 'oom_kill');
}

export interface CgroupStats {
  /** Bytes in use now, and the most ever used. */
  readonly memoryBytes?: number | undefined;
  readonly memoryMaxBytes?: number | undefined;
  /** CPU time used, nanoseconds. */
  readonly cpuNanos?: number | undefined;
  readonly pids?: number | undefined;
}

export function cgroupStats(cgroupsPath: string, root = CGROUP_ROOT): CgroupStats {
  const num = (path: string): number | undefined => {
    const t = readOr(path)?.trim();
    return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
  };
  const { dir, v2 } = memoryDir(cgroupsPath, root);
  if (v2) {
    const usec = field(readOr(join(dir, 'cpu.stat')) ?? '', 'usage_usec');
    return { memoryBytes: num(join(dir, 'memory.current')), memoryMaxBytes: num(join(dir, 'memory.peak')), cpuNanos: usec === undefined ? undefined : usec * 1000, pids: num(join(dir, 'pids.current')) };
  }
  return {
    memoryBytes: num(join(dir, 'memory.usage_in_bytes')),
    memoryMaxBytes: num(join(dir, 'memory.max_usage_in_bytes')),
    cpuNanos: num(join(root, 'cpuacct', cgroupsPath, 'cpuacct.usage')),
    pids: num(join(root, 'pids', cgroupsPath, 'pids.current')),
  };
}

/**
 * Removes the leaf and then each empty parent, in every hierarchy, up to but not
 * including `stopAt` (e.g. `/berth`, shared by all tasks). A cgroup that still holds
 * processes or children stays: rmdir refuses, which is the emptiness check.
 */
export function removeCgroups(cgroupsPath: string, stopAt: string, root = CGROUP_ROOT): void {
  const levels: string[] = [];
  for (let p = posix.normalize(cgroupsPath); p !== '/' && p !== stopAt && p.startsWith('/'); p = posix.dirname(p)) levels.push(p);
  for (const h of hierarchies(root)) {
    for (const level of levels) {
      try {
        rmdirSync(join(h, level));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue;
        break; // EBUSY/ENOTEMPTY: in use, and so are its parents
      }
    }
  }
}
