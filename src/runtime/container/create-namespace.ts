/**
 * One long-lived mount namespace for crun's `create` on a hybrid cgroup host, instead of a
 * new one per create.
 *
 * crun refuses hybrid cgroups (runtime-notes §1), so `create` must run where cgroup2 is
 * not mounted. The per-call way (oci-runtime.ts hiddenCgroup2Command) starts unshare, sh
 * and mount for every container and copies the whole mount table into a namespace that
 * lives for one call: with ~800 mounts (one overlay and one network namespace per task),
 * `crun run` took 25 ms that way against 19 ms through `nsenter` into a namespace made
 * once. This module makes that namespace, with cgroup2 covered by an empty tmpfs, and
 * pins it at `<runDir>/ns/create` (as `ip netns` pins network namespaces), so conmon runs
 * `nsenter --mount=<file> crun create …`: one program start, no copy.
 *
 * A namespace made once must still see what the host mounts later: each container's
 * rootfs and each task's network namespace file. It is a *slave* of the host's mounts, and
 * those two places are made shared mounts first (bind-mounted onto themselves), so mounts
 * under them reach it: the rootfs mount points live under `<runDir>/rootfs` (not in the
 * data directory, where a mount point would make `rm -rf` of it fail), and `/run/netns`
 * is shared as iproute2 itself leaves it. Mounts made elsewhere on a host whose root
 * mount is private reach only containers created after the next agent start; on a
 * systemd host everything is shared and reaches it at once.
 *
 * Each agent start makes a fresh namespace (so that its peers are today's mounts); the
 * previous one lives on for as long as containers made in it do.
 */

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../../lib/executables.ts';
import { launchChecked } from '../../lib/launcher.ts';
import { mountAt, mountPointsUnder } from '../../lib/mount-table.ts';

/** Where a hybrid host mounts cgroup2 beside the v1 hierarchies. */
export const HYBRID_CGROUP2_MOUNT = '/sys/fs/cgroup/unified';

/** Where `ip netns` pins network namespaces; crun joins a task's by its path here. */
export const NETNS_DIR = '/run/netns';

export interface CreateNamespace {
  /** The pinned namespace: `nsenter --mount=<file>`. */
  readonly file: string;
  /** Mount points of container root filesystems go under this shared directory. */
  readonly rootfsDir: string;
  /** What runs `<runtime> create` in it: `[nsenter, --mount=file, binary]`. */
  command(binary: string): string[];
}

/** Makes the namespace (root only); rejects with the step that failed. */
export async function makeCreateNamespace(runDir: string, o: { netnsDir?: string } = {}): Promise<CreateNamespace> {
  const unshare = findExecutable('unshare');
  const nsenter = findExecutable('nsenter');
  if (unshare === undefined || nsenter === undefined) throw new Error('unshare and nsenter (util-linux) are needed');
  const rootfsDir = join(runDir, 'rootfs');
  await ownMount(rootfsDir, 'shared');
  await ownMount(o.netnsDir ?? NETNS_DIR, 'shared');
  // A namespace file can only be pinned on a private mount.
  const nsDir = join(runDir, 'ns');
  await ownMount(nsDir, 'private');
  const file = join(nsDir, 'create');
  if (mountAt(file)) await launchChecked('umount', [file]);
  writeFileSync(file, '', { mode: 0o600 });
  // crun keeps a page there per running container (see clearCoveredCgroup): 256 MiB is
  // room for 65,536 of them, and a bound should anything ever be left behind.
  await launchChecked(unshare, [`--mount=${file}`, '--propagation', 'slave', '/bin/sh', '-c',
    `mount -t tmpfs -o size=256m,mode=755 berth-no-cgroup2 ${HYBRID_CGROUP2_MOUNT}`]);
  return { file, rootfsDir, command: (binary) => [nsenter, `--mount=${file}`, binary] };
}

/**
 * `dir` as a mount point of its own with the given propagation: bound onto itself unless
 * it already is one. Idempotent; what is mounted under it stays.
 */
async function ownMount(dir: string, propagation: 'shared' | 'private'): Promise<void> {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (!mountAt(dir)) await launchChecked('mount', ['--bind', dir, dir]);
  await launchChecked('mount', [`--make-${propagation}`, dir]);
}

/**
 * Removes what crun left of a container in the namespace's tmpfs over cgroup2. In v1 mode
 * crun still makes the container's cgroup path there and writes its pid into a
 * `cgroup.procs` file: a directory and a page of memory per container that nothing else
 * would ever free (crun's `delete` runs in the host's namespace). `path` is a cgroupsPath,
 * the container's or, once the last one of a task is gone, the task's.
 */
export async function clearCoveredCgroup(nsFile: string, path: string): Promise<void> {
  const nsenter = findExecutable('nsenter');
  if (nsenter === undefined || !path.startsWith('/') || path.split('/').includes('..')) return;
  await launchChecked(nsenter, [`--mount=${nsFile}`, 'rm', '-rf', '--one-file-system', `${HYBRID_CGROUP2_MOUNT}${path}`]);
}

/**
 * Undoes {@link makeCreateNamespace} for hosts being cleaned (tests, benchmarks): the
 * pinned namespace, whatever is still mounted under the rootfs directory (lazily), and the
 * two bind mounts. `/run/netns` stays shared, as iproute2 leaves it. Containers made in
 * the namespace keep running; their root filesystems vanish from the host's view.
 */
export async function removeCreateNamespace(runDir: string): Promise<void> {
  const nsDir = join(runDir, 'ns');
  const rootfsDir = join(runDir, 'rootfs');
  for (const p of [...mountPointsUnder(nsDir), ...mountPointsUnder(rootfsDir)]) await launchChecked('umount', ['-l', p]).catch(() => undefined);
  for (const dir of [nsDir, rootfsDir]) {
    while (mountAt(dir)) await launchChecked('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
