import { mkdirSync } from 'node:fs';
import type { BindMount } from '../runtime/container/index.ts';
import type { Assignment } from './protocol.ts';
import type { taskLayout } from './task-layout.ts';

interface Volume {
  name?: string;
  host?: { sourcePath?: string };
}

/**
 * The bind mounts of one container: its `mountPoints` (a task volume with a host
 * `sourcePath` binds that host path; any other volume is a directory scoped to the task,
 * shared by its containers and removed with it) and the mount points of the containers
 * it names in `volumesFrom`.
 */
export function taskMounts(a: Assignment, container: string, layout: ReturnType<typeof taskLayout>): BindMount[] {
  const volumes = new Map(((a.taskDefinition.volumes ?? []) as Volume[]).map((v) => [v.name ?? '', v]));
  const byName = new Map(a.containers.map((c) => [c.name, c]));
  const mountsOf = (name: string, readOnlyAll: boolean): BindMount[] =>
    (byName.get(name)?.mountPoints ?? []).map((m) => {
      const v = volumes.get(m.sourceVolume ?? '');
      const source = v?.host?.sourcePath ?? layout.volume(m.sourceVolume ?? 'unnamed');
      mkdirSync(source, { recursive: true });
      return { source, destination: m.containerPath!, readOnly: readOnlyAll || m.readOnly === true };
    });
  const own = mountsOf(container, false);
  const inherited = (byName.get(container)?.volumesFrom ?? []).flatMap((v) => mountsOf(v.sourceContainer!, v.readOnly === true));
  return [...own, ...inherited];
}
