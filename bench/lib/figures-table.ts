/**
 * How a benchmark of figures (not of request rates) reports: one row per figure with
 * Berth's value beside its baseline, the ratio, the target and PASS/FAIL (or `info` for a
 * row without a target), as an aligned text table for people or as JSON for machines.
 * The wrk-based benchmarks use report.ts; this is its counterpart for latencies, rates
 * and memory.
 */

export interface FigureRow {
  readonly figure: string;
  /** Berth's value in words, e.g. "41.2 ms" or "38.5/s". */
  readonly berth: string;
  readonly baseline: string;
  /** Berth ÷ baseline, when the row has a baseline. */
  readonly ratio: number | undefined;
  /** The target in words, e.g. "≤ 3× raw". */
  readonly target: string;
  /** undefined: an informative row, not checked. */
  readonly pass: boolean | undefined;
  /** The numbers behind the words, for --output json. */
  readonly values: Record<string, unknown>;
  /** Why the row passed or failed, or how it was measured. */
  readonly note?: string;
}

export function figuresTable(rows: readonly FigureRow[]): string {
  const header = ['figure', 'Berth', 'baseline', 'ratio', 'target', 'result'];
  const lines = rows.map((r) => [
    r.figure, r.berth, r.baseline, r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}×`, r.target,
    r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const left = new Set([0, 4]);
  const fmt = (cells: readonly string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)];
  for (const r of rows) if (r.note) out.push(`  ${r.pass === false ? 'FAIL' : r.pass ? 'ok  ' : '    '}  ${r.figure}: ${r.note}`);
  return out.join('\n');
}

export function figuresJson(rows: readonly FigureRow[], meta: Record<string, unknown>): string {
  return JSON.stringify({
    ...meta,
    pass: rows.every((r) => r.pass !== false),
    results: rows.map((r) => ({
      figure: r.figure, berth: r.berth, baseline: r.baseline, ratio: r.ratio ?? null, target: r.target,
      pass: r.pass ?? null, note: r.note ?? null, values: r.values,
    })),
  }, null, 2);
}
