/**
 * Reading a file of an image's rootfs from the host (its /etc/passwd, /etc/group) without
 * letting the image point the read elsewhere: symlinks are resolved as the container
 * would see them, against the rootfs as `/`, never against the host's `/`.
 */

import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;
/** passwd and group files are small; anything bigger is not one. */
export const MAX_ROOTFS_FILE_BYTES = 4 * 1024 * 1024;

/** The host path of `path` inside `root`, symlinks resolved within root; undefined when missing. */
export function resolveInRootfs(root: string, path: string): string | undefined {
  let pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop(); // never above the rootfs's own /
      continue;
    }
    const host = join(root, ...done, part);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter(Boolean), ...pending];
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/** The text of a regular file in the rootfs, or undefined when it is missing, not a file, or too big. */
export function readRootfsFile(root: string, path: string): string | undefined {
  const host = resolveInRootfs(root, path);
  if (host === undefined) return undefined;
  try {
    const st = lstatSync(host);
    if (!st.isFile() || st.size > MAX_ROOTFS_FILE_BYTES) return undefined;
    return readFileSync(host, 'utf8');
  } catch {
    return undefined;
  }
}
