import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { changeTask, deleteTaskTxn, readTask } from '../core/workload/task-store.ts';
import { podTaskId, podTaskOps } from '../scheduler/testing/pod-tasks.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { createClusterState } from './cluster-state.ts';
import { clusterOp, SCOPE } from './testing.ts';
import { UNPLACED } from './types.ts';
import { SplitTasks } from './split-tasks.ts';

const REF = { scope: SCOPE, cluster: POD_ECS_CLUSTER };

test('a task stored as a spec and a status is indexed as their join: listed, watched, changed by either half, removed with its spec', async () => {
  const store = await openSqliteStore(':memory:');
  await store.txn({ ops: [clusterOp(POD_ECS_CLUSTER), ...podTaskOps(SCOPE, 1, 'loaded', 'uid-demo')] });
  const state = createClusterState(store);
  try {
    await state.ready();
    const loaded = state.task(REF, podTaskId(1));
    assert.deepEqual([loaded?.lastStatus, loaded?.group, loaded?.containerInstanceArn], ['PROVISIONING', 'pod:default/loaded', undefined], 'listed at start');
    const r = await store.txn({ ops: podTaskOps(SCOPE, 2, 'watched', 'uid-demo') });
    await state.caughtUp(r.revision);
    assert.deepEqual(state.snapshot(REF)!.tasksWhere({ instanceArn: UNPLACED }).map((t) => t.id), [podTaskId(1), podTaskId(2)], 'seen through the watch');
    const w = await changeTask(store, { ...REF, id: podTaskId(2) }, 'status', (t) => ({ ...t, lastStatus: 'PENDING' }));
    assert.equal(w.outcome, 'written');
    await state.caughtUp((w as { revision: number }).revision);
    assert.equal(state.task(REF, podTaskId(2))?.lastStatus, 'PENDING', 'a status write alone moves the summary');
    const held = await readTask(store, { ...REF, id: podTaskId(2) });
    const d = await store.txn(deleteTaskTxn(held!));
    await state.caughtUp(d.revision);
    assert.equal(state.task(REF, podTaskId(2)), undefined);
  } finally {
    state.close();
    await store.close();
  }
});

test('split halves: joined only once both are held, an older half is stale, and a removed task is forgotten', () => {
  const split = new SplitTasks();
  const [specOp, statusOp] = podTaskOps(SCOPE, 1, 'p', 'uid-demo') as unknown as [{ key: string; value: string }, { key: string; value: string }];
  assert.equal(split.put(specOp.key, 'spec', 5, JSON.parse(specOp.value)), undefined);
  const joined = split.put(specOp.key, 'status', 5, JSON.parse(statusOp.value));
  assert.ok(joined && joined !== 'stale');
  assert.equal(joined.record.lastStatus, 'PROVISIONING');
  assert.equal(split.put(specOp.key, 'status', 4, JSON.parse(statusOp.value)), 'stale');
  split.remove(specOp.key);
  assert.equal(split.size, 0);
});
