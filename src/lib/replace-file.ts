import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces a file atomically: a temporary file beside it, renamed over it. Readers see the
 * old contents or the new, never a torn file; a killed process loses nothing (the page
 * cache outlives it). Synchronous: a few system calls, cheaper than four hops through
 * libuv's thread pool.
 *
 * Without `durable`, no fsync: a power loss may undo the change, which suits state about
 * what a reboot ends anyway (mounts, namespaces, running containers and their tasks).
 * With it, the file's data and then its directory are synced before this returns, so the
 * new contents survive a power loss too: for what outlives a reboot (the agent's identity).
 * `mode` is the new file's (0o600 for secrets): it is set as the file is created, so the
 * contents are never readable by others, not even for a moment.
 */
export function replaceFileSync(path: string, data: string, { durable = false, mode }: { durable?: boolean; mode?: number } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // A leftover of a crash would keep its own mode: only a new file takes `mode`.
  if (mode !== undefined) rmSync(tmp, { force: true });
  writeFileSync(tmp, data, { ...(mode !== undefined && { mode }), ...(durable && { flush: true }) });
  renameSync(tmp, path);
  if (durable) syncDirSync(dirname(path));
}

function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
