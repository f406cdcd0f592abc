/** Small filesystem helpers of the image and layer stores: atomic JSON files, stale temporaries, syncing. */

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { launchChecked as run } from '../lib/launcher.ts';
import { syncDir } from '../lib/sync-dir.ts';

/** Writes JSON by temp file, fsync and rename: readers see the old file or the new one, never a torn one. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(value, null, 1)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}


/**
 * syncfs(2) of the filesystem holding `path` (coreutils `sync -f`): flushes a whole
 * unpacked layer in one call instead of an fsync per file.
 */
export async function syncFilesystem(path: string): Promise<void> {
  await run('sync', ['-f', path]);
}

/** A temporary name that says which process made it: `<pid>-<random>`. */
export function tempName(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * True when a temporary named by {@link tempName} was left by a process that is gone
 * (killed mid-pull), or by this process and is not in `ours` (a previous life of this
 * pid number).
 */
export function isStaleTemp(name: string, ours: ReadonlySet<string>): boolean {
  const pid = Number(name.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return !ours.has(name);
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
