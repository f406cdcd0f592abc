/**
 * Where nft finds a cgroup v2 by its path. nft (1.0.6) resolves `socket cgroupv2` paths
 * under /sys/fs/cgroup when it loads a rule, by stat, to the cgroup's id. On a pure v2
 * host that is the cgroup2 mount itself; on a hybrid host (v1 controllers, cgroup2 at
 * /sys/fs/cgroup/unified) /sys/fs/cgroup is a tmpfs of v1 hierarchies and the path does
 * not resolve, so a symlink `/sys/fs/cgroup/<top> -> unified/<top>` is made beside them:
 * the same rules then load on both kinds of host. (`hierarchies()` in the container
 * runtime skips symlinks, as it does systemd's cpu,cpuacct ones.)
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT } from '../container/cgroups.ts';
import { cgroup2Mount } from '../container/cgroup2.ts';

/** True when the cgroup (relative to the cgroup2 mount, `berth/<task>`) exists. */
export function cgroup2Exists(cgroup: string, root = CGROUP_ROOT): boolean {
  const mount = cgroup2Mount(root);
  return mount !== undefined && existsSync(join(mount, cgroup));
}

/**
 * Makes `cgroup`'s top level resolvable where nft looks (see above); a no-op on a pure v2
 * host. Throws, saying why, where that cannot be done: the guard is then not loaded and
 * the host-mode task does not start.
 */
export function ensureNftCgroupPath(cgroup: string, root = CGROUP_ROOT): void {
  const mount = cgroup2Mount(root);
  if (mount === undefined) throw new Error('no cgroup2 hierarchy is mounted (at /sys/fs/cgroup or /sys/fs/cgroup/unified): host-mode tasks need it for their loopback guard');
  if (mount === root) return;
  const top = cgroup.split('/')[0] as string;
  const link = join(root, top);
  const target = join('unified', top);
  let current: string | undefined;
  try {
    current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : '';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (current === target) return;
  if (current !== undefined) throw new Error(`${link} exists and is not a symlink to ${target}: nft could not resolve the loopback guard's cgroup paths`);
  mkdirSync(join(mount, top), { recursive: true });
  try {
    symlinkSync(target, link);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return ensureNftCgroupPath(cgroup, root);
    throw new Error(`cannot link ${link} to ${target} (${code ?? (e as Error).message}): nft resolves cgroup paths only under ${root}${code === 'EROFS' ? ', and it is mounted read-only' : ''}`);
  }
}
