/**
 * Percentiles of a set of latencies, the way the task-start benchmark reports them:
 * nearest-rank on the sorted samples (p50 of 100 samples is the 50th smallest).
 */

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** The nearest-rank percentile `p` (0–100) of `samples`; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  if (n === 0) return { n, p50: NaN, p95: NaN, mean: NaN, min: NaN, max: NaN };
  return {
    n,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    mean: samples.reduce((a, b) => a + b, 0) / n,
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** `p50/p95` in milliseconds with one decimal. */
export function msPair(s: Summary): string {
  return `${s.p50.toFixed(1)}/${s.p95.toFixed(1)}`;
}
