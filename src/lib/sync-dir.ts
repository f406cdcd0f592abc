import { open } from 'node:fs/promises';

/**
 * fsync(2) of a directory: after a file is renamed into it (or created or removed), the
 * name itself survives a crash only once its directory is synced.
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
