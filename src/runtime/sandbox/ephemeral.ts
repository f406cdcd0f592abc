/**
 * A task's ephemeral storage: a sparse file of the task's size (20 GiB by default on
 * Fargate), formatted ext4 and loop-mounted. runsc keeps the root filesystems' writable
 * layers in a file store on it (`--overlay2=root:dir=`), so a task that writes past its
 * ephemeral storage gets ENOSPC, and its writes never fill the host's disk. Sparse: a task
 * costs the disk what it wrote, not its size.
 */

import { closeSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { launch, launchChecked } from '../../lib/launcher.ts';

/** mkfs with no journal (the disk dies with its task: nothing to recover) and lazy tables: ~10 ms for 20 GiB. */
const MKFS_ARGS = ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', 'lazy_itable_init=1,nodiscard'];
/** Bounds a mount or mkfs on a wedged disk. */
const DISK_COMMAND_TIMEOUT_MS = 30_000;

export async function mountEphemeral(image: string, dir: string, sizeGiB: number): Promise<void> {
  const fd = openSync(image, 'w', 0o600);
  try {
    ftruncateSync(fd, sizeGiB * 1024 ** 3);
  } finally {
    closeSync(fd);
  }
  await launchChecked('mkfs.ext4', [...MKFS_ARGS, image], { timeoutMs: DISK_COMMAND_TIMEOUT_MS });
  mkdirSync(dir, { recursive: true });
  // The loop device goes with the unmount (autoclear, which mount -o loop sets).
  await launchChecked('mount', ['-o', 'loop,nosuid,nodev,noexec', image, dir], { timeoutMs: DISK_COMMAND_TIMEOUT_MS });
}

/** Unmounts and removes the disk; one that is not mounted (or gone) is not an error. */
export async function removeEphemeral(image: string, dir: string): Promise<void> {
  const r = await launch('umount', [dir], { timeoutMs: DISK_COMMAND_TIMEOUT_MS });
  if (r.code !== 0 && !/not mounted|no mount point|No such file/i.test(r.stderr)) throw new Error(`umount ${dir}: ${r.stderr.trim()}`);
  await rm(image, { force: true });
  await rm(dir, { recursive: true, force: true }).catch(async (e: NodeJS.ErrnoException) => {
    // Still mounted: a process of a sandbox killed a moment ago held a file of it. Detach it lazily.
    if (e.code !== 'EBUSY') throw e;
    await launchChecked('umount', ['--lazy', dir], { timeoutMs: DISK_COMMAND_TIMEOUT_MS });
    await rm(dir, { recursive: true, force: true });
  });
}
