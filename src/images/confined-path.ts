/**
 * Resolving a path inside a container's root filesystem the way the container will see
 * it, from the host: symlinks are followed, but always as if the rootfs were `/`. An
 * absolute link target starts again at the rootfs, and `..` stops at it. What the
 * agent needs before it touches a path in a rootfs from outside (a volume's mount
 * point, /etc/hosts): an image may hold `etc -> /host-etc` or `a -> ../../..`, and
 * following those on the host would write outside the container.
 *
 * Like any check-then-use on a path, it is safe only while the container is not
 * running (nothing changes the tree between the resolution and the use).
 */

import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStoreError } from './errors.ts';

/** Symlinks followed before giving up: Linux's own limit for one path lookup (MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

/**
 * The host path `path` (absolute or relative, as seen inside the container) stands
 * for under `rootfs`, with every symlink resolved inside the rootfs. Components that
 * do not exist yet are kept as written, so the result can be created.
 */
export async function resolveInRootfs(rootfs: string, path: string): Promise<string> {
  const resolved: string[] = [];
  const pending = path.split('/').reverse();
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = join(rootfs, ...resolved, part);
    const st = await lstat(host).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw e;
    });
    if (st?.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw new ImageStoreError(`too many symlinks resolving ${JSON.stringify(path)} in ${rootfs} (a loop?)`);
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      pending.push(...target.split('/').reverse());
      continue;
    }
    resolved.push(part);
  }
  return join(rootfs, ...resolved);
}
