import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCOPE, taskOp, taskRecord } from '../../cluster/testing.ts';
import { ecsArn } from '../ecs/scope.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { changeTask, deleteTaskTxn, listTasks, newTaskOps, readTask, readTaskAt, taskKey, taskPins, taskRefOfArn, taskRefOfKey } from './task-store.ts';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

test('a task read by its ref, its key and in its cluster\'s list is the record stored, with the revision of each half', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const r = await store.txn({ ops: [taskOp('c', A, { instance: 'i1' }), taskOp('c', B), taskOp('d', A)] });
    const ref = { scope: SCOPE, cluster: 'c', id: A };
    const t = await readTask(store, ref);
    assert.deepEqual(t, { key: taskKey(ref), record: taskRecord('c', A, { instance: 'i1' }), specRevision: r.revision, statusRevision: r.revision });
    assert.deepEqual(await readTaskAt(store, taskKey(ref)), t);
    assert.equal(await readTask(store, { ...ref, id: 'f'.repeat(32) }), undefined);
    const page = await listTasks(store, SCOPE, 'c', { limit: 1 });
    assert.deepEqual(page.items.map((x) => x.record.taskArn), [ecsArn(SCOPE, `task/c/${A}`)]);
    assert.equal(page.more, true);
    const rest = await listTasks(store, SCOPE, 'c', { after: page.items[0]!.key });
    assert.deepEqual(rest.items.map((x) => x.record.taskArn), [ecsArn(SCOPE, `task/c/${B}`)]);
    assert.equal(rest.more, false);
  } finally {
    await store.close();
  }
});

test('a write pinned to a task as read lands only while the task is unchanged', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    await store.txn({ ops: [taskOp('c', A)] });
    const t = (await readTask(store, { scope: SCOPE, cluster: 'c', id: A }))!;
    assert.equal((await store.txn({ if: taskPins(t), ops: [{ type: 'put', key: '/x', value: '1' }] })).ok, true);
    await store.txn({ ops: [taskOp('c', A, { lastStatus: 'RUNNING' })] });
    assert.equal((await store.txn({ if: taskPins(t), ops: [{ type: 'put', key: '/x', value: '2' }] })).ok, false);
  } finally {
    await store.close();
  }
});

test('a task ARN and a task key name the same task; anything else names none', () => {
  const ref = { scope: SCOPE, cluster: 'c', id: A };
  assert.deepEqual(taskRefOfArn(ecsArn(SCOPE, `task/c/${A}`)), ref);
  assert.deepEqual(taskRefOfKey(taskKey(ref)), ref);
  for (const bad of [undefined, 42, 'task/c/x', ecsArn(SCOPE, 'task/c/not-an-id'), ecsArn(SCOPE, `cluster/c/${A}`), `arn:aws:s3:::task/c/${A}`]) assert.equal(taskRefOfArn(bad), undefined, String(bad));
  for (const bad of ['/ecs/a/r/tasks/c', '/ecs/a/r/instances/c/x', '/ecs/a/r/tasks/c/x/y']) assert.equal(taskRefOfKey(bad), undefined, bad);
});

test('changeTask writes what the change answers, compare-and-set: a write in between is read again, another record\'s condition is not retried', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    await store.txn({ ops: [taskOp('c', A), { type: 'put', key: '/pin', value: '1' }] });
    const ref = { scope: SCOPE, cluster: 'c', id: A };
    assert.deepEqual(await changeTask(store, { ...ref, id: B }, 'spec', (t) => t), { outcome: 'missing' });
    assert.equal((await changeTask(store, ref, 'spec', () => undefined)).outcome, 'unchanged');
    // The first attempt races a report written between its read and its commit.
    let calls = 0;
    const w = await changeTask(store, ref, 'spec', (t) => ({ ...t, desiredStatus: 'STOPPED' }), {
      commit: async (txn) => {
        if (calls++ === 0) await store.txn({ ops: [taskOp('c', A, { lastStatus: 'RUNNING' })] });
        return store.txn(txn);
      },
    });
    assert.equal(w.outcome, 'written');
    assert.equal(calls, 2);
    const now = (await readTask(store, ref))!;
    assert.deepEqual([now.record.lastStatus, now.record.desiredStatus], ['RUNNING', 'STOPPED'], 'the change was made again on the task as it then was');
    assert.deepEqual(w.outcome === 'written' && w.task, now);
    const pinned = await changeTask(store, ref, 'status', (t) => ({ ...t, lastStatus: 'STOPPED' }), { if: [{ key: '/pin', modRevision: 999 }] });
    assert.equal(pinned.outcome, 'conflict');
    assert.deepEqual(pinned.outcome === 'conflict' && pinned.failed, ['/pin']);
    assert.equal((await readTask(store, ref))!.record.lastStatus, 'RUNNING', 'nothing written');
    const storm = await changeTask(store, ref, 'spec', (t) => ({ ...t, startedBy: 'x' }), { attempts: 3, commit: async (txn) => { await store.txn({ ops: [taskOp('c', A, { lastStatus: 'RUNNING' })] }); return store.txn(txn); } });
    assert.equal(storm.outcome, 'conflict', 'gives up after its attempts');
  } finally {
    await store.close();
  }
});

test('a placed task\'s puts are read back as it was placed, and its delete lands only while it is as read', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const ref = { scope: SCOPE, cluster: 'c', id: A };
    const remembered: string[] = [];
    await store.txn({ ops: newTaskOps(ref, taskRecord('c', A), (k) => remembered.push(k)) });
    assert.deepEqual(remembered, [taskKey(ref)]);
    const t = (await readTask(store, ref))!;
    assert.deepEqual(t.record, taskRecord('c', A));
    await store.txn({ ops: [taskOp('c', A, { lastStatus: 'STOPPED' })] });
    assert.equal((await store.txn(deleteTaskTxn(t))).ok, false);
    assert.equal((await store.txn(deleteTaskTxn((await readTask(store, ref))!))).ok, true);
    assert.equal(await readTask(store, ref), undefined);
  } finally {
    await store.close();
  }
});
