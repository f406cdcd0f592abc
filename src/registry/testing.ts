/** For the registry's tests: temp dirs on disk, and whether their filesystem takes O_DIRECT. */

import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A temp dir on disk, where Berth keeps blobs (/var/tmp: /tmp is a tmpfs on Debian 13),
 * removed after the test.
 */
export async function diskTempDir(t: { after(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join('/var/tmp', prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether the filesystem of `dir` takes O_DIRECT (where not, blob files go through the page cache). */
export async function takesDirect(dir: string): Promise<boolean> {
  const probe = join(dir, '.direct-probe');
  try {
    await (await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT)).close();
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}
