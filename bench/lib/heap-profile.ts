/**
 * What a run allocated, from a V8 sampling heap profile (`HeapProfiler.startSampling` with
 * the objects the collectors freed kept in): bytes per function, and per unit of work. On a
 * machine shared with other work this is the steady figure (like bytes written per task):
 * the load moves CPU time and the collector's share, not what the code allocates.
 *
 *   node bench/lib/heap-profile.ts FILE.heapprofile [TOP=30] [UNITS] [EXCLUDE]
 *     UNITS: to show bytes per unit; EXCLUDE: function names (comma-separated) whose subtrees are one-off work
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One sample every this many bytes allocated (V8's default is 32 KiB; finer, for per-task figures). */
export const HEAP_SAMPLING_INTERVAL_BYTES = 4_096;

/** The parameters of `HeapProfiler.startSampling` for a profile this module summarizes. */
export const SAMPLING = { samplingInterval: HEAP_SAMPLING_INTERVAL_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as const;

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface AllocationSummary {
  /** Bytes allocated outside `excluded` frames' subtrees. */
  readonly bytes: number;
  /** Bytes allocated under the `excluded` frames (a run's one-off work, e.g. the placer session's reopen). */
  readonly excludedBytes: number;
  /** Bytes per function (self), largest first, at most `top`. */
  readonly self: readonly { readonly name: string; readonly bytes: number }[];
}

/**
 * Sums a profile's self sizes per function. Frames named in `exclude` (function names) are
 * left out with everything under them: a fixed cost of the run, not of each unit.
 */
export function summarizeHeap(path: string, top = 30, exclude: readonly string[] = []): AllocationSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { head: HeapNode };
  const self = new Map<string, number>();
  let bytes = 0;
  let excludedBytes = 0;
  const walk = (n: HeapNode, excluded: boolean): void => {
    const out = excluded || exclude.includes(n.callFrame.functionName);
    if (out) excludedBytes += n.selfSize;
    else {
      bytes += n.selfSize;
      const name = frameName(n);
      self.set(name, (self.get(name) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, out);
  };
  walk(profile.head, false);
  const sorted = [...self].filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, b]) => ({ name, bytes: b }));
  return { bytes, excludedBytes, self: sorted };
}

function frameName(n: HeapNode): string {
  const f = n.callFrame;
  const where = f.url ? ` ${f.url.replace(/^.*?\/(src|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where}`;
}

export function formatHeapSummary(s: AllocationSummary, units?: number, unitName = 'task'): string {
  const per = (b: number) => (units ? `  ${Math.round(b / units).toLocaleString('en-US').padStart(7)} B/${unitName}` : '');
  const lines = [
    `allocated: ${(s.bytes / 1e6).toFixed(1)} MB${units ? ` (${Math.round(s.bytes / units).toLocaleString('en-US')} B per ${unitName} over ${units.toLocaleString('en-US')})` : ''}; one-off work left out: ${(s.excludedBytes / 1e6).toFixed(1)} MB`,
    'self (bytes allocated by the function itself; natives by name):',
    ...s.self.map((f) => `  ${(f.bytes / 1e6).toFixed(2).padStart(8)} MB${per(f.bytes)}  ${f.name}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top, units, exclude] = process.argv.slice(2);
  if (!file) { console.error('usage: node bench/lib/heap-profile.ts FILE.heapprofile [TOP] [UNITS] [EXCLUDE]'); process.exit(2); }
  console.log(formatHeapSummary(summarizeHeap(file, top ? Number(top) : 30, exclude ? exclude.split(',') : []), units ? Number(units) : undefined));
}
