/**
 * The mount table of a container: the standard /proc, /dev, /sys set (Docker's, with /sys
 * read-only unless privileged), /dev/shm sized by `sharedMemorySize`, ECS tmpfs mounts,
 * bind mounts for volumes, the generated /etc files and the init binary.
 */

import { posix } from 'node:path';
import { ContainerConfigError } from './errors.ts';
import type { OciMount } from './oci-spec.ts';

/** /dev/shm size when `sharedMemorySize` is not set: Docker's default, 64 MiB. */
export const DEFAULT_SHM_MIB = 64;
/** Where the init binary (catatonit) appears: on the /dev tmpfs, so the image is never written to. */
export const INIT_PATH_IN_CONTAINER = '/dev/init';

export interface BindMount {
  /** Host path. */
  readonly source: string;
  /** Absolute path in the container. */
  readonly destination: string;
  readonly readOnly?: boolean;
}

/** ECS `linuxParameters.tmpfs` entry. */
export interface TmpfsMount {
  readonly containerPath: string;
  /** MiB. */
  readonly size: number;
  readonly mountOptions?: readonly string[];
}

/** The tmpfs options ECS accepts (`Tmpfs.mountOptions` in the ECS API reference). */
const TMPFS_OPTIONS = new Set([
  'defaults', 'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async', 'dirsync',
  'remount', 'mand', 'nomand', 'atime', 'noatime', 'diratime', 'nodiratime', 'bind', 'rbind', 'unbindable',
  'runbindable', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'relatime', 'norelatime',
  'strictatime', 'nostrictatime', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol',
]);

const m = (destination: string, type: string, source: string, options: string[]): OciMount => ({ destination, type, source, options });

export function standardMounts(opts: { privileged: boolean; shmMib: number }): OciMount[] {
  const sysOptions = ['nosuid', 'noexec', 'nodev', opts.privileged ? 'rw' : 'ro'];
  return [
    m('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
    m('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    m('/dev/pts', 'devpts', 'devpts', ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']),
    m('/dev/shm', 'tmpfs', 'shm', ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${opts.shmMib * 1024}k`]),
    m('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
    m('/sys', 'sysfs', 'sysfs', sysOptions),
    m('/sys/fs/cgroup', 'cgroup', 'cgroup', [...sysOptions, 'relatime']),
  ];
}

export function shmSize(sharedMemorySize: number | undefined): number {
  if (sharedMemorySize === undefined) return DEFAULT_SHM_MIB;
  if (!Number.isInteger(sharedMemorySize) || sharedMemorySize < 1) throw new ContainerConfigError(`sharedMemorySize ${sharedMemorySize} must be a whole number of MiB, at least 1`);
  return sharedMemorySize;
}

export function tmpfsMounts(entries: readonly TmpfsMount[] | undefined): OciMount[] {
  return (entries ?? []).map((t) => {
    const dest = containerPath(t.containerPath, 'tmpfs containerPath');
    if (!Number.isInteger(t.size) || t.size < 1) throw new ContainerConfigError(`tmpfs ${dest}: size ${t.size} must be a whole number of MiB, at least 1`);
    const options = ['nosuid', 'nodev'];
    for (const o of t.mountOptions ?? []) {
      const key = o.split('=')[0] ?? '';
      if (!TMPFS_OPTIONS.has(key)) throw new ContainerConfigError(`tmpfs ${dest}: mount option ${JSON.stringify(o)} is not allowed; allowed: ${[...TMPFS_OPTIONS].join(', ')}`);
      if (key === 'defaults') continue;
      options.push(o);
    }
    options.push(`size=${t.size * 1024}k`);
    return m(dest, 'tmpfs', 'tmpfs', options);
  });
}

export function bindMounts(binds: readonly BindMount[] | undefined): OciMount[] {
  return (binds ?? []).map((b) => {
    if (!posix.isAbsolute(b.source)) throw new ContainerConfigError(`bind mount source ${JSON.stringify(b.source)} must be an absolute host path`);
    return m(containerPath(b.destination, 'mount point containerPath'), 'bind', b.source, ['rbind', 'rprivate', b.readOnly ? 'ro' : 'rw']);
  });
}

/** /etc/hosts, /etc/hostname, /etc/resolv.conf from files in `etcDir` (host path). */
export function etcMounts(etcDir: string, readOnly: boolean): OciMount[] {
  return ['hosts', 'hostname', 'resolv.conf'].map((f) => m(`/etc/${f}`, 'bind', posix.join(etcDir, f), ['rbind', 'rprivate', readOnly ? 'ro' : 'rw']));
}

export function initMount(hostPath: string): OciMount {
  return m(INIT_PATH_IN_CONTAINER, 'bind', hostPath, ['bind', 'ro', 'nosuid', 'nodev']);
}

/** Absolute, normalized, not `/` and without `..`: a path the runtime can mount on. */
function containerPath(p: string, field: string): string {
  if (typeof p !== 'string' || !p.startsWith('/') || p.split('/').includes('..')) {
    throw new ContainerConfigError(`${field} ${JSON.stringify(p)} must be an absolute path without ".." components`);
  }
  const norm = posix.normalize(p).replace(/\/+$/, '');
  if (norm === '') throw new ContainerConfigError(`${field} must not be "/"`);
  return norm;
}
