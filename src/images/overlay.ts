/**
 * overlayfs mounts through util-linux `mount`/`umount` (Node has no mount(2); they are
 * started by the launcher, src/lib/launcher.ts, which forks a shell, not Node).
 *
 * Debian 12's mount (util-linux 2.38) passes options with the classic mount(2), whose
 * data is limited to one page: lower directories are therefore given as short names
 * relative to `cwd` (the layer store's `l/` directory of links), as Docker's overlay2
 * driver does, and the whole option string is checked against the limit first.
 */

import { mountTable } from '../lib/mount-table.ts';
import { launchChecked as run } from '../lib/launcher.ts';
import { ImageStoreError } from './errors.ts';

/** mount(2) copies at most one page of option data (4096 bytes on Linux). */
export const MOUNT_DATA_LIMIT = 4096;
/** overlayfs stacks at most this many lower layers (OVL_MAX_STACK in the kernel). */
export const MAX_LOWER_LAYERS = 500;
/** mount and umount of an overlay take milliseconds; a stuck one is a failure, not a hang. */
const MOUNT_TIMEOUT_MS = 30_000;

export interface OverlaySpec {
  /** Lower directories, topmost first, as paths relative to `cwd` (or absolute). */
  readonly lower: readonly string[];
  /** Directory the lower paths are relative to. */
  readonly cwd: string;
  readonly upper: string;
  readonly work: string;
  readonly target: string;
}

/** Mounts an overlay; throws ImageStoreError with mount's own words when the kernel refuses. */
export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  if (spec.lower.length === 0) throw new ImageStoreError('an overlay needs at least one lower directory');
  if (spec.lower.length > MAX_LOWER_LAYERS) throw new ImageStoreError(`the image has ${spec.lower.length} layers; overlayfs mounts at most ${MAX_LOWER_LAYERS}`);
  for (const p of [...spec.lower, spec.upper, spec.work]) {
    // Option syntax: ',' separates options, ':' lower dirs, '\' escapes; mount can't take them unescaped.
    if (/[,:\\\n]/.test(p)) throw new ImageStoreError(`cannot use ${JSON.stringify(p)} in an overlay mount: paths may not contain ',', ':', '\\' or newlines`);
  }
  const options = `lowerdir=${spec.lower.join(':')},upperdir=${spec.upper},workdir=${spec.work}`;
  if (options.length >= MOUNT_DATA_LIMIT) {
    throw new ImageStoreError(`the image's ${spec.lower.length} layers make overlay options of ${options.length} bytes, more than the kernel's ${MOUNT_DATA_LIMIT}; flatten the image into fewer layers`);
  }
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, spec.target], { cwd: spec.cwd, timeoutMs: MOUNT_TIMEOUT_MS });
  } catch (e) {
    const why = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0];
    throw new ImageStoreError(`cannot mount the container's root filesystem at ${spec.target}: ${why} (overlay mounts need root and a kernel with overlayfs)`);
  }
}

/**
 * Unmounts `target`. When it is busy (a process still has it open), it is detached
 * lazily instead: it disappears from the mount table now and the kernel frees it when
 * the last user goes.
 */
export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', [target], { timeoutMs: MOUNT_TIMEOUT_MS });
  } catch (e) {
    if (!(await isMountPoint(target))) return;
    try {
      await run('umount', ['-l', target], { timeoutMs: MOUNT_TIMEOUT_MS });
    } catch {
      const why = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0];
      throw new ImageStoreError(`cannot unmount ${target}: ${why}`);
    }
  }
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountTable()).some((m) => m.mountPoint === path);
}
