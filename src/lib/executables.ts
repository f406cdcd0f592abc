import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where system tools live when PATH (a service's, say) leaves them out. */
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** An executable named `name` on PATH or in the usual system directories. */
export function findExecutable(name: string): string | undefined {
  for (const d of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS]) {
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
