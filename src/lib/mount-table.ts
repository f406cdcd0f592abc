/**
 * The mount table of this process's mount namespace, from /proc/self/mountinfo: one parser
 * for the image store (overlay mounts), the runtime's own mounts and the clean-ups.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const MOUNTINFO = '/proc/self/mountinfo';

export interface MountEntry {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: string;
  /** The mount itself is read-only (its per-mount options say `ro`). */
  readonly readOnly: boolean;
}

/** Parses mountinfo: `id parent major:minor root mount-point options [optional…] - fstype source super-options`. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [before, after] = line.split(' - ');
    const fields = before?.split(' ') ?? [];
    const tail = after?.split(' ') ?? [];
    if (fields[4] === undefined || tail[0] === undefined) continue;
    entries.push({
      mountPoint: unescapeMountinfo(fields[4]), fsType: tail[0], source: unescapeMountinfo(tail[1] ?? ''), superOptions: tail[2] ?? '',
      readOnly: (fields[5] ?? '').split(',').includes('ro'),
    });
  }
  return entries;
}

export async function mountTable(file = MOUNTINFO): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(file, 'utf8'));
}

export function mountTableSync(file = MOUNTINFO): MountEntry[] {
  return parseMountinfo(readFileSync(file, 'utf8'));
}

/** The mount at exactly `path`: the last one there, which is what a lookup sees. */
export function mountAt(path: string, file = MOUNTINFO): MountEntry | undefined {
  return mountTableSync(file).findLast((m) => m.mountPoint === path);
}

/** Mount points strictly under `dir`, deepest first (the order to unmount them in). */
export function mountPointsUnder(dir: string, file = MOUNTINFO): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountTableSync(file).map((m) => m.mountPoint).filter((p) => p.startsWith(prefix)).sort((a, b) => b.length - a.length);
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
