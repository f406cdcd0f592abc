/**
 * Waiting for conmon's exit file and for processes to go away. The exit file appears by
 * rename (conmon writes it atomically), so an inotify watch on its directory sees it; a
 * slow poll backs the watch up, since inotify events can be missed on overflow.
 */

import { existsSync, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** The poll behind the inotify watch; only matters if an event is lost. */
const POLL_MS = 250;
/** How often a process is checked for while waiting for it to exit (it has no file to watch). */
const PROCESS_POLL_MS = 20;

/** Resolves true as soon as `path` exists, false after `timeoutMs`. */
export function waitForFile(path: string, timeoutMs: number): Promise<boolean> {
  if (existsSync(path)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const finish = (found: boolean) => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
      resolve(found);
    };
    const check = () => {
      if (existsSync(path)) finish(true);
    };
    const timer = setTimeout(() => finish(existsSync(path)), timeoutMs);
    const poll = setInterval(check, POLL_MS);
    try {
      watcher = watch(dirname(path), (_event, name) => {
        if (name === null || name === basename(path)) check();
      });
      watcher.on('error', () => {});
    } catch {
      // The directory is gone or not watchable: the poll still works.
    }
    check(); // it may have appeared before the watch was set up
  });
}

/** True while /proc/<pid> exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesized command, which may hold spaces) is the state.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Resolves true once the process is gone, false after `timeoutMs`. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, PROCESS_POLL_MS));
  }
  return true;
}

/** The NUL-separated argv of a process, or undefined when it is gone. */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** True when the process sits in `cgroupsPath` in some hierarchy: how a pid is told apart from a reused one. */
export function processInCgroup(pid: number, cgroupsPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').some((l) => l.slice(l.indexOf(':', l.indexOf(':') + 1) + 1) === cgroupsPath);
  } catch {
    return false;
  }
}
