import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { createClusterState } from './cluster-state.ts';
import { listSnapshot } from './snapshot.ts';
import { clusterOp, instanceOp, SCOPE, taskOp } from './testing.ts';
import type { ClusterRef, TaskFilter } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-snapshot-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const ref: ClusterRef = { scope: SCOPE, cluster: 'c1' };

const FILTERS: TaskFilter[] = [
  {}, { group: 'service:web' }, { group: 'service:api' }, { group: 'nobody' }, { startedBy: 'ecs-svc/1' },
  { group: 'service:web', desiredStatus: 'STOPPED' }, { family: 'api', after: 'b' }, { instanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/c1/i1' },
];

test('a snapshot reads one group\'s tasks from the index, as filtering the whole list would, and copies the list only when asked', async () => {
  const store = await openSqliteStore(join(dir, 'a.db'));
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [
      clusterOp('c1'), instanceOp('c1', 'i1'),
      taskOp('c1', 'd', { instance: 'i1', group: 'service:web', startedBy: 'ecs-svc/1' }),
      taskOp('c1', 'a', { instance: 'i1', group: 'service:web', startedBy: 'ecs-svc/0' }),
      taskOp('c1', 'b', { family: 'api', group: 'service:api', startedBy: 'ecs-svc/1' }),
      taskOp('c1', 'c', { family: 'api' }),
      taskOp('c1', 'e', { group: 'service:web', startedBy: 'ecs-svc/1', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }),
    ] });
    await state.ready();
    const live = state.snapshot(ref)!;
    const plain = listSnapshot({ ...live, tasks: [...live.tasks].reverse() });
    const ids = (s: typeof live, f: TaskFilter) => s.tasksWhere(f).map((t) => t.id);
    assert.deepEqual(ids(live, { group: 'service:web' }), ['a', 'd', 'e'], 'the group, in id order, STOPPED ones kept included');
    for (const f of FILTERS) assert.deepEqual(ids(live, f), ids(plain, f), `the index and the list agree on ${JSON.stringify(f)}`);
    assert.equal(live.tasks, live.tasks, 'the whole list is built once per snapshot');
    assert.equal(live.tasks.length, 5);
  } finally {
    state.close();
    await store.close();
  }
});

test('a snapshot read after the state moved on throws rather than mixing two revisions', async () => {
  const store = await openSqliteStore(join(dir, 'b.db'));
  const state = createClusterState(store);
  try {
    await store.txn({ ops: [clusterOp('c1'), taskOp('c1', 'a', { group: 'service:web', startedBy: 'ecs-svc/0' })] });
    await state.ready();
    const kept = state.snapshot(ref)!;
    const r = await store.txn({ ops: [taskOp('c1', 'b', { group: 'service:web', startedBy: 'ecs-svc/0' })] });
    await state.caughtUp(r.revision);
    assert.throws(() => kept.tasksWhere({ group: 'service:web' }), /read \(tasksWhere\) after the state moved to \d+: take a new snapshot/);
    assert.throws(() => kept.tasks, /read \(tasks\) after the state moved/);
    assert.deepEqual(state.snapshot(ref)!.tasksWhere({ group: 'service:web' }).map((t) => t.id), ['a', 'b'], 'a new snapshot sees the write');
  } finally {
    state.close();
    await store.close();
  }
});
