/**
 * How an API benchmark reports: one row per operation with Berth beside its baseline (the
 * ceiling), the ratio, latencies, the target and PASS/FAIL; as an aligned text table for
 * people or as JSON for machines.
 */

import type { WrkResult } from './wrk.ts';

export interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface Row {
  readonly operation: string;
  readonly berth: WrkResult;
  readonly baseline: WrkResult | undefined;
  /** The target in words, e.g. "≥ 50% of bare, p99 < 5 ms". */
  readonly target: string;
  readonly checks: readonly Check[];
  /** Berth's resident memory (VmRSS) right after the measured runs, in MiB, and its anonymous part. */
  readonly rssMiB?: { readonly total: number; readonly anon: number };
  /** Berth's CPU time (user + system) per request it answered in the measured runs, in µs. */
  readonly cpuUsPerRequest?: number;
}

export function passed(row: Row): boolean {
  return row.checks.every((c) => c.pass);
}

export function ratio(row: Row): number | undefined {
  return row.baseline ? row.berth.requestsPerSecond / row.baseline.requestsPerSecond : undefined;
}

export function table(rows: readonly Row[]): string {
  // The memory and CPU columns only when some row has them.
  const rss = rows.some((r) => r.rssMiB !== undefined);
  const cpu = rows.some((r) => r.cpuUsPerRequest !== undefined);
  const header = ['operation', 'Berth req/s', 'bare req/s', 'ratio', 'Berth p50/p99 ms', 'bare p50/p99 ms',
    ...(cpu ? ['Berth CPU µs/req'] : []), ...(rss ? ['Berth RSS (anon) MiB'] : []), 'target', 'result'];
  const lines = rows.map((r) => {
    const q = ratio(r);
    return [
      r.operation,
      int(r.berth.requestsPerSecond),
      r.baseline ? int(r.baseline.requestsPerSecond) : '-',
      q === undefined ? '-' : `${(q * 100).toFixed(0)}%`,
      latency(r.berth),
      r.baseline ? latency(r.baseline) : '-',
      ...(cpu ? [r.cpuUsPerRequest === undefined ? '-' : r.cpuUsPerRequest.toFixed(0)] : []),
      ...(rss ? [r.rssMiB === undefined ? '-' : `${r.rssMiB.total.toFixed(0)} (${r.rssMiB.anon.toFixed(0)})`] : []),
      r.target,
      passed(r) ? 'PASS' : 'FAIL',
    ];
  });
  const left = new Set([0, header.indexOf('target')]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)];
  for (const r of rows) {
    for (const c of r.checks) out.push(`  ${c.pass ? 'ok  ' : 'FAIL'}  ${r.operation}: ${c.name}: ${c.detail}`);
  }
  return out.join('\n');
}

export function json(rows: readonly Row[], meta: Record<string, unknown>): string {
  return JSON.stringify({
    ...meta,
    pass: rows.every(passed),
    results: rows.map((r) => ({
      operation: r.operation,
      berth: r.berth,
      baseline: r.baseline ?? null,
      ratio: ratio(r) ?? null,
      rssMiB: r.rssMiB ?? null,
      cpuUsPerRequest: r.cpuUsPerRequest ?? null,
      target: r.target,
      pass: passed(r),
      checks: r.checks,
    })),
  }, null, 2);
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function latency(r: WrkResult): string {
  return `${r.latencyMs.p50.toFixed(2)}/${r.latencyMs.p99.toFixed(2)}`;
}
