import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../cluster/types.ts';
import { FakeClusterState, SCOPE, snapshot, task } from '../controllers/testing/harness.ts';
import { dailyOf, dayOf, usageKeys, type UsageRecord } from '../cost/usage-record.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { fargateUsageLines, UsageBusyError, usageQueryOf } from './fargate-usage-query.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z') / 1000;
const put = async (store: Store, key: string, value: unknown) => assert.ok((await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] })).ok);
const usage = (id: string, end: number, o: Partial<UsageRecord> = {}): UsageRecord => ({
  taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`, cluster: 'default', service: 'web', provider: 'FARGATE', arch: 'x86_64',
  cpu: 1024, memory: 2048, storageGiB: 20, start: end - 3600, end, billedSeconds: 3600, vcpuSeconds: 3600, gbSeconds: 7200, storageGbSeconds: 0, ...o,
});

/** A Fargate task in the state, its record in the store. */
async function live(store: Store, n: number, o: { stopped?: boolean } = {}): Promise<TaskSummary> {
  const t: TaskSummary = { ...task(n, { lastStatus: o.stopped ? 'STOPPED' : 'RUNNING' }), launchType: 'FARGATE', group: 'service:web' };
  await put(store, t.key, {
    taskArn: t.taskArn, group: 'service:web', launchType: 'FARGATE', lastStatus: t.lastStatus, cpu: '1024', memory: '2048', pullStartedAt: NOW - 1800,
    ...(o.stopped && { stoppedAt: NOW - 900 }),
  });
  return t;
}

test('stored records, daily sums and tasks not yet metered each count once', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const running = await live(store, 1);
  const stoppedUnmetered = await live(store, 2, { stopped: true });
  const stoppedMetered = await live(store, 3, { stopped: true });
  state.set(snapshot({ tasks: [running, stoppedUnmetered, stoppedMetered] }));
  // The metered one's record says 100 vCPU-seconds: it counts by its record, not live.
  await put(store, usageKeys.record(dayOf(NOW - 900), SCOPE, 'default', stoppedMetered.id), usage(stoppedMetered.id, NOW - 900, { vcpuSeconds: 100 }));
  const oldDay = dayOf(NOW - 40 * 86_400);
  await put(store, usageKeys.daily(oldDay, SCOPE, 'default', 'x'), dailyOf('default', oldDay, [usage('x', NOW - 40 * 86_400), usage('y', NOW - 40 * 86_400, { service: 'api' })]));
  const q = { scope: SCOPE, since: NOW - 60 * 86_400, until: NOW };
  const a = await fargateUsageLines(store, state, q, NOW);
  assert.deepEqual(a.counted, { stored: 3, live: 2 });
  const web = a.lines.find((l) => l.service === 'web')!;
  assert.equal(web.tasks, 4);
  // running: 1800 s, stopped unmetered: 900 s, metered: its 100, the daily sum's web task: 3600.
  assert.equal(web.vcpuSeconds, 1800 + 900 + 100 + 3600);
  assert.equal(a.lines.find((l) => l.service === 'api')!.tasks, 1);
  // A window of the last hour: neither the daily sum nor anything else from 40 days ago.
  const recent = await fargateUsageLines(store, state, { ...q, since: NOW - 3600 }, NOW);
  assert.deepEqual(recent.counted, { stored: 1, live: 2 });
  // Only the api service: the daily sum's api line.
  assert.deepEqual((await fargateUsageLines(store, state, { ...q, service: 'api' }, NOW)).counted, { stored: 1, live: 0 });
  // Another cluster: nothing.
  assert.deepEqual((await fargateUsageLines(store, state, { ...q, cluster: 'other' }, NOW)).lines, []);
  await store.close();
});

test('EC2-mode tasks count only when asked for, stored and live', async () => {
  const store = await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const t: TaskSummary = { ...task(1), launchType: 'EC2' };
  await put(store, t.key, { taskArn: t.taskArn, group: 'family:web', launchType: 'EC2', lastStatus: 'RUNNING', cpu: '100', memory: '100', pullStartedAt: NOW - 3600 });
  state.set(snapshot({ tasks: [t] }));
  await put(store, usageKeys.record(dayOf(NOW - 60), SCOPE, 'default', 'e'), usage('e', NOW - 60, { provider: 'EC2' }));
  const q = { scope: SCOPE, since: NOW - 86_400, until: NOW };
  assert.deepEqual((await fargateUsageLines(store, state, q, NOW)).counted, { stored: 0, live: 0 });
  const a = await fargateUsageLines(store, state, { ...q, ec2: true }, NOW);
  assert.deepEqual(a.counted, { stored: 1, live: 1 });
  // The live one sized as the smallest Fargate task: 0.25 vCPU for an hour.
  const live = a.lines.find((l) => l.service === undefined)!;
  assert.equal(live.vcpuSeconds, 900);
  assert.equal(live.provider, 'EC2');
  await store.close();
});

/** The store, with a hook run after each list of a daily-sum prefix. */
function hooked(store: Store, afterDailyList: (n: number) => Promise<void>): Store {
  let n = 0;
  return Object.assign(Object.create(store) as Store, {
    list: async (prefix: string, o?: Parameters<Store['list']>[1]) => {
      const r = await store.list(prefix, o);
      if (prefix.startsWith('/berth/fargate-usage-daily/')) await afterDailyList(++n);
      return r;
    },
  });
}

test('a day compacted while it is read is read again: its tasks count once', async () => {
  const inner = await openSqliteStore(':memory:');
  const day = dayOf(NOW - 40 * 86_400);
  const rs = [usage('a', NOW - 40 * 86_400), usage('b', NOW - 40 * 86_400)];
  for (const r of rs) await put(inner, usageKeys.record(day, SCOPE, 'default', r.taskArn.split('/').pop()!), r);
  // After the first read of the day's sums, the records become a sum (as the compaction does it).
  const store = hooked(inner, async (n) => {
    if (n !== 1) return;
    const r = await inner.txn({ ops: [
      { type: 'put', key: usageKeys.daily(day, SCOPE, 'default', 'a'), value: JSON.stringify(dailyOf('default', day, rs)) },
      { type: 'deletePrefix', prefix: usageKeys.scopeDay(day, SCOPE) },
    ] });
    assert.ok(r.ok);
  });
  const a = await fargateUsageLines(store, new FakeClusterState(), { scope: SCOPE, since: NOW - 60 * 86_400, until: NOW }, NOW);
  assert.deepEqual(a.counted, { stored: 2, live: 0 });
  assert.equal(a.lines[0]!.vcpuSeconds, 7200);
  await inner.close();
});

test('a day that keeps changing under the reads is given up with a message to ask again', async () => {
  const inner = await openSqliteStore(':memory:');
  const day = dayOf(NOW - 40 * 86_400);
  const store = hooked(inner, async (n) => {
    await put(inner, usageKeys.daily(day, SCOPE, 'default', `s${n}`), dailyOf('default', day, []));
  });
  await assert.rejects(fargateUsageLines(store, new FakeClusterState(), { scope: SCOPE, since: NOW - 41 * 86_400, until: NOW }, NOW), (err: unknown) => err instanceof UsageBusyError && /being compacted: ask again in a minute/.test(err.message));
  await inner.close();
});

test('a usage query takes its window, names and scope from the URL, with one-line refusals', () => {
  const q = (s: string) => usageQueryOf(new URLSearchParams(s), NOW, SCOPE);
  assert.deepEqual(q(''), { scope: SCOPE, since: NOW - 30 * 86_400, until: NOW, ec2: false });
  assert.deepEqual(q('since=100&until=200&cluster=c-1&service=web_2&ec2=true&region=eu-west-1&account=111111111111'), {
    scope: { account: '111111111111', region: 'eu-west-1' }, since: 100, until: 200, ec2: true, cluster: 'c-1', service: 'web_2',
  });
  const refusals: [string, RegExp][] = [
    ['since=abc', /^since must be epoch seconds, not 'abc'\.$/],
    ['until=-5', /^until must be epoch seconds/],
    ['since=', /^since must be epoch seconds/],
    ['since=200&until=100', /^since \(200\) must be before until \(100\)\.$/],
    ['cluster=a/b', /^cluster must be a name of 1 to 255 letters/],
    ['service=', /^service must be a name/],
    ['account=12', /^account must be 12 digits/],
    ['region=mars', /^region must be a region name like us-east-1/],
    ['ec2=yes', /^ec2 must be true or false/],
  ];
  for (const [s, m] of refusals) assert.match(q(s) as string, m, s);
});
