/**
 * The OCI runtime's binary on a read-only bind mount, so that it does not copy itself at
 * every command.
 *
 * crun (at every command) and runc (in `runc init`) defend against CVE-2019-5736 — a
 * container overwriting the host's runtime binary through /proc/self/exe — by copying
 * their own binary into a sealed memfd and executing that copy, unless the binary already
 * sits on a read-only mount, which a container cannot write through either (crun's
 * src/libcrun/cloned_binary.c, is_self_cloned). The copy is a second program start per
 * command: measured here, `crun list` 2.98 ms → 1.69 ms from the read-only mount.
 *
 * The mount lives in Berth's runtime directory for as long as the host runs (a later
 * agent takes it over) and follows package upgrades: a mount of another inode than the
 * installed binary's is replaced. The mount point is an empty file without execute bits,
 * so that if the mount is ever gone, running it fails loudly (EACCES) instead of a shell
 * taking the empty file for a script that succeeds.
 */

import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { launchChecked } from '../../lib/launcher.ts';
import { mountAt } from '../../lib/mount-table.ts';

/**
 * `binary` bound read-only at `<dir>/<name>`, made now or taken over; resolves with the
 * path to run. Needs root (mount); rejects with the reason when the mount cannot be made.
 */
export async function readOnlyBinary(binary: string, dir: string): Promise<string> {
  const target = join(dir, basename(binary));
  const current = mountAt(target);
  if (current !== undefined) {
    if (current.readOnly && sameFile(binary, target)) return target;
    await launchChecked('umount', ['-l', target]); // another inode (the package was upgraded), or writable
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(target, '', { mode: 0o600 });
  await launchChecked('mount', ['--bind', binary, target]);
  await launchChecked('mount', ['-o', 'remount,bind,ro', target]);
  if (!mountAt(target)?.readOnly) throw new Error(`${target} did not become a read-only mount`);
  return target;
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Unmounts every read-only binary in `dir` and removes it (for hosts being cleaned: tests, benchmarks). */
export async function removeReadOnlyBinaries(dir: string): Promise<void> {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const target = join(dir, name);
    while (mountAt(target)) await launchChecked('umount', ['-l', target]);
  }
  rmSync(dir, { recursive: true, force: true });
}
