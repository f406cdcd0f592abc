/**
 * The durable usage record: one per task that was billed (Fargate tasks; with `berth up
 * --meter-ec2`, EC2-mode tasks for what they would have cost on Fargate), written once when
 * it has stopped (the metering job, src/controllers/fargate-usage.ts), never changed, and
 * kept {@link USAGE_RETENTION_DAYS} days by the day its billed clock ended.
 *
 * Key: /berth/fargate-usage/<day>/<account>/<region>/<cluster>/<task id>. The task id makes it
 * one per task (written with "must not exist", so never two); the day (UTC, of `end`) first
 * makes a window's records a few key ranges, and the oldest day one read away, so retention
 * is one ranged delete per day. Outside /ecs/: the cluster state's watch does not see it.
 *
 * After {@link RAW_USAGE_DAYS} days a day's records are compacted: each run of up to
 * {@link COMPACT_CHUNK} consecutive records of one cluster becomes one daily sum
 * (/berth/fargate-usage-daily/<day>/<account>/<region>/<cluster>/<first task id>), written
 * in the transaction that deletes them, so every task is counted in exactly one of the two.
 */
import type { Scope } from '../core/ecs/scope.ts';
import { smallestFargateSize } from '../core/ecs/task-size.ts';
import { archOf, billableOf, providerOf, usageOf, type Arch, type TaskTimes, type Usage, type UsageProvider } from './billing.ts';
import { DEFAULT_EPHEMERAL_STORAGE_GIB } from '../core/ecs/fargate.ts';

export const USAGE_PREFIX = '/berth/fargate-usage/';
/**
 * Usage is kept this long (the store's bound on it): over a year, so a month can be set
 * beside the same month a year before. Older days go whole.
 */
export const USAGE_RETENTION_DAYS = 400;
/**
 * Per-task records are kept this long, so a window within the last month is counted per
 * task and per second; older days are kept as daily sums per cluster, service, provider and
 * architecture (a 50th of the records, at least).
 */
export const RAW_USAGE_DAYS = 35;
/**
 * Records per daily sum: each is deleted in the sum's transaction with a condition on it,
 * so a chunk is 2 × 50 + 1 operations, under etcd's default of 128 per transaction.
 */
export const COMPACT_CHUNK = 50;
export const DAILY_PREFIX = '/berth/fargate-usage-daily/';
export const DAY_SECONDS = 86_400;

export interface UsageRecord extends Usage {
  readonly taskArn: string;
  readonly cluster: string;
  /** The service it belonged to (its group was service:NAME). */
  readonly service?: string;
  readonly provider: UsageProvider;
  readonly arch: Arch;
  /** CPU units, MiB, GiB: the task's size (an EC2-mode task's: the smallest Fargate size that holds it). */
  readonly cpu: number;
  readonly memory: number;
  readonly storageGiB: number;
  /** Epoch seconds: the billed clock (image pull started → task terminated). */
  readonly start: number;
  readonly end: number;
}

/** YYYY-MM-DD (UTC) of an epoch second. */
export function dayOf(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().slice(0, 10);
}

/** Epoch seconds at the start of a YYYY-MM-DD day (UTC). */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** Every day from the one of `from` to the one of `to`, both included. */
export function daysBetween(from: number, to: number): string[] {
  const out: string[] = [];
  for (let s = dayStart(dayOf(from)); s <= to; s += DAY_SECONDS) out.push(dayOf(s));
  return out;
}

export const usageKeys = {
  record: (day: string, s: Scope, cluster: string, taskId: string) => `${USAGE_PREFIX}${day}/${s.account}/${s.region}/${cluster}/${taskId}`,
  day: (day: string) => `${USAGE_PREFIX}${day}/`,
  /** One scope's records of one day (and one cluster's, when named). */
  scopeDay: (day: string, s: Scope, cluster?: string) => `${USAGE_PREFIX}${day}/${s.account}/${s.region}/${cluster === undefined ? '' : `${cluster}/`}`,
  /** A daily sum: named by the first task id of the records it sums. */
  daily: (day: string, s: Scope, cluster: string, firstTaskId: string) => `${DAILY_PREFIX}${day}/${s.account}/${s.region}/${cluster}/${firstTaskId}`,
  dailyDay: (day: string) => `${DAILY_PREFIX}${day}/`,
  dailyScopeDay: (day: string, s: Scope, cluster?: string) => `${DAILY_PREFIX}${day}/${s.account}/${s.region}/${cluster === undefined ? '' : `${cluster}/`}`,
};

/** Usage of several tasks of one cluster and day, alike in service, provider and architecture. */
export interface DailyLine {
  readonly service?: string;
  readonly provider: UsageProvider;
  readonly arch: Arch;
  readonly tasks: number;
  readonly vcpuSeconds: number;
  readonly gbSeconds: number;
  readonly storageGbSeconds: number;
}

export interface DailyUsage {
  readonly cluster: string;
  readonly day: string;
  readonly lines: readonly DailyLine[];
}

/** The daily sum of some usage records of one cluster and day. */
export function dailyOf(cluster: string, day: string, records: readonly UsageRecord[]): DailyUsage {
  const lines = new Map<string, { -readonly [K in keyof DailyLine]: DailyLine[K] }>();
  for (const r of records) {
    const k = JSON.stringify([r.service ?? '', r.provider, r.arch]);
    let l = lines.get(k);
    if (!l) {
      l = { ...(r.service !== undefined && { service: r.service }), provider: r.provider, arch: r.arch, tasks: 0, vcpuSeconds: 0, gbSeconds: 0, storageGbSeconds: 0 };
      lines.set(k, l);
    }
    l.tasks++;
    l.vcpuSeconds += r.vcpuSeconds;
    l.gbSeconds += r.gbSeconds;
    l.storageGbSeconds += r.storageGbSeconds;
  }
  return { cluster, day, lines: [...lines.values()] };
}

/** Where a usage record's or daily sum's key sits: its day, scope, cluster and (first) task id. */
export function parseUsageKey(key: string): { day: string; scope: Scope; cluster: string; taskId: string } | undefined {
  const prefix = key.startsWith(USAGE_PREFIX) ? USAGE_PREFIX : key.startsWith(DAILY_PREFIX) ? DAILY_PREFIX : undefined;
  if (prefix === undefined) return undefined;
  const [day, account, region, cluster, taskId] = key.slice(prefix.length).split('/');
  if (!day || !account || !region || !cluster || !taskId) return undefined;
  return { day, scope: { account, region }, cluster, taskId };
}

/**
 * The task fields a usage record is made of (a TaskRecord has them all): the clock and size
 * billing reads ({@link TaskTimes}), and whose task it was.
 */
export interface MeteredTask extends TaskTimes {
  readonly taskArn: string;
  readonly group: string;
  readonly launchType: string;
  readonly lastStatus: string;
  readonly capacityProviderName?: string;
  readonly attributes?: readonly { name: string; value?: string }[];
}

/**
 * A task's usage, ended at `now` when it has not stopped; undefined when it was never billed
 * (it never started to pull its images). An EC2-mode task is sized as Fargate would have to
 * run it: the smallest Fargate size that holds its cpu and memory (its own, when none does),
 * with the included storage.
 */
export function usageRecordOf(cluster: string, t: MeteredTask, now: number): UsageRecord | undefined {
  const b0 = billableOf(t, now);
  if (!b0) return undefined;
  const provider = providerOf(t.launchType, t.capacityProviderName);
  const b = provider === 'EC2' ? { ...b0, ...smallestFargateSize(b0.cpu, b0.memory), storageGiB: DEFAULT_EPHEMERAL_STORAGE_GIB } : b0;
  return {
    taskArn: t.taskArn, cluster,
    ...(t.group.startsWith('service:') && { service: t.group.slice('service:'.length) }),
    provider, arch: archOf(t.attributes),
    cpu: b.cpu, memory: b.memory, storageGiB: b.storageGiB, start: b.start, end: b.end,
    ...usageOf(b),
  };
}
