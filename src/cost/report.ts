/**
 * The cost report, pure: usage lines (what the control plane measured, summed by cluster,
 * service, region, provider and architecture) grouped as asked and priced by a table.
 *
 *   usage records + running tasks ──share of [since, until)──▶ UsageLine[] ──group, price──▶ CostReport
 *
 * A task whose billed clock runs past the window's edges counts the share of its billed
 * usage that falls inside it (its one-minute minimum shared alike), so consecutive windows
 * add up to the whole. A daily sum (usage older than RAW_USAGE_DAYS) counts as if its
 * tasks' clocks filled the day their clocks ended.
 */
import type { Arch, UsageProvider } from './billing.ts';
import { priceOf, rateOf, type PriceTable } from './prices.ts';
import type { UsageRecord } from './usage-record.ts';

/** Usage summed over tasks of one cluster, service, region, provider and architecture. */
export interface UsageLine {
  readonly cluster: string;
  readonly service?: string;
  readonly region: string;
  readonly provider: UsageProvider;
  readonly arch: Arch;
  tasks: number;
  vcpuSeconds: number;
  gbSeconds: number;
  storageGbSeconds: number;
}

/** The share of a billed clock [start, end] that lies in [since, until). */
export function shareWithin(r: { start: number; end: number }, since: number, until: number): number {
  if (r.start >= since && r.end <= until) return 1;
  if (r.end <= r.start) return r.start >= since && r.start < until ? 1 : 0;
  const overlap = Math.min(r.end, until) - Math.max(r.start, since);
  return overlap > 0 ? overlap / (r.end - r.start) : 0;
}

/** What adds to a line: one task's usage record, or a daily sum of several (`tasks`). */
export type UsageSource = Pick<UsageRecord, 'cluster' | 'service' | 'provider' | 'arch' | 'vcpuSeconds' | 'gbSeconds' | 'storageGbSeconds'> & { readonly tasks?: number };

/** Adds usage (its share of the window) to the line it belongs to. */
export function addUsage(lines: Map<string, UsageLine>, region: string, r: UsageSource, share: number): void {
  if (share <= 0) return;
  const k = JSON.stringify([r.cluster, r.service ?? '', region, r.provider, r.arch]);
  let line = lines.get(k);
  if (!line) {
    line = { cluster: r.cluster, ...(r.service !== undefined && { service: r.service }), region, provider: r.provider, arch: r.arch, tasks: 0, vcpuSeconds: 0, gbSeconds: 0, storageGbSeconds: 0 };
    lines.set(k, line);
  }
  line.tasks += r.tasks ?? 1;
  line.vcpuSeconds += r.vcpuSeconds * share;
  line.gbSeconds += r.gbSeconds * share;
  line.storageGbSeconds += r.storageGbSeconds * share;
}

export const GROUP_BY = ['service', 'cluster', 'provider'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface CostRow {
  /** cluster/service (a task of no service: cluster/-), cluster, or provider (EC2: EC2-mode tasks). */
  readonly group: string;
  readonly tasks: number;
  readonly vcpuHours: number;
  readonly gbHours: number;
  readonly storageGbHours: number;
  /** Dollars for the FARGATE tasks, at on-demand prices. */
  readonly fargateCost: number;
  /** Dollars for the FARGATE_SPOT tasks, at Spot prices. */
  readonly spotCost: number;
  /** fargateCost + spotCost: what the workload would have cost on Fargate. */
  readonly totalCost: number;
  /** What the FARGATE_SPOT tasks would have cost on demand, less what they cost on Spot. */
  readonly spotSavings: number;
  /** What the EC2-mode tasks would have cost on FARGATE (not in totalCost). */
  readonly ec2AsFargateCost: number;
}

export interface CostReport {
  readonly rows: readonly CostRow[];
  readonly total: CostRow;
  readonly prices: { readonly date: string; readonly source: string };
  /** Regions missing from the table, priced at another region's prices: [region, priced as]. */
  readonly pricedAs: readonly (readonly [string, string])[];
}

function groupOf(l: UsageLine, by: GroupBy): string {
  if (by === 'cluster') return l.cluster;
  if (by === 'provider') return l.provider;
  return `${l.cluster}/${l.service ?? '-'}`;
}

export function costReport(lines: readonly UsageLine[], by: GroupBy, table: PriceTable): CostReport {
  type Acc = { -readonly [K in keyof CostRow]: CostRow[K] };
  const zero = (group: string): Acc => ({ group, tasks: 0, vcpuHours: 0, gbHours: 0, storageGbHours: 0, fargateCost: 0, spotCost: 0, totalCost: 0, spotSavings: 0, ec2AsFargateCost: 0 });
  const groups = new Map<string, Acc>();
  const total = zero('TOTAL');
  const pricedAs = new Map<string, string>();
  for (const l of lines) {
    // An EC2-mode task is priced as it would have been on FARGATE.
    const { rate, region } = rateOf(table, l.region, l.provider === 'EC2' ? 'FARGATE' : l.provider, l.arch);
    if (region !== l.region) pricedAs.set(l.region, region);
    const cost = priceOf(l, rate);
    const onDemand = l.provider === 'FARGATE_SPOT' ? priceOf(l, rateOf(table, l.region, 'FARGATE', l.arch).rate) : cost;
    const g = groupOf(l, by);
    for (const acc of [groups.get(g) ?? groups.set(g, zero(g)).get(g)!, total]) {
      acc.tasks += l.tasks;
      acc.vcpuHours += l.vcpuSeconds / 3600;
      acc.gbHours += l.gbSeconds / 3600;
      acc.storageGbHours += l.storageGbSeconds / 3600;
      if (l.provider === 'EC2') {
        acc.ec2AsFargateCost += cost;
        continue;
      }
      if (l.provider === 'FARGATE_SPOT') {
        acc.spotCost += cost;
        acc.spotSavings += onDemand - cost;
      } else {
        acc.fargateCost += cost;
      }
      acc.totalCost += cost;
    }
  }
  return {
    rows: [...groups.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)),
    total,
    prices: { date: table.date, source: table.source },
    pricedAs: [...pricedAs].sort(),
  };
}
