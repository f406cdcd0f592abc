/**
 * For tests: a SQLite store on a temporary data dir whose every fsync returns `delayMs`
 * late (the store imports fsync from node:fs, patched here), so a batch stays committed and
 * not yet durable long enough for a test to see what runs meanwhile (the placer's pipeline).
 * The pure core's tests cannot touch node:fs themselves; they call this.
 */
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A data dir path on a slow disk, and `restore` to put fsync back and remove the dir (call it once the store is closed). */
export function slowDisk(delayMs: number): { path: string; restore: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-slow-disk-'));
  const original = fs.fsync;
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => { setTimeout(() => original(fd, cb), delayMs); }) as typeof fs.fsync;
  syncBuiltinESMExports();
  return {
    path: join(dir, 'state.db'),
    restore: () => {
      fs.fsync = original;
      syncBuiltinESMExports();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
