import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
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
 */
export function replaceFileSync(path: string, data: string, { durable = false } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, durable ? { flush: true } : {});
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
