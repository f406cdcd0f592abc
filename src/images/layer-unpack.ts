/**
 * Unpacks one layer blob into a directory that overlayfs can use as a lower layer on
 * its own (the layer store keeps one such directory per layer, shared by every image
 * that has the layer).
 *
 * src/oci's applyLayer does the unpacking (ownership, modes, hard links, confinement).
 * What it cannot do here is whiteouts: in an empty directory there is nothing below
 * to delete. So the tar is read a second time, in the same pass, for its whiteout
 * entries, and each becomes what overlayfs reads as one (Documentation/filesystems/
 * overlayfs.rst, "whiteouts and opaque directories"):
 * - `.wh.NAME`        → a character device 0/0 named NAME (mknod(1));
 * - `.wh..wh..opq`    → the xattr `trusted.overlay.opaque=y` on its directory
 *                       (setfattr(1) from Debian's `attr`: Node has no setxattr).
 * A whiteout never hides what its own layer put at that path (layer.md), so a name
 * the layer created stays as it is.
 *
 * The uncompressed stream is hashed on the way and must equal the layer's diff_id.
 */

import { PassThrough, Readable, pipeline } from 'node:stream';
import { decompress } from '../oci/compression.ts';
import { DigestingStream, type Digest } from '../oci/digest.ts';
import { applyLayer } from '../oci/layer-apply.ts';
import { RootfsPaths, lstatOrUndefined, normalizeEntryPath } from '../oci/rootfs-path.ts';
import { readTar } from '../oci/tar-reader.ts';
import { launchChecked as run } from '../lib/launcher.ts';
import { ImageStoreError } from './errors.ts';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Other `.wh..wh.` names are AUFS metadata (hard-link directories), never content. */
const WHITEOUT_META_PREFIX = '.wh..wh.';
/** The xattr overlayfs reads to make a directory hide the layers below it. */
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface UnpackResult {
  readonly entries: number;
  /** File content bytes written. */
  readonly bytes: number;
  readonly whiteouts: number;
  readonly opaqueDirs: number;
}

/**
 * Unpacks `blob` (a layer, compressed or not) into the empty directory `target` and
 * converts its whiteouts. Throws DigestMismatchError when the uncompressed content is
 * not `diffId`; what was written stays (the caller unpacks into a temporary directory).
 */
export async function unpackLayer(blob: Readable, diffId: Digest, target: string): Promise<UnpackResult> {
  const digesting = new DigestingStream({ expected: diffId });
  const tar = pipeline(Readable.from(decompress(blob)), digesting, () => {});
  const toApply = new PassThrough();
  const toScan = new PassThrough();
  // pipe() to two readers: the slower one sets the pace, so memory stays one buffer each.
  tar.pipe(toApply);
  tar.pipe(toScan);
  tar.on('error', (e) => {
    toApply.destroy(e);
    toScan.destroy(e);
  });
  // Their readers see errors through iteration; a reader that has already stopped must not
  // turn a late error into an uncaught one.
  const ignore = () => undefined;
  toApply.on('error', ignore);
  toScan.on('error', ignore);
  const applying = applyLayer(target, toApply);
  const scanning = whiteoutsOf(toScan);
  let applied: Awaited<typeof applying>;
  let whiteouts: string[];
  try {
    [applied, whiteouts] = await Promise.all([applying, scanning]);
  } catch (e) {
    // One reader failed (a hostile entry, a broken stream): stop the other one too, or it
    // would wait for bytes that never come. Both settle before the caller removes the
    // directory they write into.
    for (const s of [blob, tar, toApply, toScan]) if (!s.destroyed) s.destroy(e as Error);
    await Promise.allSettled([applying, scanning]);
    throw e;
  }
  if (digesting.digest !== diffId) throw new ImageStoreError(`layer ${diffId} unpacked to different content (${digesting.digest})`);
  let opaqueDirs = 0;
  const paths = new RootfsPaths(target);
  for (const raw of whiteouts) opaqueDirs += (await convertWhiteout(paths, raw)) ? 1 : 0;
  return { entries: applied.entries, bytes: applied.bytes, whiteouts: whiteouts.length, opaqueDirs };
}

/** The whiteout entries' paths, in archive order; bodies are skipped. */
async function whiteoutsOf(tar: AsyncIterable<Uint8Array>): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of readTar(tar)) {
    const name = entry.path.replace(/\/+$/, '').split('/').at(-1) ?? '';
    if (name.startsWith(WHITEOUT_PREFIX)) found.push(entry.path);
  }
  return found;
}

/** Writes one whiteout in overlay form; true when it made an opaque directory. */
async function convertWhiteout(paths: RootfsPaths, raw: string): Promise<boolean> {
  const parts = normalizeEntryPath(raw);
  const name = parts.at(-1) as string;
  const dirParts = parts.slice(0, -1);
  if (name === OPAQUE_MARKER) {
    // prepareParents creates missing parents and refuses symlinks: the xattr lands on a real directory inside.
    await paths.prepareParents(parts, raw);
    await setOpaque(paths.hostPath(dirParts));
    return true;
  }
  if (name.startsWith(WHITEOUT_META_PREFIX)) return false;
  const victim = name.slice(WHITEOUT_PREFIX.length);
  if (victim === '' || victim === '.' || victim === '..') throw new ImageStoreError(`layer entry ${JSON.stringify(raw)} is a whiteout that names no file`);
  const victimParts = [...dirParts, victim];
  const host = await paths.prepareParents(victimParts, raw);
  if ((await lstatOrUndefined(host)) !== undefined) return false;
  await run('mknod', ['-m', '000', host, 'c', '0', '0']);
  return false;
}

async function setOpaque(dir: string): Promise<void> {
  try {
    // -h: never follow a symlink (prepareParents already refused them; this keeps it so).
    await run('setfattr', ['-h', '-n', OPAQUE_XATTR, '-v', 'y', dir]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ImageStoreError('this layer has an opaque directory, which needs setfattr: install the Debian package attr (apt-get install attr)');
    }
    throw new ImageStoreError(`cannot mark ${dir} opaque: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`);
  }
}
