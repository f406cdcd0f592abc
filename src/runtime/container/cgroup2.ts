/**
 * Every container of a task in the task's cgroup v2, whatever the host's layout and the
 * runtime: the network's host-mode loopback guard tells a task's sockets by that cgroup
 * (`socket cgroupv2`), and a process's sockets carry the cgroup it was in when it made
 * them.
 *
 * runc puts a container there itself, on pure v2 and hybrid hosts alike. crun does on a
 * pure v2 host, but on a hybrid one it runs `create` where cgroup2 is hidden
 * (create-namespace.ts), so its containers stay in the root cgroup v2 (`0::/`). The agent
 * then moves the container's init into `<cgroupsPath>` between `create` and `start`: the
 * init has forked nothing yet, and everything it starts inherits the cgroup.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT } from './cgroups.ts';

/** The cgroup2 mount: the root itself on a pure v2 host, `unified/` on a hybrid one; undefined on pure v1. */
export function cgroup2Mount(root = CGROUP_ROOT): string | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return root;
  const unified = join(root, 'unified');
  return existsSync(join(unified, 'cgroup.controllers')) ? unified : undefined;
}

/** A process's cgroup v2 (the `0::` line of /proc/<pid>/cgroup), or undefined when it has none or is gone. */
export function cgroup2Of(pid: number, proc = '/proc'): string | undefined {
  try {
    return /^0::(.*)$/m.exec(readFileSync(join(proc, String(pid), 'cgroup'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Makes the cgroup v2 `path` (absolute below the mount) and its parents; a no-op without cgroup2. */
export function makeCgroup2(path: string, root = CGROUP_ROOT): void {
  const mount = cgroup2Mount(root);
  if (mount !== undefined) mkdirSync(join(mount, path), { recursive: true });
}

/**
 * Moves process `pid` into the cgroup v2 `path` unless it is there already. Throws when
 * it cannot: a container the guard would not recognize must not start.
 */
export function joinCgroup2(pid: number, path: string, root = CGROUP_ROOT, proc = '/proc'): void {
  const mount = cgroup2Mount(root);
  if (mount === undefined || cgroup2Of(pid, proc) === path) return;
  const dir = join(mount, path);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (e) {
    throw new Error(`cannot move the container's init (pid ${pid}) into cgroup v2 ${path}: ${(e as Error).message}`);
  }
}
