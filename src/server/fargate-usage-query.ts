/**
 * `GET /_berth/cost/usage`: the Fargate usage of one account and region over a window, as
 * usage lines (src/cost/report.ts) that `berth cost` groups and prices.
 *
 *   cluster state: its Fargate tasks (ids, taken first) ─┐
 *   store: usage records of every day from `since` on ───┼─▶ share of [since, until) ─▶ lines
 *   store: the records of those tasks not yet metered ───┘   (running ones end at now)
 *
 * A task is counted once: by its usage record when the metering job has written one, else
 * live from its task record. The state's tasks are taken before the records are listed, so
 * one metered in between is found either way, and one that left the state was metered
 * before it left (retention keeps it until then).
 */
import type { ClusterState } from '../cluster/types.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { addUsage, shareWithin, type UsageLine } from '../cost/report.ts';
import { daysBetween, USAGE_RETENTION_DAYS, usageKeys, usageRecordOf, type UsageRecord } from '../cost/usage-record.ts';
import type { Store } from '../store/store.ts';

/** Usage records read per store page. */
const PAGE = 1000;

export interface UsageQuery {
  readonly scope: Scope;
  readonly cluster?: string;
  readonly service?: string;
  /** Epoch seconds, [since, until). */
  readonly since: number;
  readonly until: number;
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
      if (t.launchType === 'FARGATE') live.push({ cluster: ref.cluster, key: t.key, id: t.id });
    }
  }
  const lines = new Map<string, UsageLine>();
  const seen = new Set<string>();
  const counted = { stored: 0, live: 0 };
  const add = (r: UsageRecord, from: keyof typeof counted) => {
    if (q.service !== undefined && r.service !== q.service) return;
    const share = shareWithin(r, q.since, q.until);
    if (share <= 0) return;
    addUsage(lines, q.scope.region, r, share);
    counted[from]++;
  };
  // A record is filed under the day its clock ended: from the day of `since` on, every one
  // that can overlap the window (nothing older than retention is left).
  const from = Math.max(q.since, now - USAGE_RETENTION_DAYS * 86_400);
  for (const day of daysBetween(from, Math.max(from, now))) {
    const prefix = usageKeys.scopeDay(day, q.scope, q.cluster);
    let after: string | undefined;
    for (;;) {
      const page = await store.list(prefix, { limit: PAGE, ...(after !== undefined && { after }) });
      for (const kv of page.items) {
        seen.add(kv.key.slice(kv.key.lastIndexOf('/') + 1));
        add(JSON.parse(kv.value) as UsageRecord, 'stored');
      }
      if (!page.more) break;
      after = page.items[page.items.length - 1]!.key;
    }
  }
  for (const t of live) {
    if (seen.has(t.id)) continue;
    const kv = await store.get(t.key);
    const r = kv && usageRecordOf(t.cluster, JSON.parse(kv.value) as TaskRecord, now);
    if (r) add(r, 'live');
  }
  return { lines: [...lines.values()], counted };
}
