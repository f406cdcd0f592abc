/**
 * Applies an image layer (a tar, plain or gzip/zstd-compressed, told apart by magic
 * bytes) onto a directory, as the OCI image spec's layer.md describes: entries are
 * created or replace what is there, `.wh.<name>` deletes `<name>` from lower layers,
 * `.wh..wh..opq` empties a directory of lower-layer content, and directories merge.
 *
 * Ownership (when root, or when asked), permission bits incl. setuid/setgid/sticky and
 * mtimes are kept. Device nodes need root and are skipped otherwise; fifos are made.
 * Extended attributes (pax SCHILY.xattr.*) are not applied: Node.js has no setxattr.
 *
 * SECURITY: nothing is ever written, removed or changed outside `target`. Paths with
 * `..` are refused, absolute paths are taken relative to `target`, and a symlink in a
 * parent position is refused rather than followed (see rootfs-path.ts). Files are
 * created with O_EXCL|O_NOFOLLOW after removing whatever was at their path, so a
 * planted symlink is replaced, never written through. Hard links may only point at
 * non-directories inside `target`.
 */

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lchown, link, lutimes, mkdir, open, readdir, realpath, rm, stat, symlink, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { decompress } from './compression.ts';
import { UnsafeLayerError } from './errors.ts';
import { RootfsPaths, lstatOrUndefined, normalizeEntryPath } from './rootfs-path.ts';
import { readTar, type TarEntry } from './tar-reader.ts';

const run = promisify(execFile);

/** A file named `.wh.<name>` deletes `<name>` (layer.md, "Whiteouts"). */
const WHITEOUT_PREFIX = '.wh.';
/** Marks its directory opaque: lower layers' children of it are hidden. */
const OPAQUE_WHITEOUT = '.wh..wh..opq';
/** Names starting like this are whiteout metadata (AUFS hard-link dirs etc.), never content. */
const WHITEOUT_META_PREFIX = '.wh..wh.';

export interface ApplyLayerOptions {
  /** Keep the archive's uid/gid (needs root). Default: true when running as root. */
  readonly chown?: boolean;
  /** Added to every uid and gid, for a user-namespaced rootfs (e.g. 100000). Default 0. */
  readonly idOffset?: number;
  /** Create char/block device nodes (needs root, runs mknod(1)). Default: true when root. */
  readonly devices?: boolean;
}

export interface ApplyLayerResult {
  /** Archive entries read, whiteouts included. */
  readonly entries: number;
  /** File content bytes written. */
  readonly bytes: number;
  readonly whiteouts: number;
  /** Entries not created, with the reason (device nodes when not root). */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

interface PendingDir {
  readonly parts: readonly string[];
  readonly raw: string;
  readonly mode: number;
  readonly mtime: number;
}

/**
 * Applies `layer` onto the existing directory `target`. Throws {@link UnsafeLayerError}
 * for entries that would escape or clobber the tree, and TarFormatError for a broken
 * archive; what was applied before the error stays (apply into a fresh directory and
 * discard it on failure).
 */
export async function applyLayer(target: string, layer: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: ApplyLayerOptions = {}): Promise<ApplyLayerResult> {
  const root = await realpath(target);
  if (!(await stat(root)).isDirectory()) throw new Error(`layer target ${target} is not a directory`);
  const isRoot = process.getuid?.() === 0;
  const applier = new Applier(root, {
    chown: options.chown ?? isRoot,
    idOffset: options.idOffset ?? 0,
    devices: options.devices ?? isRoot,
  });
  for await (const entry of readTar(decompress(layer))) await applier.apply(entry);
  await applier.finish();
  return applier.result();
}

class Applier {
  #paths: RootfsPaths;
  #chown: boolean;
  #idOffset: number;
  #devices: boolean;
  /** Paths this layer created (and their ancestors): whiteouts only hide lower layers. */
  #touched = new Set<string>();
  #dirs: PendingDir[] = [];
  #entries = 0;
  #bytes = 0;
  #whiteouts = 0;
  #skipped: { path: string; reason: string }[] = [];

  constructor(root: string, o: { chown: boolean; idOffset: number; devices: boolean }) {
    this.#chown = o.chown;
    this.#idOffset = o.idOffset;
    this.#devices = o.devices;
    this.#paths = new RootfsPaths(root, o.chown && o.idOffset !== 0 ? { uid: o.idOffset, gid: o.idOffset } : undefined);
  }

  async apply(entry: TarEntry): Promise<void> {
    this.#entries++;
    const parts = normalizeEntryPath(entry.path);
    const name = parts.at(-1);
    if (name !== undefined && name.startsWith(WHITEOUT_PREFIX)) {
      await this.#whiteout(parts, entry.path);
      return;
    }
    if (parts.length === 0) {
      if (entry.type !== 'directory') throw new UnsafeLayerError(entry.path, `the root can only be a directory, not a ${entry.type}`);
      await this.#own(this.#paths.root, entry);
      this.#dirs.push({ parts, raw: entry.path, mode: entry.mode, mtime: entry.mtime });
      return;
    }
    const host = await this.#paths.prepareParents(parts, entry.path);
    const rel = parts.join('/');
    const keptDir = await this.#clear(host, rel, entry.type === 'directory');
    switch (entry.type) {
      case 'directory':
        // 0755 until finish() sets the archived mode: the layer may still write into it.
        if (!keptDir) await mkdir(host, { mode: 0o755 });
        this.#paths.markDirectory(rel);
        await this.#own(host, entry);
        this.#dirs.push({ parts, raw: entry.path, mode: entry.mode, mtime: entry.mtime });
        break;
      case 'file':
        await this.#writeFile(host, entry);
        break;
      case 'symlink':
        await symlink(entry.linkPath, host);
        await this.#own(host, entry);
        await lutimes(host, entry.mtime, entry.mtime);
        break;
      case 'hardlink':
        await this.#hardlink(host, entry);
        break;
      case 'char-device':
      case 'block-device':
        if (!this.#devices) {
          this.#skipped.push({ path: entry.path, reason: 'device nodes need root' });
          return;
        }
        await run('mknod', ['-m', entry.mode.toString(8), host, entry.type === 'char-device' ? 'c' : 'b', String(entry.devMajor), String(entry.devMinor)]);
        await this.#own(host, entry);
        await lutimes(host, entry.mtime, entry.mtime);
        break;
      case 'fifo':
        await run('mkfifo', ['-m', entry.mode.toString(8), host]);
        await this.#own(host, entry);
        await lutimes(host, entry.mtime, entry.mtime);
        break;
    }
    this.#touch(parts);
  }

  /**
   * Directory modes and times are set last: adding children changes a directory's mtime,
   * and a read-only directory would refuse them when not running as root.
   */
  async finish(): Promise<void> {
    for (const dir of this.#dirs.reverse()) {
      // A directory replaced later in this layer (even a parent, by a symlink) is skipped.
      const host = await this.#paths.existingParents(dir.parts, dir.raw).catch((e: unknown) => {
        if (e instanceof UnsafeLayerError) return undefined;
        throw e;
      });
      if (host === undefined) continue;
      const st = await lstatOrUndefined(host);
      if (!st?.isDirectory()) continue;
      await chmod(host, dir.mode);
      await lutimes(host, dir.mtime, dir.mtime);
    }
  }

  result(): ApplyLayerResult {
    return { entries: this.#entries, bytes: this.#bytes, whiteouts: this.#whiteouts, skipped: this.#skipped };
  }

  /** Removes what is at `host` for a new entry; true when it is a directory kept for a directory entry. */
  async #clear(host: string, rel: string, forDirectory: boolean): Promise<boolean> {
    const st = await lstatOrUndefined(host);
    if (st === undefined) return false;
    if (st.isDirectory()) {
      if (forDirectory) return true;
      await rm(host, { recursive: true, force: true });
      this.#paths.forget(rel);
    } else {
      await unlink(host);
    }
    return false;
  }

  async #writeFile(host: string, entry: TarEntry): Promise<void> {
    // O_EXCL|O_NOFOLLOW: a new inode, never an existing file or a symlink's target.
    const fh = await open(host, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of entry.body) {
        let offset = 0;
        while (offset < chunk.length) offset += (await fh.write(chunk, offset, chunk.length - offset)).bytesWritten;
        this.#bytes += chunk.length;
      }
      // chown before chmod: changing the owner clears setuid/setgid bits.
      if (this.#chown) await fh.chown(entry.uid + this.#idOffset, entry.gid + this.#idOffset);
      await fh.chmod(entry.mode);
      await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh.close();
    }
  }

  async #hardlink(host: string, entry: TarEntry): Promise<void> {
    const targetParts = normalizeEntryPath(entry.linkPath);
    if (targetParts.length === 0) throw new UnsafeLayerError(entry.path, 'a hard link cannot point at the root');
    const targetHost = await this.#paths.existingParents(targetParts, entry.path);
    const st = targetHost === undefined ? undefined : await lstatOrUndefined(targetHost);
    if (targetHost === undefined || st === undefined) throw new UnsafeLayerError(entry.path, `its hard link target ${JSON.stringify(entry.linkPath)} does not exist in the layer or below it`);
    if (st.isDirectory()) throw new UnsafeLayerError(entry.path, 'a hard link cannot point at a directory');
    // link(2) does not follow a symlink target: at worst this links the symlink itself.
    await link(targetHost, host);
  }

  async #whiteout(parts: readonly string[], raw: string): Promise<void> {
    this.#whiteouts++;
    const name = parts.at(-1) as string;
    const dirParts = parts.slice(0, -1);
    if (name === OPAQUE_WHITEOUT) {
      const marker = await this.#paths.existingParents(parts, raw);
      if (marker === undefined) return;
      const dirHost = this.#paths.hostPath(dirParts);
      const dirStat = await lstatOrUndefined(dirHost);
      if (!dirStat?.isDirectory()) return;
      for (const child of await readdir(dirHost)) {
        const rel = [...dirParts, child].join('/');
        if (this.#touched.has(rel)) continue;
        await rm(this.#paths.hostPath([...dirParts, child]), { recursive: true, force: true });
        this.#paths.forget(rel);
      }
      return;
    }
    if (name.startsWith(WHITEOUT_META_PREFIX)) return;
    const victim = name.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw new UnsafeLayerError(raw, 'the whiteout names no file');
    const victimParts = [...dirParts, victim];
    const rel = victimParts.join('/');
    if (this.#touched.has(rel)) return; // whiteouts never hide their own layer's content
    const host = await this.#paths.existingParents(victimParts, raw);
    if (host === undefined) return;
    // rm works on the link itself, never on what a symlink points to.
    await rm(host, { recursive: true, force: true });
    this.#paths.forget(rel);
  }

  async #own(host: string, entry: TarEntry): Promise<void> {
    if (this.#chown) await lchown(host, entry.uid + this.#idOffset, entry.gid + this.#idOffset);
  }

  #touch(parts: readonly string[]): void {
    for (let i = 1; i <= parts.length; i++) this.#touched.add(parts.slice(0, i).join('/'));
  }
}
