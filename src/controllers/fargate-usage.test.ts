import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../cluster/types.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { DAILY_PREFIX, USAGE_PREFIX, usageKeys, type DailyUsage, type UsageRecord } from '../cost/usage-record.ts';
import { fargateUsageJob, MAX_METERED_PER_RUN } from './fargate-usage.ts';
import { retentionJob } from './retention-job.ts';
import { createControllerRunner } from './runner.ts';
import { FakeClusterState, ManualClock, RecordingPlacer, SCOPE, snapshot, task } from './testing/harness.ts';
import type { Action } from './types.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const NOW_S = NOW / 1000;

const put = async (store: Store, key: string, value: unknown) => {
  const r = await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] });
  assert.ok(r.ok);
  return r.revision;
};

const apply = async (store: Store, actions: readonly Action[]) => {
  const oks: boolean[] = [];
  for (const a of actions) {
    assert.equal(a.type, 'txn');
    if (a.type === 'txn') oks.push((await store.txn(a.txn)).ok);
  }
  return oks;
};

/** A Fargate task in the cluster state and its record in the store. */
async function fargateTask(store: Store, n: number, o: { stoppedAgo?: number; running?: boolean; pulled?: boolean; spot?: boolean; launchType?: TaskSummary['launchType'] } = {}): Promise<TaskSummary> {
  const stoppedAt = NOW_S - (o.stoppedAgo ?? 30);
  const base = task(n, { lastStatus: o.running ? 'RUNNING' : 'STOPPED' });
  const summary: TaskSummary = {
    ...base, launchType: o.launchType ?? 'FARGATE', capacityProviderName: o.spot ? 'FARGATE_SPOT' : 'FARGATE', cpu: 512, memory: 1024,
    ...(!o.running && { stoppedAt }),
  };
  const record = {
    taskArn: summary.taskArn, group: 'service:web', launchType: summary.launchType, lastStatus: summary.lastStatus, capacityProviderName: summary.capacityProviderName,
    cpu: '512', memory: '1024', ...(o.pulled !== false && { pullStartedAt: stoppedAt - 600 }), ...(!o.running && { executionStoppedAt: stoppedAt - 1, stoppedAt }),
  };
  const modRevision = await put(store, summary.key, record);
  return { ...summary, modRevision };
}

const stored = async (store: Store) => (await store.list(USAGE_PREFIX)).items.map((kv) => ({ key: kv.key, value: JSON.parse(kv.value) as UsageRecord }));

test('a stopped Fargate task gets one usage record, under its stop day, with its billed usage', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const t = await fargateTask(store, 1, { spot: true });
  state.set(snapshot({ tasks: [t] }));
  const job = fargateUsageJob({ store, state, now: () => NOW });
  assert.equal(job.metered(t), false);
  assert.deepEqual(await apply(store, job.reconcile(await job.load(), NOW).actions), [true]);
  const [r] = await stored(store);
  assert.equal(r!.key, usageKeys.record('2026-12-07', SCOPE, 'default', t.id));
  assert.deepEqual(
    { service: r!.value.service, provider: r!.value.provider, billedSeconds: r!.value.billedSeconds, vcpuSeconds: r!.value.vcpuSeconds, gbSeconds: r!.value.gbSeconds },
    { service: 'web', provider: 'FARGATE_SPOT', billedSeconds: 599, vcpuSeconds: 599 / 2, gbSeconds: 599 },
  );
  // The next run finds it stored: nothing more to write, and retention may take the task.
  assert.deepEqual(job.reconcile(await job.load(), NOW + 60_000).actions, []);
  assert.equal(job.metered(t), true);
  await store.close();
});

test('running and never-pulled tasks are not metered; a never-pulled one needs no record to go', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const running = await fargateTask(store, 1, { running: true });
  const unpulled = await fargateTask(store, 3, { pulled: false });
  state.set(snapshot({ tasks: [running, unpulled] }));
  const job = fargateUsageJob({ store, state, now: () => NOW });
  assert.equal(job.metered(unpulled), false, 'not yet read');
  assert.deepEqual(job.reconcile(await job.load(), NOW).actions, []);
  assert.deepEqual(await stored(store), []);
  assert.equal(job.metered(running), true);
  assert.equal(job.metered(unpulled), true);
  await store.close();
});

test('EC2-mode tasks are not metered by default: no usage write, no store read, nothing held from retention', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const ec2 = await fargateTask(store, 2, { launchType: 'EC2' });
  const external = await fargateTask(store, 3, { launchType: 'EXTERNAL' });
  state.set(snapshot({ tasks: [ec2, external] }));
  let reads = 0;
  const counting = new Proxy(store, {
    get(target, prop) {
      if (prop === 'get') return (key: string) => { reads++; return target.get(key); };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const job = fargateUsageJob({ store: counting, state, now: () => NOW });
  assert.equal(job.metered(ec2), true, 'retention may take it at once');
  assert.equal(job.metered(external), true);
  assert.deepEqual(job.reconcile(await job.load(), NOW).actions, []);
  assert.equal(reads, 0, 'their task records are not read');
  assert.deepEqual(await stored(store), []);
  await store.close();
});

test('with meterEc2, an EC2-mode task is metered as EC2 (what it would have cost on Fargate) and held until it is', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const ec2 = await fargateTask(store, 2, { launchType: 'EC2' });
  state.set(snapshot({ tasks: [ec2] }));
  const job = fargateUsageJob({ store, state, now: () => NOW, meterEc2: true });
  assert.equal(job.metered(ec2), false);
  assert.deepEqual(await apply(store, job.reconcile(await job.load(), NOW).actions), [true]);
  assert.deepEqual((await stored(store)).map((r) => [r.key.split('/').pop(), r.value.provider]), [[ec2.id, 'EC2']]);
  await job.load();
  assert.equal(job.metered(ec2), true);
  await store.close();
});

test('never two records: two leaders that decided at once write one, and a job restarted after kill -9 writes none', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const t = await fargateTask(store, 1);
  state.set(snapshot({ tasks: [t] }));
  const a = fargateUsageJob({ store, state, now: () => NOW });
  const b = fargateUsageJob({ store, state, now: () => NOW });
  const sa = await a.load();
  const sb = await b.load();
  assert.deepEqual(await apply(store, a.reconcile(sa, NOW).actions), [true]);
  assert.deepEqual(await apply(store, b.reconcile(sb, NOW + 5_000).actions), [false], 'the second write requires the key absent');
  const restarted = fargateUsageJob({ store, state, now: () => NOW });
  assert.deepEqual(restarted.reconcile(await restarted.load(), NOW + 60_000).actions, []);
  assert.equal((await stored(store)).length, 1);
  await store.close();
});

test('a stopped task whose stop times were never recorded is metered once all the same, on a day that does not move', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const t: TaskSummary = { ...task(1, { lastStatus: 'STOPPED' }), launchType: 'FARGATE' };
  await put(store, t.key, { taskArn: t.taskArn, group: 'family:web', launchType: 'FARGATE', lastStatus: 'STOPPED', cpu: '256', memory: '512', pullStartedAt: NOW_S - 3 * 86_400, stoppingAt: NOW_S - 3 * 86_400 + 30 });
  state.set(snapshot({ tasks: [t] }));
  const job = fargateUsageJob({ store, state, now: () => NOW });
  assert.deepEqual(await apply(store, job.reconcile(await job.load(), NOW).actions), [true]);
  const later = fargateUsageJob({ store, state, now: () => NOW + 2 * 86_400_000 });
  assert.deepEqual(later.reconcile(await later.load(), NOW + 2 * 86_400_000).actions, []);
  const [r] = await stored(store);
  assert.equal(r!.value.billedSeconds, 60);
  await store.close();
});

test('a task record that cannot be read is passed over: the others are metered, and retention may take it', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const good = await fargateTask(store, 1);
  const bad = { ...task(2, { lastStatus: 'STOPPED' }), launchType: 'FARGATE' as const };
  assert.ok((await store.txn({ ops: [{ type: 'put', key: bad.key, value: '{not json' }] })).ok);
  state.set(snapshot({ tasks: [good, bad] }));
  const job = fargateUsageJob({ store, state, now: () => NOW });
  assert.deepEqual(await apply(store, job.reconcile(await job.load(), NOW).actions), [true]);
  assert.equal(job.metered(bad), true);
  await store.close();
});

test('a run reads a bounded number of task records; the rest are metered by the next runs', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const tasks: TaskSummary[] = [];
  for (let i = 0; i < MAX_METERED_PER_RUN + 3; i++) tasks.push(await fargateTask(store, i));
  state.set(snapshot({ tasks }));
  const job = fargateUsageJob({ store, state, now: () => NOW });
  assert.equal((await apply(store, job.reconcile(await job.load(), NOW).actions)).length, MAX_METERED_PER_RUN);
  assert.equal((await apply(store, job.reconcile(await job.load(), NOW).actions)).length, 3);
  assert.equal((await stored(store)).length, MAX_METERED_PER_RUN + 3);
  await store.close();
});

const usage = (cluster: string, id: string, end: number, o: Partial<UsageRecord> = {}): UsageRecord => ({
  taskArn: `arn:aws:ecs:us-east-1:000000000000:task/${cluster}/${id}`, cluster, provider: 'FARGATE', arch: 'x86_64', cpu: 1024, memory: 2048, storageGiB: 20,
  start: end - 120, end, billedSeconds: 120, vcpuSeconds: 120, gbSeconds: 240, storageGbSeconds: 0, ...o,
});

test('usage is kept 400 days: older days go, per-task and daily sums alike, one day of each a run', async () => {
  const store = await openSqliteStore(':memory:');
  const keys = [
    usageKeys.record('2025-09-30', SCOPE, 'default', 'b'), usageKeys.record('2025-10-01', SCOPE, 'default', 'a'),
    usageKeys.daily('2025-09-30', SCOPE, 'default', 'd'), usageKeys.daily('2025-10-01', SCOPE, 'default', 'c'), usageKeys.daily('2025-11-05', SCOPE, 'default', 'e'),
  ];
  for (const k of keys) await put(store, k, {});
  const job = fargateUsageJob({ store, state: new FakeClusterState(), now: () => NOW });
  const left = async () => [...(await store.list(USAGE_PREFIX)).items, ...(await store.list(DAILY_PREFIX)).items].map((kv) => kv.key);
  await apply(store, job.reconcile(await job.load(), NOW).actions);
  assert.deepEqual(await left(), [keys[1], keys[3], keys[4]]);
  await apply(store, job.reconcile(await job.load(), NOW).actions);
  assert.deepEqual(await left(), [keys[4]], 'the daily sum of 2025-11-05 is within 400 days');
  assert.deepEqual(job.reconcile(await job.load(), NOW).actions, []);
  await store.close();
});

test('after 35 days a day\'s per-task records become daily sums of at most 50, per cluster, counting each task once', async () => {
  const store = await openSqliteStore(':memory:');
  const old = NOW_S - 40 * 86_400;
  const day = new Date(old * 1000).toISOString().slice(0, 10);
  const recent = usageKeys.record('2026-12-01', SCOPE, 'a', 'r');
  await put(store, recent, usage('a', 'r', NOW_S - 6 * 86_400));
  for (let i = 0; i < 60; i++) await put(store, usageKeys.record(day, SCOPE, 'a', `t${String(i).padStart(3, '0')}`), usage('a', `t${i}`, old, i % 2 ? { service: 'web' } : {}));
  for (let i = 0; i < 3; i++) await put(store, usageKeys.record(day, SCOPE, 'b', `u${i}`), usage('b', `u${i}`, old, { provider: 'FARGATE_SPOT' }));
  const a = fargateUsageJob({ store, state: new FakeClusterState(), now: () => NOW });
  const b = fargateUsageJob({ store, state: new FakeClusterState(), now: () => NOW });
  const [sa, sb] = [await a.load(), await b.load()];
  assert.deepEqual(await apply(store, a.reconcile(sa, NOW).actions), [true, true, true]);
  // A second leader that read the same records has every chunk refused.
  assert.deepEqual(await apply(store, b.reconcile(sb, NOW).actions), [false, false, false]);
  assert.deepEqual((await store.list(USAGE_PREFIX)).items.map((kv) => kv.key), [recent], 'the recent day is kept per task');
  const sums = (await store.list(DAILY_PREFIX)).items.map((kv) => ({ key: kv.key, value: JSON.parse(kv.value) as DailyUsage }));
  assert.deepEqual(sums.map((x) => x.key), [usageKeys.daily(day, SCOPE, 'a', 't000'), usageKeys.daily(day, SCOPE, 'a', 't050'), usageKeys.daily(day, SCOPE, 'b', 'u0')]);
  const tasks = (d: DailyUsage) => d.lines.reduce((n, l) => n + l.tasks, 0);
  assert.deepEqual(sums.map((x) => tasks(x.value)), [50, 10, 3]);
  assert.deepEqual(sums[0]!.value.lines.map((l) => [l.service, l.tasks, l.vcpuSeconds]), [[undefined, 25, 25 * 120], ['web', 25, 25 * 120]]);
  assert.equal(sums[2]!.value.lines[0]!.provider, 'FARGATE_SPOT');
  assert.deepEqual(a.reconcile(await a.load(), NOW).actions, [], 'nothing left to compact');
  await store.close();
});

test('on the runner, retention keeps a stopped Fargate task until its usage is stored, then removes it', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const clock = new ManualClock(NOW);
  // Stopped two hours ago: past retention's hour, as after a control plane was down.
  const t = await fargateTask(store, 1, { stoppedAgo: 7200 });
  state.set(snapshot({ tasks: [t] }));
  const usage = fargateUsageJob({ store, state, everyMs: 300_000, now: clock.now });
  const runner = createControllerRunner({
    store, state, placer: new RecordingPlacer(), reconcilers: [], log: () => {}, now: clock.now, timers: clock,
    // Retention runs first here: it must keep the task all the same.
    jobs: [retentionJob({ store, state, everyMs: 60_000, keep: (x) => !usage.metered(x) }), usage],
  });
  runner.start();
  const advance = (ms: number) => clock.advance(ms, () => runner.idle());
  await advance(60_000);
  assert.notEqual(await store.get(t.key), undefined, 'kept: not metered yet');
  await advance(240_000);
  assert.equal((await stored(store)).length, 1, 'metered');
  assert.notEqual(await store.get(t.key), undefined, 'the job has not read its record back yet');
  await advance(300_000);
  assert.equal(usage.metered(t), true);
  await advance(60_000);
  assert.equal(await store.get(t.key), undefined, 'removed once its usage is stored');
  await runner.close();
  await store.close();
});
