/**
 * Fargate metering as a PeriodicJob (issue 15 item 6): one usage record per stopped Fargate
 * task (src/cost/usage-record.ts), written before the task record goes, and usage past its
 * retention dropped a day at a time.
 *
 *   cluster state ── STOPPED FARGATE tasks not known metered ──▶ load: the task record,
 *        │                                                       whether its usage record exists
 *        │                                                              │
 *        │                         reconcile (pure): put usage record, "must not exist"
 *        ▼                                                              ▼
 *   retention job ◀── metered(task)? ── memo of tasks whose usage is stored (or that bill nothing)
 *
 * Never two records: the key is the task's and the write requires it absent, so two
 * leaders, or a run repeated after kill -9, cannot both write. Nothing lost: the memo is
 * memory, and only ever says "stored" after reading the record back from the store; the
 * retention job keeps a STOPPED Fargate task until the memo says so (retention-job.ts
 * `keep`), so after a restart a task is deleted only once this job has found its record.
 */
import type { ClusterState, TaskSummary } from '../cluster/types.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { Store } from '../store/store.ts';
import { dayOf, dayStart, parseUsageKey, USAGE_PREFIX, USAGE_RETENTION_DAYS, usageKeys, usageRecordOf } from '../cost/usage-record.ts';
import type { Action, PeriodicJob } from './types.ts';

/** Runs every minute: a stopped task is metered a minute or two after it stops, long before its hour of retention ends. */
export const FARGATE_USAGE_INTERVAL_MS = 60_000;
/** Task records read per run; the rest wait a minute (30,000 stopped Fargate tasks an hour keep up). */
export const MAX_METERED_PER_RUN = 500;
const DAY_SECONDS = 86_400;

export interface FargateUsageSnapshot {
  readonly toMeter: readonly { readonly scope: Scope; readonly cluster: string; readonly id: string; readonly task: TaskRecord }[];
  /** The oldest day usage is stored for, if any. */
  readonly oldestDay?: string;
}

export interface FargateUsageJob extends PeriodicJob<FargateUsageSnapshot> {
  /**
   * Whether a task's usage is safely stored (or it bills nothing): false only for a STOPPED
   * Fargate task this job has not yet found a usage record for. The retention job keeps the
   * ones it says false of.
   */
  metered(task: Pick<TaskSummary, 'key' | 'launchType' | 'lastStatus'>): boolean;
}

export function fargateUsageJob({ store, state, everyMs = FARGATE_USAGE_INTERVAL_MS }: { store: Store; state: ClusterState; everyMs?: number }): FargateUsageJob {
  /**
   * Keys of STOPPED Fargate tasks known to be metered (or billing nothing). Bounded by the
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
    metered: (t) => t.launchType !== 'FARGATE' || t.lastStatus !== 'STOPPED' || known.has(t.key),
    async load() {
      // Read every snapshot in this turn, before any await (snapshot.ts).
      const candidates: { scope: Scope; cluster: string; t: TaskSummary }[] = [];
      const stillHeld = new Set<string>();
      for (const ref of state.clusters()) {
        for (const t of state.snapshot(ref)?.tasks ?? []) {
          if (t.launchType !== 'FARGATE' || t.lastStatus !== 'STOPPED') continue;
          if (known.has(t.key)) stillHeld.add(t.key);
          else candidates.push({ scope: ref.scope, cluster: ref.cluster, t });
        }
      }
      known = stillHeld;
      const ordered = [...candidates.filter((c) => !proposed.has(c.t.key)), ...candidates.filter((c) => proposed.has(c.t.key))];
      const toMeter: FargateUsageSnapshot['toMeter'][number][] = [];
      const tried = new Set<string>();
      for (const { scope, cluster, t } of ordered.slice(0, MAX_METERED_PER_RUN)) {
        const kv = await store.get(t.key);
        if (!kv) continue;
        const task = JSON.parse(kv.value) as TaskRecord;
        const usage = usageRecordOf(cluster, task, 0);
        if (task.lastStatus !== 'STOPPED' || !usage) {
          if (task.lastStatus === 'STOPPED') known.add(t.key);
          continue;
        }
        if (await store.modRevision(usageKeys.record(dayOf(usage.end), scope, cluster, t.id)) !== undefined) known.add(t.key);
        else {
          toMeter.push({ scope, cluster, id: t.id, task });
          tried.add(t.key);
        }
      }
      proposed = tried;
      const first = (await store.list(USAGE_PREFIX, { limit: 1 })).items[0];
      const oldestDay = first && parseUsageKey(first.key)?.day;
      return { toMeter, ...(oldestDay !== undefined && { oldestDay }) };
    },
    reconcile(snapshot, now) {
      const actions: Action[] = snapshot.toMeter.flatMap(({ scope, cluster, id, task }) => {
        // STOPPED, so its clock ended: `now` plays no part.
        const usage = usageRecordOf(cluster, task, now / 1000);
        if (!usage) return [];
        const key = usageKeys.record(dayOf(usage.end), scope, cluster, id);
        return [{ type: 'txn', why: `fargate usage: ${key}`, txn: { if: [{ key, modRevision: 0 }], ops: [{ type: 'put', key, value: JSON.stringify(usage) }] } } satisfies Action];
      });
      const day = snapshot.oldestDay;
      if (day !== undefined && dayStart(day) + DAY_SECONDS <= now / 1000 - USAGE_RETENTION_DAYS * DAY_SECONDS) {
        // One day per run: a backlog of old days goes a day a minute.
        actions.push({ type: 'txn', why: `fargate usage retention: ${day}`, txn: { ops: [{ type: 'deletePrefix', prefix: usageKeys.day(day) }] } });
      }
      return { actions };
    },
  };
}
