import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import type { ClusterSnapshot } from '../cluster/types.ts';
import { CONTROLLERS_LEASE_KEY, LEASE_TTL_MS } from './lease.ts';
import { CONFLICT_RETRY_MS, createControllerRunner, UPDATES_IN_FLIGHT, waves, type ControllerRunner } from './runner.ts';
import { FakeClusterState, ManualClock, RecordingPlacer, REF, snapshot, task } from './testing/harness.ts';
import type { Action, PeriodicJob, Reconciler } from './types.ts';
import { SCOPE, taskRecord } from '../cluster/testing.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { definitionFactsOf, specOf, statusOf } from '../core/ecs/task-model.ts';
import { readTask, splitTaskOps } from '../core/workload/task-store.ts';

interface Rig {
  store: Store;
  state: FakeClusterState;
  clock: ManualClock;
  placer: RecordingPlacer;
  runner: ControllerRunner;
  logs: string[];
  /** Moves this rig's clock, letting the runner finish what each timer started. */
  advance(ms: number): Promise<void>;
}

async function rig(o: { store?: Store; reconcilers?: Reconciler[]; jobs?: PeriodicJob[]; holder?: string; clock?: ManualClock } = {}): Promise<Rig> {
  const store = o.store ?? await openSqliteStore(':memory:');
  const state = new FakeClusterState();
  const clock = o.clock ?? new ManualClock();
  const placer = new RecordingPlacer();
  const logs: string[] = [];
  const runner = createControllerRunner({
    store, state, placer, reconcilers: o.reconcilers ?? [], jobs: o.jobs ?? [], log: (l) => logs.push(l),
    now: clock.now, timers: clock, ...(o.holder && { holder: o.holder }),
  });
  runner.start();
  const r: Rig = { store, state, clock, placer, runner, logs, advance: (ms) => clock.advance(ms, () => runner.idle()) };
  await r.advance(0);
  return r;
}

/** A reconciler built from a function of the snapshot; it counts its calls. */
function reconciler(name: string, decide: (s: ClusterSnapshot, now: number) => { actions: Action[]; wakeAt?: number }): Reconciler & { calls: number } {
  const r = { name, calls: 0, reconcile: (s: ClusterSnapshot, now: number) => { r.calls++; return decide(s, now); } };
  return r;
}

/** Puts a JSON value and answers its modRevision. */
async function put(store: Store, key: string, value: unknown): Promise<number> {
  const r = await store.txn({ ops: [{ type: 'put', key, value: JSON.stringify(value) }] });
  assert.ok(r.ok);
  return r.revision;
}

const value = async (store: Store, key: string) => { const kv = await store.get(key); return kv && JSON.parse(kv.value) as unknown; };

/** Marks every RUNNING task of the snapshot, pinned to the revision the snapshot holds. */
const marker = () => reconciler('marker', (s) => ({
  actions: s.tasks.filter((t) => t.lastStatus === 'RUNNING').map((t) => ({
    type: 'txn', why: `mark ${t.id}`,
    txn: { if: [{ key: t.key, modRevision: t.modRevision }], ops: [{ type: 'put', key: t.key, value: JSON.stringify({ marked: true }) }] },
  })),
}));

test('the runner takes the lease and applies a txn action once the cluster changes', async () => {
  const m = marker();
  const r = await rig({ reconcilers: [m] });
  assert.equal(r.runner.leader, true);
  const t = task(1);
  const rev = await put(r.store, t.key, { marked: false });
  r.state.set(snapshot({ tasks: [{ ...t, modRevision: rev }] }));
  await r.runner.idle();
  assert.equal(m.calls, 1);
  assert.deepEqual(await value(r.store, t.key), { marked: true });
  await r.runner.close();
});

test('a write refused by a changed record is decided again on the next snapshot, not retried blindly', async () => {
  const m = marker();
  const r = await rig({ reconcilers: [m] });
  const t = task(1);
  const stale = await put(r.store, t.key, { marked: false, v: 1 });
  const fresh = await put(r.store, t.key, { marked: false, v: 2 });
  r.state.set(snapshot({ tasks: [{ ...t, modRevision: stale }] }));
  await r.runner.idle();
  assert.deepEqual(await value(r.store, t.key), { marked: false, v: 2 }, 'the stale decision changed nothing');
  // The state catches up: the next pass decides on what is there now.
  r.state.set(snapshot({ revision: 2, tasks: [{ ...t, modRevision: fresh }] }));
  await r.runner.idle();
  assert.equal(m.calls, 2);
  assert.deepEqual(await value(r.store, t.key), { marked: true });
  await r.runner.close();
});

test('a conflicted pass runs again after CONFLICT_RETRY_MS even if nothing else changes', async () => {
  const m = marker();
  const r = await rig({ reconcilers: [m] });
  const t = task(1);
  const stale = await put(r.store, t.key, { v: 1 });
  await put(r.store, t.key, { v: 2 });
  r.state.set(snapshot({ tasks: [{ ...t, modRevision: stale }] }));
  await r.runner.idle();
  assert.equal(m.calls, 1);
  await r.advance(CONFLICT_RETRY_MS - 1);
  assert.equal(m.calls, 1);
  await r.advance(1);
  assert.equal(m.calls, 2);
  await r.runner.close();
});

test('wakeAt is honoured: the cluster is reconciled again at that time, and not before', async () => {
  const clock = new ManualClock();
  const at = clock.now() + 5_000;
  const w = reconciler('waiter', (_s, now) => ({ actions: [], ...(now < at && { wakeAt: at }) }));
  const r = await rig({ reconcilers: [w], clock });
  r.state.set(snapshot());
  await r.runner.idle();
  assert.equal(w.calls, 1);
  await r.advance(4_999);
  assert.equal(w.calls, 1);
  await r.advance(1);
  assert.equal(w.calls, 2, 'woken at wakeAt');
  await r.runner.close();
});

test('changes during a pass coalesce into one more pass', async () => {
  let release!: () => void;
  const gate = new Promise<void>((res) => { release = res; });
  const l = reconciler('launcher', (s) => ({
    actions: s.revision === 1 ? [{ type: 'launch', why: 'start one', launch: { scope: REF.scope, cluster: REF.cluster, taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', count: 1, now: 0 } }] : [],
  }));
  const r = await rig({ reconcilers: [l] });
  r.placer.answer = async () => { await gate; return { tasks: [], failures: [] }; };
  r.state.set(snapshot({ revision: 1 }));
  await new Promise((res) => setImmediate(res));
  for (let rev = 2; rev <= 6; rev++) r.state.set(snapshot({ revision: rev }));
  assert.equal(l.calls, 1, 'no second pass while the first is in flight');
  release();
  await r.runner.idle();
  assert.equal(l.calls, 2, 'five changes during the pass: one more pass');
  await r.runner.close();
});

test('a launch goes through the placer, fenced by the lease, and its follow-up actions are applied', async () => {
  const l = reconciler('launcher', (s) => ({
    actions: s.revision === 1 ? [{
      type: 'launch', why: 'start two',
      launch: { scope: REF.scope, cluster: REF.cluster, taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', count: 2, group: 'service:web', now: 0 },
      then: (result) => [{ type: 'update', key: '/t/events', why: 'event', change: (cur) => [...((cur as string[] | undefined) ?? []), 'error' in result ? result.error : `started ${result.tasks.length}`] }],
    }] : [],
  }));
  const r = await rig({ reconcilers: [l] });
  r.placer.answer = async (launch) => ({ tasks: Array.from({ length: launch.count }, () => ({}) as never), failures: [] });
  r.state.set(snapshot({ revision: 1 }));
  await r.runner.idle();
  assert.equal(r.placer.launches.length, 1);
  const lease = await r.store.get(CONTROLLERS_LEASE_KEY);
  assert.deepEqual(r.placer.launches[0]!.fence, [{ key: CONTROLLERS_LEASE_KEY, modRevision: lease!.modRevision }]);
  assert.deepEqual(await value(r.store, '/t/events'), ['started 2']);
  // A placer refusal reaches `then` as an error.
  r.placer.answer = async () => { throw new Error('no container instance met all of its requirements'); };
  r.state.set(snapshot({ revision: 1 }));
  await r.runner.idle();
  assert.deepEqual(await value(r.store, '/t/events'), ['started 2', 'no container instance met all of its requirements']);
  await r.runner.close();
});

test('an update action lands whatever else changed the record, and its pinned conditions are not retried', async () => {
  const u = reconciler('appender', (s) => ({
    actions: s.revision === 1
      ? [{ type: 'update', key: '/t/list', why: 'append', change: (cur) => [...(cur as number[]), s.revision] }]
      : [{ type: 'update', key: '/t/list', why: 'pinned', if: [{ key: '/t/pin', modRevision: 1 }], change: (cur) => [...(cur as number[]), s.revision] }],
  }));
  const r = await rig({ reconcilers: [u] });
  await put(r.store, '/t/list', [0]);
  await put(r.store, '/t/pin', 'x');
  r.state.set(snapshot({ revision: 1 }));
  await r.runner.idle();
  assert.deepEqual(await value(r.store, '/t/list'), [0, 1]);
  r.state.set(snapshot({ revision: 2 }));
  await r.runner.idle();
  assert.deepEqual(await value(r.store, '/t/list'), [0, 1], 'the pinned record changed: nothing written');
  await r.runner.close();
});

test('a task update goes through the task store: only the half it names is written', async () => {
  const store = await openSqliteStore(':memory:');
  const ref = { scope: SCOPE, cluster: REF.cluster, id: 'a'.repeat(32) };
  const record = taskRecord(REF.cluster, ref.id, { lastStatus: 'RUNNING', instance: 'i1' });
  // Stored apart, as tasks will be (task-migration.ts makes that of a whole record).
  await store.txn({ ops: splitTaskOps(ref, specOf(record, definitionFactsOf(record)), statusOf(record)) });
  const before = (await readTask(store, ref))!;
  const stop = reconciler('stopper', () => ({
    actions: [{ type: 'update', task: 'spec', key: before.key, why: 'stop', change: (cur) => ({ ...(cur as TaskRecord), desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'scaling in', version: (cur as TaskRecord).version + 1 }) }],
  }));
  const r = await rig({ store, reconcilers: [stop] });
  r.state.set(snapshot({ revision: 1 }));
  await r.runner.idle();
  const after = (await readTask(store, ref))!;
  assert.deepEqual([after.record.desiredStatus, after.record.stopCode, after.record.version], ['STOPPED', 'ServiceSchedulerInitiated', record.version + 1]);
  assert.ok(after.specRevision > before.specRevision, 'the spec written');
  assert.equal(after.statusRevision, before.statusRevision, 'the status left as it was');
  await r.runner.close();
});

test('updates of distinct records land together (sharing the store\'s commits); order is kept where one names another\'s record', () => {
  const up = (key: string, pin?: string): Action => ({ type: 'update', key, why: key, change: () => 1, ...(pin && { if: [{ key: pin, modRevision: 1 }] }) });
  const txn: Action = { type: 'txn', why: 'svc', txn: { ops: [] } };
  const keysOf = (ws: Action[][]) => ws.map((w) => w.map((a) => (a.type === 'update' ? a.key : a.why)));
  assert.deepEqual(keysOf(waves([txn, up('/t/1'), up('/t/2'), up('/t/3')])), [['svc'], ['/t/1', '/t/2', '/t/3']]);
  // instance-health: task writes pinned to the instance, then the instance's own write.
  assert.deepEqual(keysOf(waves([up('/t/1', '/i/1'), up('/t/2', '/i/1'), up('/i/1')])), [['/t/1', '/t/2'], ['/i/1']]);
  assert.deepEqual(keysOf(waves([up('/i/1'), up('/t/1', '/i/1')])), [['/i/1'], ['/t/1']], 'a pin on a record written before waits for it');
  assert.deepEqual(keysOf(waves([up('/t/1'), up('/t/1')])), [['/t/1'], ['/t/1']], 'the same record twice, in order');
  assert.deepEqual(keysOf(waves([up('/t/1'), txn, up('/t/2')])), [['/t/1'], ['svc'], ['/t/2']]);
});

test('a pass applies a wave of updates concurrently, at most UPDATES_IN_FLIGHT at once', async () => {
  const store = await openSqliteStore(':memory:');
  let inFlight = 0;
  let most = 0;
  const txn = async (t: Parameters<Store['txn']>[0]) => { inFlight++; most = Math.max(most, inFlight); try { return await store.txn(t); } finally { inFlight--; } };
  const counting = new Proxy(store, {
    get: (target, prop) => {
      if (prop === 'txn') return txn;
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const n = UPDATES_IN_FLIGHT * 2;
  const u = reconciler('stopper', () => ({ actions: Array.from({ length: n }, (_, i): Action => ({ type: 'update', key: `/t/${i}`, why: `stop ${i}`, change: () => 'STOPPED' })) }));
  const r = await rig({ store: counting, reconcilers: [u] });
  r.state.set(snapshot({ revision: 1 }));
  await r.runner.idle();
  for (let i = 0; i < n; i++) assert.equal(await value(store, `/t/${i}`), 'STOPPED');
  assert.ok(most > 1, `updates went one at a time (${most} in flight at most)`);
  assert.ok(most <= UPDATES_IN_FLIGHT, `${most} in flight, over the bound`);
  await r.runner.close();
});

test('a reconciler that throws is logged and the others still run', async () => {
  const bad = reconciler('broken', () => { throw new Error('boom'); });
  const m = marker();
  const r = await rig({ reconcilers: [bad, m] });
  const t = task(1);
  const rev = await put(r.store, t.key, { marked: false });
  r.state.set(snapshot({ tasks: [{ ...t, modRevision: rev }] }));
  await r.runner.idle();
  assert.deepEqual(await value(r.store, t.key), { marked: true });
  assert.ok(r.logs.some((l) => l.includes('broken failed on cluster default') && l.includes('boom')), r.logs.join('\n'));
  // And it is tried again later.
  await r.advance(CONFLICT_RETRY_MS);
  assert.equal(bad.calls, 2);
  await r.runner.close();
});

test('a periodic job runs every everyMs: load, reconcile, apply', async () => {
  let loads = 0;
  const job: PeriodicJob<number> = {
    name: 'counter', everyMs: 60_000,
    load: async () => ++loads,
    reconcile: (n) => ({ actions: [{ type: 'txn', why: 'count', txn: { ops: [{ type: 'put', key: '/t/count', value: String(n) }] } }] }),
  };
  const r = await rig({ jobs: [job as PeriodicJob] });
  await r.advance(59_999);
  assert.equal(loads, 0);
  await r.advance(1);
  assert.equal(await value(r.store, '/t/count'), 1);
  await r.advance(60_000);
  assert.equal(await value(r.store, '/t/count'), 2);
  await r.runner.close();
});

test('a second runner waits while the first renews, takes over when it stops, and the old leader is fenced out', async () => {
  const store = await openSqliteStore(':memory:');
  const ma = marker();
  const mb = marker();
  const a = await rig({ store, reconcilers: [ma], holder: 'a' });
  const b = await rig({ store, reconcilers: [mb], holder: 'b' });
  assert.equal(a.runner.leader, true);
  assert.equal(b.runner.leader, false);
  const t = task(1);
  const rev = await put(store, t.key, { by: 'nobody' });
  // Both see the change; only the leader reconciles.
  a.state.set(snapshot({ tasks: [{ ...t, modRevision: rev }] }));
  b.state.set(snapshot({ tasks: [{ ...t, modRevision: rev }] }));
  await a.runner.idle();
  await b.runner.idle();
  assert.equal(ma.calls, 1);
  assert.equal(mb.calls, 0);
  // While a renews, b stays a standby past the TTL.
  for (let i = 0; i < 4; i++) {
    await a.advance(LEASE_TTL_MS / 2);
    await b.advance(LEASE_TTL_MS / 2);
  }
  assert.equal(b.runner.leader, false);
  assert.equal(a.runner.leader, true);
  // a stops renewing (its clock stands still: paused, partitioned); b takes over after the TTL.
  await b.advance(LEASE_TTL_MS + 5_000 + 1);
  assert.equal(b.runner.leader, true);
  assert.equal(JSON.parse((await store.get(CONTROLLERS_LEASE_KEY))!.value).holder, 'b');
  assert.ok(mb.calls >= 1, 'the new leader reconciles every cluster it knows');
  // a still believes it leads; its write is refused by the fence and it steps down.
  const cur = (await store.get(t.key))!;
  const before = cur.value;
  a.state.set(snapshot({ revision: 9, tasks: [{ ...t, modRevision: cur.modRevision }] }));
  await a.runner.idle();
  assert.equal((await store.get(t.key))!.value, before, 'the old leader wrote nothing');
  assert.equal(a.runner.leader, false);
  assert.ok(a.logs.some((l) => l.includes('refused for the lease')), a.logs.join('\n'));
  await a.runner.close();
  await b.runner.close();
  await store.close();
});

test('closing releases the lease: a standby takes over at its next check, not after the TTL', async () => {
  const store = await openSqliteStore(':memory:');
  const a = await rig({ store, holder: 'a' });
  const b = await rig({ store, holder: 'b' });
  assert.equal(b.runner.leader, false);
  await a.runner.close();
  assert.equal(await store.get(CONTROLLERS_LEASE_KEY), undefined);
  await b.advance(5_000);
  assert.equal(b.runner.leader, true);
  await b.runner.close();
  await store.close();
});
