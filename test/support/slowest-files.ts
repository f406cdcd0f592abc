/**
 * A node:test reporter for bin/test: after the run, the files that took longest (the sum
 * of their top-level tests), so that whoever shortens CI sees where its time goes.
 */
import { relative } from 'node:path';
import type { TestEvent } from 'node:test/reporters';

/** How many files the summary names. */
const SHOWN = 15;

export default async function* slowestFiles(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const took = new Map<string, number>();
  for await (const e of source) {
    if ((e.type === 'test:pass' || e.type === 'test:fail') && e.data.nesting === 0 && e.data.file) {
      took.set(e.data.file, (took.get(e.data.file) ?? 0) + e.data.details.duration_ms);
    }
  }
  const slowest = [...took].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  if (slowest.length === 0) return;
  yield `slowest files (of ${took.size}):\n`;
  for (const [file, ms] of slowest) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${relative(process.cwd(), file)}\n`;
}
