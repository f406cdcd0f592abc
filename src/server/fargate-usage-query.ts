/**
 * `GET /_berth/cost/usage`: the Fargate usage of one account and region over a window, as
 * usage lines (src/cost/report.ts) that `berth cost` groups and prices.
 *
 *   cluster state: its Fargate tasks (ids, taken first) ─┐
 *   store: usage records, daily sums, from `since` on ───┼─▶ share of [since, until) ─▶ lines
 *   store: the records of those tasks not yet metered ───┘   (running ones end at now)
 *
 * A task is counted once: by its usage record when the metering job has written one (or by
 * the daily sum it was compacted into, past 35 days), else live from its task record. The state's tasks are taken before the records are listed, so
 * one metered in between is found either way, and one that left the state was metered
 * before it left (retention keeps it until then).
 */
import type { ClusterState } from '../cluster/types.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { readTaskAt } from '../core/workload/task-store.ts';
import { addUsage, shareWithin, type UsageLine, type UsageSource } from '../cost/report.ts';
import { DAY_SECONDS, dayStart, daysBetween, USAGE_RETENTION_DAYS, usageKeys, usageRecordOf, type DailyUsage, type UsageRecord } from '../cost/usage-record.ts';
import { eachKey } from '../store/json.ts';
import type { KeyValue, Store } from '../store/store.ts';

/** A day kept changing under the reads (HTTP 503). */
export class UsageBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageBusyError';
  }
}

/** Reads of a day that a compaction kept changing before the day is given up (compaction moves 1,000 records a minute). */
const MAX_DAY_READS = 5;

/**
 * One day's per-task records and daily sums, consistent: a compaction moves records into a
 * sum in one transaction, so the day is read as daily sums, records, daily sums again, and
 * read anew when a sum appeared in between (its records may have been counted, or missed).
 */
async function readDay(store: Store, q: UsageQuery, day: string): Promise<{ ids: string[]; records: UsageRecord[]; daily: DailyUsage[] }> {
  const dailyPrefix = usageKeys.dailyScopeDay(day, q.scope, q.cluster);
  for (let attempt = 1; ; attempt++) {
    const daily: KeyValue[] = [];
    await eachKey(store, dailyPrefix, (kv) => daily.push(kv));
    const ids: string[] = [];
    const records: UsageRecord[] = [];
    await eachKey(store, usageKeys.scopeDay(day, q.scope, q.cluster), (kv) => {
      ids.push(kv.key.slice(kv.key.lastIndexOf('/') + 1));
      records.push(JSON.parse(kv.value) as UsageRecord);
    });
    const after: string[] = [];
    await eachKey(store, dailyPrefix, (kv) => after.push(kv.key));
    if (after.length === daily.length && after.every((k, i) => k === daily[i]!.key)) {
      return { ids, records, daily: daily.map((kv) => JSON.parse(kv.value) as DailyUsage) };
    }
    if (attempt >= MAX_DAY_READS) throw new UsageBusyError(`The Fargate usage of ${day} is being compacted: ask again in a minute.`);
  }
}


export interface UsageQuery {
  readonly scope: Scope;
  readonly cluster?: string;
  readonly service?: string;
  /**
   * Count EC2-mode tasks too (provider EC2: what they would have cost on Fargate): their
   * usage records where the metering job writes them (meterEc2), and live those still held.
   */
  readonly ec2?: boolean;
  /** Epoch seconds, [since, until). */
  readonly since: number;
  readonly until: number;
}

/** The default window of a usage query: the last 30 days. */
const DEFAULT_USAGE_WINDOW_SECONDS = 30 * 86_400;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** A usage query from its URL parameters, or the one-line message of what is wrong. */
export function usageQueryOf(p: URLSearchParams, nowS: number, scope: Scope): UsageQuery | string {
  const num = (name: string, dflt: number) => {
    const v = p.get(name);
    if (v === null) return dflt;
    const n = Number(v);
    return v.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : `${name} must be epoch seconds, not '${v}'.`;
  };
  const until = num('until', nowS);
  if (typeof until === 'string') return until;
  const since = num('since', Math.min(until, nowS) - DEFAULT_USAGE_WINDOW_SECONDS);
  if (typeof since === 'string') return since;
  if (since >= until) return `since (${since}) must be before until (${until}).`;
  for (const name of ['cluster', 'service']) {
    const v = p.get(name);
    if (v !== null && !NAME.test(v)) return `${name} must be a name of 1 to 255 letters, digits, hyphens and underscores, not '${v}'.`;
  }
  const account = p.get('account') ?? scope.account;
  const reg = p.get('region') ?? scope.region;
  if (!/^\d{12}$/.test(account)) return `account must be 12 digits, not '${account}'.`;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(reg)) return `region must be a region name like us-east-1, not '${reg}'.`;
  const ec2 = p.get('ec2');
  if (ec2 !== null && ec2 !== 'true' && ec2 !== 'false') return `ec2 must be true or false, not '${ec2}'.`;
  return {
    scope: { account, region: reg }, since, until, ec2: ec2 === 'true',
    ...(p.get('cluster') !== null && { cluster: p.get('cluster')! }), ...(p.get('service') !== null && { service: p.get('service')! }),
  };
}

export interface UsageAnswer {
  readonly lines: UsageLine[];
  /** Tasks counted from their usage records, and live from their task records (not metered yet). */
  readonly counted: { readonly stored: number; readonly live: number };
}

export async function fargateUsageLines(store: Store, state: ClusterState, q: UsageQuery, now: number): Promise<UsageAnswer> {
  // The state's Fargate tasks, read in this turn (a snapshot is valid until the first await).
  const live: { cluster: string; key: string; id: string }[] = [];
  for (const ref of state.clusters()) {
    if (ref.scope.account !== q.scope.account || ref.scope.region !== q.scope.region) continue;
    if (q.cluster !== undefined && ref.cluster !== q.cluster) continue;
    for (const t of state.snapshot(ref)?.tasks ?? []) {
      if (t.launchType === 'FARGATE' || q.ec2 === true) live.push({ cluster: ref.cluster, key: t.key, id: t.id });
    }
  }
  const lines = new Map<string, UsageLine>();
  const seen = new Set<string>();
  const counted = { stored: 0, live: 0 };
  const add = (to: Map<string, UsageLine>, r: UsageSource, share: number) => {
    if (q.service !== undefined && r.service !== q.service) return 0;
    if (r.provider === 'EC2' && q.ec2 !== true) return 0;
    if (share <= 0) return 0;
    addUsage(to, q.scope.region, r, share);
    return r.tasks ?? 1;
  };
  // A record is filed under the day its clock ended: from the day of `since` on, every one
  // that can overlap the window (nothing older than retention is left).
  const from = Math.max(q.since, now - USAGE_RETENTION_DAYS * 86_400);
  for (const day of daysBetween(from, Math.max(from, now))) {
    const read = await readDay(store, q, day);
    for (const id of read.ids) seen.add(id);
    for (const r of read.records) counted.stored += add(lines, r, shareWithin(r, q.since, q.until));
    // A daily sum counts as if its tasks' clocks filled the day they ended.
    const share = shareWithin({ start: dayStart(day), end: dayStart(day) + DAY_SECONDS }, q.since, q.until);
    for (const d of read.daily) for (const l of d.lines) counted.stored += add(lines, { ...l, cluster: d.cluster }, share);
  }
  for (const t of live) {
    if (seen.has(t.id)) continue;
    const held = await readTaskAt(store, t.key);
    const r = held && usageRecordOf(t.cluster, held.record, now);
    if (r) counted.live += add(lines, r, shareWithin(r, q.since, q.until));
  }
  return { lines: [...lines.values()], counted };
}
