import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { TaskSpec, VolumeSpec } from '../core/workload/spec.ts';
import type { BindMount } from '../runtime/container/index.ts';
import type { taskLayout } from './task-layout.ts';

/** Files of a `files` volume get these permission bits unless the item sets its own (Kubernetes' defaultMode). */
const DEFAULT_FILE_MODE = 0o644;

/**
 * The bind mounts of one container, from its spec's mounts (ECS mountPoints and volumesFrom,
 * resolved by the control plane): a `hostPath` volume binds that host path; a `scratch`
 * volume, or a name the task has no volume for, is a directory scoped to the task, shared by
 * its containers and removed with it; a `files` volume is such a directory with the files
 * the control plane provided written into it first.
 */
export function taskMounts(spec: Pick<TaskSpec, 'volumes' | 'containers'>, container: string, layout: ReturnType<typeof taskLayout>): BindMount[] {
  const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
  return (spec.containers.find((c) => c.name === container)?.mounts ?? []).map((m) => {
    const v = volumes.get(m.volume);
    const root = v && 'hostPath' in v ? v.hostPath.path : layout.volume(m.volume);
    mkdirSync(root, { recursive: true });
    if (v && 'files' in v) writeFiles(root, v);
    const source = m.subPath ? inside(root, m.subPath) : root;
    if (m.subPath) mkdirSync(source, { recursive: true });
    return { source, destination: m.path, readOnly: m.readOnly };
  });
}

/** Writes a files volume's items (again for each container that mounts it: the same bytes). */
function writeFiles(root: string, v: Extract<VolumeSpec, { files: unknown }>): void {
  for (const item of v.files.items) {
    const path = inside(root, item.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(item.content, 'base64'));
    chmodSync(path, item.mode ?? DEFAULT_FILE_MODE);
  }
}

/** `relative` under `root`; a path that would leave it (`..`, absolute) is refused. */
function inside(root: string, relative: string): string {
  const n = normalize(relative);
  if (n.startsWith('..') || n.startsWith('/')) throw new Error(`volume path ${JSON.stringify(relative)} leaves its volume`);
  return join(root, n);
}
