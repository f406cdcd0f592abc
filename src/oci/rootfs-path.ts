/**
 * Turns archive paths into host paths under a root directory without ever leaving it.
 *
 * The rule (what an openat()-based extractor enforces, done here with lstat): every
 * parent component of a path must be a real directory inside the root. A symlink in a
 * parent position is refused, never followed — a layer that plants `a -> /etc` and then
 * writes `a/passwd` fails instead of writing the host's /etc/passwd. `..` components are
 * refused and absolute paths are taken as relative to the root.
 *
 * Safe only while nothing else changes the tree during the apply (the rootfs is not in
 * use by a container): checks and writes are separate system calls.
 */

import type { Stats } from 'node:fs';
import { lstat, mkdir, lchown } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsafeLayerError } from './errors.ts';

/** The components of an archive path: leading '/' and '.' dropped, '..' refused. [] is the root. */
export function normalizeEntryPath(raw: string): string[] {
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new UnsafeLayerError(raw, 'it has a ".." component');
    parts.push(part);
  }
  return parts;
}

export interface ImpliedDirOwner {
  readonly uid: number;
  readonly gid: number;
}

export class RootfsPaths {
  readonly root: string;
  /** Relative paths known to be real directories (not symlinks) in this apply. */
  #verified = new Set<string>();
  #impliedOwner: ImpliedDirOwner | undefined;

  /** `root` must be an existing directory, given as a trusted, resolved path. */
  constructor(root: string, impliedOwner?: ImpliedDirOwner) {
    this.root = root;
    this.#impliedOwner = impliedOwner;
  }

  hostPath(parts: readonly string[]): string {
    return parts.length === 0 ? this.root : join(this.root, ...parts);
  }

  /**
   * Makes sure every parent of `parts` is a real directory, creating missing ones
   * (mode 0755, as implied directories are); returns the host path of the entry.
   * Throws {@link UnsafeLayerError} when a parent is a symlink or not a directory.
   */
  async prepareParents(parts: readonly string[], raw: string): Promise<string> {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.#verified.has(rel)) continue;
      const host = join(this.root, rel);
      const st = await lstatOrUndefined(host);
      if (st === undefined) {
        await mkdir(host, { mode: 0o755 });
        if (this.#impliedOwner) await lchown(host, this.#impliedOwner.uid, this.#impliedOwner.gid);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeLayerError(raw, `its parent "${rel}" is a symlink, which is never followed`);
      } else if (!st.isDirectory()) {
        throw new UnsafeLayerError(raw, `its parent "${rel}" is not a directory`);
      }
      this.#verified.add(rel);
    }
    return this.hostPath(parts);
  }

  /**
   * The host path of an entry whose parents must already exist as real directories,
   * or undefined when one is missing. Throws when one is a symlink or not a directory.
   */
  async existingParents(parts: readonly string[], raw: string): Promise<string | undefined> {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.#verified.has(rel)) continue;
      const st = await lstatOrUndefined(join(this.root, rel));
      if (st === undefined) return undefined;
      if (st.isSymbolicLink()) throw new UnsafeLayerError(raw, `its parent "${rel}" is a symlink, which is never followed`);
      if (!st.isDirectory()) throw new UnsafeLayerError(raw, `its parent "${rel}" is not a directory`);
      this.#verified.add(rel);
    }
    return this.hostPath(parts);
  }

  /** Records that `rel` is a real directory (it was just created or checked). */
  markDirectory(rel: string): void {
    if (rel !== '') this.#verified.add(rel);
  }

  /** Forgets what was known about `rel` and everything under it, after it was removed or replaced. */
  forget(rel: string): void {
    this.#verified.delete(rel);
    const prefix = `${rel}/`;
    for (const p of this.#verified) if (p.startsWith(prefix)) this.#verified.delete(p);
  }
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
