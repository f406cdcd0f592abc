import assert from 'node:assert/strict';
import { test } from 'node:test';
import { putOp, SCOPE, taskRecord } from '../cluster/testing.ts';
import { keys } from '../core/ecs/keys.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { TASK_STATE_CHANGE, type EcsEvent } from './ecs-event.ts';
import { eventId, readCursor, readEvent, regionEventsPrefix } from './event-log.ts';
import { startEventProducer } from './producer.ts';

const NOW = Date.parse('2026-12-07T06:00:00.000Z');
const id = (n: number) => String(n).padStart(32, 'b');

async function events(store: Store, region = SCOPE.region): Promise<{ key: string; event: EcsEvent }[]> {
  return (await store.list(regionEventsPrefix(region))).items.map((kv) => ({ key: kv.key, event: readEvent(kv.key, kv.value)! }));
}

async function until(what: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await what()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('timed out');
}

test('every write of a task record gives one ECS Task State Change event in EventBridge\'s envelope; other writes none', async () => {
  const store = await openSqliteStore(':memory:');
  const producer = await startEventProducer({ store, log: () => {}, now: () => NOW });
  try {
    const t = { ...taskRecord('c', id(1), { instance: 'i1' }), startedAt: 1_700_000_010, capacityProviderName: 'FARGATE_SPOT' };
    await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(1)), t), putOp(keys.cluster(SCOPE, 'c'), {})] });
    await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(1)), { ...t, lastStatus: 'RUNNING', version: 2 })] });
    await until(async () => (await events(store)).length === 2);
    await producer.idle();
    const [first, second] = await events(store);
    assert.deepEqual(Object.keys(first!.event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
    assert.deepEqual([first!.event.version, first!.event['detail-type'], first!.event.source, first!.event.account, first!.event.region, first!.event.time],
      ['0', TASK_STATE_CHANGE, 'aws.ecs', SCOPE.account, SCOPE.region, '2026-12-07T06:00:00.000Z']);
    assert.deepEqual(first!.event.resources, [t.taskArn]);
    assert.equal(first!.event.id, eventId(first!.key));
    const d = second!.event.detail;
    assert.deepEqual([d.taskArn, d.lastStatus, d.version, d.capacityProviderName, d.updatedAt, d.createdAt, d.startedAt],
      [t.taskArn, 'RUNNING', 2, 'FARGATE_SPOT', '2026-12-07T06:00:00.000Z', new Date(1_700_000_000_000).toISOString(), new Date(1_700_000_010_000).toISOString()]);
    assert.equal(d.healthStatus, undefined, 'AWS leaves the task\'s health out of the event');
    assert.equal(d.reservedPorts, undefined, 'Berth\'s own fields stay out');
  } finally {
    await producer.close();
    await store.close();
  }
});

test('several tasks written in one transaction each get an event, numbered within the revision', async () => {
  const store = await openSqliteStore(':memory:');
  const producer = await startEventProducer({ store, log: () => {}, now: () => NOW });
  try {
    const r = await store.txn({ ops: [1, 2, 3].map((n) => putOp(keys.task(SCOPE, 'c', id(n)), taskRecord('c', id(n)))) });
    await until(async () => (await events(store)).length === 3);
    assert.deepEqual((await events(store)).map((e) => e.key.slice(-17)), [0, 1, 2].map((i) => `${String(r.revision).padStart(12, '0')}-000${i}`));
  } finally {
    await producer.close();
    await store.close();
  }
});

test('a producer restarted resumes from its cursor: the changes made while it was down get their events, none twice', async () => {
  const dir = await import('node:fs').then((fs) => fs.mkdtempSync('/tmp/berth-events-'));
  const path = `${dir}/state.db`;
  try {
    let store = await openSqliteStore(path);
    let producer = await startEventProducer({ store, log: () => {}, now: () => NOW });
    for (let n = 1; n <= 3; n++) await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(n)), taskRecord('c', id(n)))] });
    await until(async () => (await events(store)).length === 3);
    await producer.close();
    let last = 0;
    for (let n = 4; n <= 6; n++) last = (await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(n)), taskRecord('c', id(n)))] })).revision;
    await store.close();
    store = await openSqliteStore(path);
    producer = await startEventProducer({ store, log: () => {}, now: () => NOW });
    await until(async () => (await events(store)).length >= 6);
    await producer.idle();
    const got = await events(store);
    assert.deepEqual(got.map((e) => String(e.event.detail.taskArn).slice(-1)), ['1', '2', '3', '4', '5', '6']);
    assert.equal((await readCursor(store)).cursor.revision, last, 'the cursor is at the last task write');
    await producer.close();
    await store.close();
  } finally {
    (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  }
});

test('each region keeps its newest events up to the bound; the oldest go', async () => {
  const store = await openSqliteStore(':memory:');
  const producer = await startEventProducer({ store, log: () => {}, now: () => NOW, maxPerRegion: 4 });
  const west = { ...SCOPE, region: 'us-west-2' };
  try {
    for (let n = 1; n <= 7; n++) await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(n)), taskRecord('c', id(n)))] });
    await store.txn({ ops: [putOp(keys.task(west, 'c', id(9)), taskRecord('c', id(9), { scope: west }))] });
    await until(async () => (await events(store, 'us-west-2')).length === 1);
    await producer.idle();
    assert.deepEqual((await events(store)).map((e) => String(e.event.detail.taskArn).slice(-1)), ['4', '5', '6', '7']);
    assert.deepEqual((await readCursor(store)).cursor.counts, { 'us-east-1': 4, 'us-west-2': 1 });
  } finally {
    await producer.close();
    await store.close();
  }
});

test('past its queue bound the producer stops taking changes, writes what it has, and resumes from the cursor: still one event per task write', async () => {
  const store = await openSqliteStore(':memory:');
  const logs: string[] = [];
  const producer = await startEventProducer({ store, log: (l) => logs.push(l), now: () => NOW, maxQueued: 5 });
  try {
    // 12 tasks in one transaction (one revision past the bound) and 8 more, committed together
    // (one group commit: delivered in one run, so the queue overflows).
    await Promise.all([
      store.txn({ ops: Array.from({ length: 12 }, (_, n) => putOp(keys.task(SCOPE, 'c', id(n)), taskRecord('c', id(n)))) }),
      ...Array.from({ length: 8 }, (_, k) => store.txn({ ops: [putOp(keys.task(SCOPE, 'c', id(12 + k)), taskRecord('c', id(12 + k)))] })),
    ]);
    await until(async () => (await events(store)).length >= 20);
    await producer.idle();
    await new Promise((r) => setTimeout(r, 50));
    const got = await events(store);
    assert.equal(got.length, 20);
    assert.equal(new Set(got.map((e) => e.event.detail.taskArn)).size, 20, 'each task once');
    assert.ok(logs.length >= 1 && logs.every((l) => l.includes('read from the store\'s history')), logs.join('\n'));
  } finally {
    await producer.close();
    await store.close();
  }
});
