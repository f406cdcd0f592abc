/**
 * Fargate metering as a PeriodicJob (issue 15 item 6): one usage record per stopped
 * FARGATE task (src/cost/usage-record.ts: its billed usage), written before the task record
 * goes; records past 35 days compacted into daily sums; usage past its 400 days dropped a
 * day at a time.
 *
 * EC2-mode (and EXTERNAL) tasks are not metered unless `meterEc2` (berth up --meter-ec2):
 * AWS bills them nothing, so by default they cost no usage write and no retention hold. With
 * it, each gets a record of what it would have cost on Fargate (`berth cost --ec2`), for a
 * team weighing a move of its EC2 workload to Fargate.
 *
 *   cluster state ── STOPPED tasks not known metered ─────────▶ load: the task record,
 *        │                                                       whether its usage record exists
 *        │                                                              │
 *        │                         reconcile (pure): put usage record, "must not exist"
 *        ▼                                                              ▼
 *   retention job ◀── metered(task)? ── memo of tasks whose usage is stored (or that bill nothing)
 *
 * Never two records: the key is the task's and the write requires it absent, so two
 * leaders, or a run repeated after kill -9, cannot both write. Nothing lost: the memo is
 * memory, and only ever says "stored" after reading the record back from the store; the
 * retention job keeps a STOPPED task until the memo says so (retention-job.ts
 * `keep`), so after a restart a task is deleted only once this job has found its record.
 */
import type { ClusterState, TaskSummary } from '../cluster/types.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { Scope } from '../core/ecs/scope.ts';
import { readTaskAt } from '../core/workload/task-store.ts';
import type { Store } from '../store/store.ts';
import {
  COMPACT_CHUNK, DAILY_PREFIX, dailyOf, DAY_SECONDS, dayOf, dayStart, parseUsageKey, RAW_USAGE_DAYS, USAGE_PREFIX, USAGE_RETENTION_DAYS, usageKeys, usageRecordOf,
  type UsageRecord,
} from '../cost/usage-record.ts';
import type { Action, PeriodicJob } from './types.ts';

/** Runs every minute: a stopped task is metered a minute or two after it stops, long before its hour of retention ends. */
export const FARGATE_USAGE_INTERVAL_MS = 60_000;
/** Task records read per run; the rest wait a minute (30,000 stopped tasks an hour keep up). */
export const MAX_METERED_PER_RUN = 500;
/** Usage records compacted per run, at most (1,440,000 a day keep up). */
export const COMPACT_PER_RUN = 1000;

export interface FargateUsageSnapshot {
  /** Usage records to write, with the key each goes under. */
  readonly toMeter: readonly { readonly key: string; readonly usage: UsageRecord }[];
  /** The oldest day per-task usage is stored for, if any. */
  readonly oldestDay?: string;
  /** The oldest day daily sums are stored for, if any. */
  readonly oldestDailyDay?: string;
  /** The first records of the oldest day, when it is due for compaction. */
  readonly compact?: readonly { readonly key: string; readonly modRevision: number; readonly record: UsageRecord }[];
}

export interface FargateUsageJob extends PeriodicJob<FargateUsageSnapshot> {
  /**
   * Whether a task's usage is safely stored (or it bills nothing): false only for a STOPPED
   * task this job meters (a FARGATE one; any, with meterEc2) and has not yet found a usage
   * record for. The retention job keeps the ones it says false of.
   */
  metered(task: Pick<TaskSummary, 'key' | 'lastStatus' | 'launchType'>): boolean;
}

export function fargateUsageJob({ store, state, everyMs = FARGATE_USAGE_INTERVAL_MS, now: clock = Date.now, meterEc2 = false }: {
  store: Store; state: ClusterState; everyMs?: number;
  /** Epoch ms: load reads the records to compact only when their day is due (reconcile decides on its own `now`). */
  now?: () => number;
  /** Meter EC2-mode and EXTERNAL tasks too, for what they would have cost on Fargate. Default false: FARGATE tasks only. */
  meterEc2?: boolean;
}): FargateUsageJob {
  /** Whether a task is one this job writes usage for. */
  const billed = (t: Pick<TaskSummary, 'launchType'>) => meterEc2 || t.launchType === 'FARGATE';
  /**
   * Keys of STOPPED tasks known to be metered (or billing nothing). Bounded by the
   * cluster state: each run keeps only the keys of tasks it still holds, which retention
   * removes an hour after they stop.
   */
  let known = new Set<string>();
  /**
   * Keys the last run proposed to write: read back after the tasks not yet tried, so a
   * backlog moves on by a whole run's worth each run. At most MAX_METERED_PER_RUN.
   */
  let proposed = new Set<string>();
  return {
    name: 'fargate-usage',
    everyMs,
    metered: (t) => t.lastStatus !== 'STOPPED' || !billed(t) || known.has(t.key),
    async load() {
      // Read every snapshot in this turn, before any await (snapshot.ts).
      const candidates: { scope: Scope; cluster: string; t: TaskSummary }[] = [];
      const stillHeld = new Set<string>();
      for (const ref of state.clusters()) {
        // A STOPPED task is always desired STOPPED (task-report.ts): the index, not every task.
        for (const t of state.snapshot(ref)?.tasksWhere({ desiredStatus: 'STOPPED' }) ?? []) {
          if (t.lastStatus !== 'STOPPED' || !billed(t)) continue;
          if (known.has(t.key)) stillHeld.add(t.key);
          else candidates.push({ scope: ref.scope, cluster: ref.cluster, t });
        }
      }
      known = stillHeld;
      const ordered = [...candidates.filter((c) => !proposed.has(c.t.key)), ...candidates.filter((c) => proposed.has(c.t.key))];
      const toMeter: FargateUsageSnapshot['toMeter'][number][] = [];
      const tried = new Set<string>();
      for (const { scope, cluster, t } of ordered.slice(0, MAX_METERED_PER_RUN)) {
        const held = await readTaskAt(store, t.key, parsed);
        if (!held) continue;
        const task = held.record as TaskRecord | undefined;
        if (!task) {
          // Nothing can be billed from a record that cannot be read; one such record must
          // not stop every other from being metered, nor keep retention from it forever.
          known.add(t.key);
          continue;
        }
        if (task.lastStatus !== 'STOPPED') continue;
        // A stopped task's clock ended at executionStoppedAt or stoppedAt; were both missing,
        // the end must still be the same at every run (it names the record's day).
        const usage = usageRecordOf(cluster, task, task.stoppingAt ?? task.pullStartedAt ?? 0);
        if (!usage) {
          known.add(t.key);
          continue;
        }
        const key = usageKeys.record(dayOf(usage.end), scope, cluster, t.id);
        if (await store.modRevision(key) !== undefined) known.add(t.key);
        else {
          toMeter.push({ key, usage });
          tried.add(t.key);
        }
      }
      proposed = tried;
      const first = (await store.list(USAGE_PREFIX, { limit: 1 })).items[0];
      const oldestDay = first && parseUsageKey(first.key)?.day;
      const firstDaily = (await store.list(DAILY_PREFIX, { limit: 1 })).items[0];
      const oldestDailyDay = firstDaily && parseUsageKey(firstDaily.key)?.day;
      let compact: FargateUsageSnapshot['compact'];
      if (oldestDay !== undefined && compactionDue(oldestDay, clock())) {
        const page = await store.list(usageKeys.day(oldestDay), { limit: COMPACT_PER_RUN });
        compact = page.items.map((kv) => ({ key: kv.key, modRevision: kv.modRevision, record: JSON.parse(kv.value) as UsageRecord }));
      }
      return { toMeter, ...(oldestDay !== undefined && { oldestDay }), ...(oldestDailyDay !== undefined && { oldestDailyDay }), ...(compact && { compact }) };
    },
    reconcile(snapshot, now) {
      const actions: Action[] = snapshot.toMeter.map(({ key, usage }) => (
        { type: 'txn', why: `fargate usage: ${key}`, txn: { if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(usage) }] } }
      ));
      // One day per run: a backlog of old days goes a day a minute.
      const expired = (day: string | undefined): day is string => day !== undefined && dayStart(day) + DAY_SECONDS <= now / 1000 - USAGE_RETENTION_DAYS * DAY_SECONDS;
      for (const [day, prefix] of [[snapshot.oldestDay, usageKeys.day], [snapshot.oldestDailyDay, usageKeys.dailyDay]] as const) {
        if (expired(day)) actions.push({ type: 'txn', why: `fargate usage retention: ${prefix(day)}`, txn: { ops: [{ type: 'deletePrefix', prefix: prefix(day) }] } });
      }
      // A day past retention goes whole, uncompacted.
      if (snapshot.compact && snapshot.oldestDay !== undefined && !expired(snapshot.oldestDay) && compactionDue(snapshot.oldestDay, now)) actions.push(...compaction(snapshot.compact));
      return { actions };
    },
  };
}

function parsed(_key: string, value: string): TaskRecord | undefined {
  try {
    const v = JSON.parse(value) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as TaskRecord : undefined;
  } catch {
    return undefined;
  }
}

/** A day's per-task records are compacted once the day is over RAW_USAGE_DAYS old. */
function compactionDue(day: string, nowMs: number): boolean {
  return dayStart(day) + DAY_SECONDS <= nowMs / 1000 - RAW_USAGE_DAYS * DAY_SECONDS;
}

/**
 * Runs of up to COMPACT_CHUNK consecutive records of one cluster, each becoming one daily
 * sum in the transaction that deletes them. Every record is pinned to the revision read, and
 * the sum must not exist: a chunk another leader compacted first (or in part) is refused
 * whole, and the next run reads again what is left.
 */
function compaction(records: NonNullable<FargateUsageSnapshot['compact']>): Action[] {
  const actions: Action[] = [];
  let chunk: typeof records[number][] = [];
  let at: ReturnType<typeof parseUsageKey>;
  const flush = () => {
    if (!at || chunk.length === 0) return;
    const key = usageKeys.daily(at.day, at.scope, at.cluster, at.taskId);
    actions.push({
      type: 'txn', why: `fargate usage compaction: ${chunk.length} records into ${key}`,
      txn: {
        if: [{ key, modRevision: 0 }, ...chunk.map((c) => ({ key: c.key, modRevision: c.modRevision }))],
        ops: [{ type: 'put', key, value: JSON.stringify(dailyOf(at.cluster, at.day, chunk.map((c) => c.record))) }, ...chunk.map((c) => ({ type: 'delete' as const, key: c.key }))],
      },
    });
    chunk = [];
    at = undefined;
  };
  for (const c of records) {
    const where = parseUsageKey(c.key);
    if (!where) continue;
    if (at && (chunk.length >= COMPACT_CHUNK || where.cluster !== at.cluster || where.scope.account !== at.scope.account || where.scope.region !== at.scope.region)) flush();
    at ??= where;
    chunk.push(c);
  }
  flush();
  return actions;
}
