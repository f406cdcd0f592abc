/**
 * Which keys the ECS read cases name, and what Berth's process looks like meanwhile.
 * Reads rotate over at most a fixed number of keys spread evenly over the whole store,
 * so every store size is read with the same working set (and the same wrk request file).
 */

import { readFileSync } from 'node:fs';
import { familyName } from './task-definitions.ts';

/** The store's layout as seeded: `families` families × `revisions` revisions. */
export interface Layout {
  readonly prefix: string;
  readonly families: number;
  readonly revisions: number;
}

/** `family:revision` references, at most `count`, evenly spread over every stored revision. */
export function revisionSample({ prefix, families, revisions }: Layout, count: number): string[] {
  const total = families * revisions;
  const n = Math.min(total, count);
  // Index j runs revision-major (as seeded): j % families is the family, j / families the revision.
  return Array.from({ length: n }, (_, k) => {
    const j = Math.floor((k * total) / n);
    return `${familyName(prefix, j % families)}:${Math.floor(j / families) + 1}`;
  });
}

/** Family names, at most `count`, evenly spread over the seeded families. */
export function familySample({ prefix, families }: Layout, count: number): string[] {
  const n = Math.min(families, count);
  return Array.from({ length: n }, (_, k) => familyName(prefix, Math.floor((k * families) / n)));
}

/**
 * A process's resident memory (VmRSS) in MiB, and its anonymous part (the JS heap,
 * malloc); the rest is file pages mapped in: the node binary and SQLite's mmap of the
 * database (up to its mmap_size), which the kernel may drop and read again.
 */
export function rssMiB(pid: number): { total: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { total: field('VmRSS'), anon: field('RssAnon') };
}
