import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCOPE, taskOp, taskRecord } from '../../cluster/testing.ts';
import { ecsArn } from '../ecs/scope.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { listTasks, readTask, readTaskAt, taskKey, taskPins, taskRefOfArn, taskRefOfKey } from './task-store.ts';

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
