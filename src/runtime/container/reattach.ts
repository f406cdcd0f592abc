/**
 * Finding a container again from its state directory after the agent restarted (even
 * after kill -9): without touching it, decide whether it still runs (and whether its
 * conmon still watches it), has ended with a known status, or was lost.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Container, type ExitStatus } from './container.ts';
import { processAlive, processInCgroup, waitForFile } from './exit-watch.ts';
import { runtimeCommand } from './oci-runtime.ts';
import { readNumberFile, readRecord, statePaths } from './state-dir.ts';

/**
 * conmon writes the exit file right after the container ends; when the container is
 * gone but conmon is not, give it this long before calling the status lost.
 */
export const EXIT_FILE_GRACE_MS = 2_000;

export type Reattached =
  /** Created and never started (the agent died between create and start). */
  | { readonly state: 'created'; readonly container: Container }
  /** Running. `monitored` is false when its conmon died: the exit status will be lost. */
  | { readonly state: 'running'; readonly container: Container; readonly monitored: boolean }
  | { readonly state: 'exited'; readonly container: Container; readonly exit: ExitStatus }
  /** Ended without anyone recording how; `delete` still cleans up. */
  | { readonly state: 'lost'; readonly container: Container; readonly reason: string };

export async function reattach(stateDir: string): Promise<Reattached> {
  const record = readRecord(stateDir);
  const paths = statePaths(stateDir, record.id);
  const pid = readNumberFile(paths.pidfile) ?? 0;
  const container = new Container(stateDir, record, pid);
  const exited = () => {
    const exit = container.exitStatus();
    return exit ? { state: 'exited' as const, container, exit } : undefined;
  };
  const known = exited();
  if (known) return known;

  // The pid must still be this container's (same cgroup), not a reused number.
  if (pid > 0 && processAlive(pid) && processInCgroup(pid, record.cgroupsPath)) {
    const monitored = container.conmonPid() !== undefined;
    const status = await runtimeStatus(container);
    if (status === 'created') return { state: 'created', container };
    return { state: 'running', container, monitored };
  }
  if (container.conmonPid() !== undefined && (await waitForFile(paths.exitFile, EXIT_FILE_GRACE_MS))) {
    const late = exited();
    if (late) return late;
  }
  return { state: 'lost', container, reason: pid > 0 ? 'the container and its conmon ended without an exit file' : 'conmon never reported a container pid' };
}

/** Every container state directory under `dir` (each a subdirectory with a container.json). */
export function stateDirsUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.map((n) => join(dir, n)).filter((d) => {
    try {
      readRecord(d);
      return true;
    } catch {
      return false;
    }
  });
}

async function runtimeStatus(c: Container): Promise<string | undefined> {
  try {
    const { stdout } = await runtimeCommand(c.record.runtime, ['state', c.id]);
    return (JSON.parse(stdout) as { status?: string }).status;
  } catch {
    return undefined;
  }
}
