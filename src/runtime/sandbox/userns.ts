/**
 * The userns fallback (Isolation `userns`): where runsc cannot run, a Fargate task's
 * containers run under conmon with crun or runc as EC2 tasks do, but each in a user
 * namespace where root is {@link USERNS_HOST_ID} on the host (runtime-notes §3), with
 * Docker's seccomp profile and no-new-privileges as always. Root inside owns nothing of
 * the host's.
 *
 * The root filesystem must be owned by the mapped ids, or root inside could not write to
 * its own `/`: the container's root filesystem (the image's overlay) is copied into a
 * directory beside it with every owner shifted by the mapping (the chown-shifted copy of
 * runtime-notes §3; an idmapped lower layer would avoid the copy but needs mount_setattr,
 * which no tool here offers). Set-id bits survive the chown (it clears them; they are set again).
 * The task's cpu and memory are set on the task's cgroup, above its containers'.
 */

import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { launchChecked } from '../../lib/launcher.ts';
import { applyTaskCgroup, Container, type CreateOptions } from '../container/index.ts';
import { taskResources } from './gvisor-spec.ts';
import type { SandboxBackend, SandboxTask, TaskContainer, TaskSandbox } from './types.ts';

/** Root inside is this uid and gid outside (the range Debian's /etc/subuid would give its first user). */
export const USERNS_HOST_ID = 100_000;
/** Ids mapped: 0..65535 inside, as every image's files expect. */
export const USERNS_SIZE = 65_536;
/** Bounds the copy of a large image on a slow disk. */
const COPY_TIMEOUT_MS = 10 * 60_000;

/** Pure: the owner a file of the image gets in the shifted copy (ids past the range go to the overflow id, as the kernel shows them). */
export function shiftedId(id: number, hostId = USERNS_HOST_ID, size = USERNS_SIZE): number {
  return id < size ? hostId + id : hostId + 65_534;
}

/** Adds the mapping to every owner under `dir` (not following symlinks), keeping set-id bits. */
export function shiftOwners(dir: string, hostId = USERNS_HOST_ID, size = USERNS_SIZE): void {
  const walk = (path: string) => {
    const st = lstatSync(path);
    lchownSync(path, shiftedId(st.uid, hostId, size), shiftedId(st.gid, hostId, size));
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) chmodSync(path, st.mode & 0o7777);
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
}

/**
 * The runtime resolves the root filesystem's path as root of the user namespace, i.e. as
 * {@link USERNS_HOST_ID} on the host: every directory above it needs search permission for
 * others (crun: ``make `…` private: Permission denied``). Adds x only (no listing).
 */
export function searchableAncestors(path: string): void {
  for (let dir = dirname(path); dir !== '/' && dir !== '.'; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
  }
}

/**
 * Where a container's shifted root filesystem is: beside its state directory, on the
 * agent's data disk (the image's overlay may be mounted on a tmpfs), a plain directory, so
 * that a create namespace made earlier sees it; removed with the task's directory.
 */
export function shiftedRootfs(stateDir: string): string {
  return `${stateDir.replace(/\/+$/, '')}.rootfs`;
}

class UsernsSandbox implements TaskSandbox {
  readonly isolation = 'userns' as const;
  readonly #copies: string[] = [];

  async createContainer(o: CreateOptions): Promise<TaskContainer> {
    const copy = shiftedRootfs(o.stateDir);
    await rm(copy, { recursive: true, force: true });
    mkdirSync(copy, { recursive: true });
    this.#copies.push(copy);
    await launchChecked('cp', ['-a', `${o.rootfsPath}/.`, `${copy}/`], { timeoutMs: COPY_TIMEOUT_MS });
    shiftOwners(copy);
    searchableAncestors(copy);
    return Container.create({ ...o, rootfsPath: copy, userNamespace: { hostId: USERNS_HOST_ID, size: USERNS_SIZE } });
  }

  async destroy(): Promise<void> {
    await Promise.all(this.#copies.map((c) => rm(c, { recursive: true, force: true })));
  }
}

export const USERNS_BACKEND: SandboxBackend = {
  isolation: 'userns',
  open: (task: SandboxTask) => {
    // The task's size on its cgroup, the parent of its containers' (as the sandbox's is for gVisor).
    const r = taskResources(task.cpuUnits, task.memoryMiB);
    applyTaskCgroup(task.cgroupPath, {
      memoryBytes: r.memory?.limit,
      cpu: r.cpu?.quota !== undefined && r.cpu.period !== undefined ? { quotaUs: r.cpu.quota, periodUs: r.cpu.period } : undefined,
    });
    return Promise.resolve(new UsernsSandbox());
  },
  // Its containers are the container module's: the agent reattaches them from their state directories.
  reattach: () => Promise.resolve(undefined),
};
