import { test } from 'node:test';
import assert from 'node:assert/strict';
import { putOp, SCOPE, taskOp, taskRecord } from '../../cluster/testing.ts';
import { keys } from '../ecs/keys.ts';
import { newTask, taskView, type TaskRecord } from '../ecs/task.ts';
import type { TaskDefinitionRecord } from '../ecs/task-definition.ts';
import { applyReport } from '../ecs/task-report.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import { migrateTaskRecords } from './task-migration.ts';
import { applyStatusReport } from './apply-report.ts';
import { changeTask, deleteTaskTxn, listTasks, readTask, taskPins, taskStatusKey, type TaskRef } from './task-store.ts';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const OTHER = { account: '210987654321', region: 'eu-west-1' };

const td: TaskDefinitionRecord = {
  taskDefinitionArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:task-definition/app:3`, family: 'app', revision: 3, status: 'ACTIVE',
  containerDefinitions: [{ name: 'web', image: 'registry.local/web:1', cpu: 128, memory: 256, essential: true, portMappings: [{ containerPort: 80, protocol: 'tcp' }], environment: [], mountPoints: [], volumesFrom: [] }],
  volumes: [], placementConstraints: [], requiresAttributes: [], compatibilities: ['EC2'], networkMode: 'bridge', registeredAt: 1, registeredBy: 'me', tags: [],
};

/** A task of `td` placed and running, stored as one record (the layout before the split). */
function runningTask(): TaskRecord {
  const t = newTask({
    scope: SCOPE, clusterName: 'c', id: A, containerIds: ['c0'], taskDefinition: td, overrides: {},
    containerInstanceArn: `arn:aws:ecs:${SCOPE.region}:${SCOPE.account}:container-instance/c/i1`, tags: [{ key: 'k', value: 'v' }],
    launchType: 'EC2', enableExecuteCommand: false, attachments: [], nowSeconds: 1000,
  });
  return applyReport(t, { taskArn: t.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtimeId: 'rt' }] }, 1010)!;
}

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore(':memory:');
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

const view = (t: TaskRecord) => JSON.parse(JSON.stringify(taskView(t, true))) as unknown;
const refA: TaskRef = { scope: SCOPE, cluster: 'c', id: A };

test('migration splits every whole task record into spec and status, the ECS view unchanged; a second run finds nothing to do', async () => {
  await withStore(async (store) => {
    const running = runningTask();
    // B's definition revision is gone (deregistered and deleted): its spec is made from the record.
    await store.txn({ ops: [putOp(keys.taskDefinition(SCOPE, 'app', 3), td), putOp(keys.task(SCOPE, 'c', A), running), taskOp('c', B), taskOp('d', A, { scope: OTHER })] });
    assert.deepEqual(await migrateTaskRecords(store), { migrated: 3, withoutDefinition: 2 });
    const a = (await readTask(store, refA))!;
    assert.ok(a.spec && a.status, 'stored apart');
    assert.equal(a.spec.containers[0]!.ports[0]!.containerPort, 80, 'the spec has the definition\'s containers');
    assert.deepEqual(view(a.record), view(running));
    assert.deepEqual(view((await readTask(store, { ...refA, id: B }))!.record), view(taskRecord('c', B)));
    assert.deepEqual(view((await readTask(store, { scope: OTHER, cluster: 'd', id: A }))!.record), view(taskRecord('d', A, { scope: OTHER })));
    assert.deepEqual((await listTasks(store, SCOPE, 'c')).items.map((t) => view(t.record)), [view(running), view(taskRecord('c', B))]);
    const revision = await store.revision();
    assert.deepEqual(await migrateTaskRecords(store), { migrated: 0, withoutDefinition: 0 });
    assert.equal(await store.revision(), revision, 'nothing written');
  });
});

test('split, a spec write and a status write never refuse each other, and each leaves the other half as it was', async () => {
  await withStore(async (store) => {
    const running = runningTask();
    await store.txn({ ops: [putOp(keys.taskDefinition(SCOPE, 'app', 3), td), putOp(keys.task(SCOPE, 'c', A), running)] });
    await migrateTaskRecords(store);
    const before = (await readTask(store, refA))!;
    let commits = 0;
    // StopTask's spec write, with the agent's report landing between its read and its commit.
    const stop = await changeTask(store, refA, 'spec', (t) => ({ ...t, desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user', version: t.version + 1 }), {
      commit: async (txn) => {
        if (commits++ === 0) {
          const w = await changeTask(store, refA, 'status', (t) => applyReport(t, { taskArn: t.taskArn, status: 'RUNNING', containers: [], healthStatus: 'HEALTHY' }, 1020));
          assert.equal(w.outcome, 'written');
        }
        return store.txn(txn);
      },
    });
    assert.equal(stop.outcome, 'written');
    assert.equal(commits, 1, 'not retried: the report wrote the status, the stop the spec');
    const after = (await readTask(store, refA))!;
    assert.equal(after.statusRevision, before.statusRevision + 1, 'the report\'s write');
    assert.equal(after.specRevision, before.statusRevision + 2, 'the stop\'s write');
    assert.deepEqual([after.record.desiredStatus, after.record.stopCode, after.record.healthStatus, after.record.version], ['STOPPED', 'UserInitiated', 'HEALTHY', running.version + 2]);
    // A write pinned to the task as first read (both halves) no longer lands.
    assert.equal((await store.txn({ if: taskPins(before), ops: [] })).ok, false);
    assert.equal((await store.txn({ if: taskPins(after), ops: [] })).ok, true);
    // Stopped by its agent, then deleted (retention): both halves go.
    await changeTask(store, refA, 'status', (t) => applyReport(t, { taskArn: t.taskArn, status: 'STOPPED', containers: [{ name: 'web', status: 'STOPPED', exitCode: 0 }] }, 1030));
    const stopped = (await readTask(store, refA))!;
    assert.deepEqual([stopped.record.lastStatus, stopped.record.stopCode], ['STOPPED', 'UserInitiated']);
    assert.equal((await store.txn(deleteTaskTxn(stopped))).ok, true);
    assert.equal(await readTask(store, refA), undefined);
    assert.equal(await store.get(taskStatusKey(refA)), undefined);
  });
});

test('a spec without its status is damage, said as such', async () => {
  await withStore(async (store) => {
    await store.txn({ ops: [putOp(keys.task(SCOPE, 'c', A), runningTask())] });
    await migrateTaskRecords(store);
    await store.txn({ ops: [{ type: 'delete', key: taskStatusKey(refA) }] });
    await assert.rejects(readTask(store, refA), /holds a spec and no status/);
  });
});

test('a report folded into a split task\'s status with `status` keeps the probe facts the ECS join has no field for', async () => {
  await withStore(async (store) => {
    await store.txn({ ops: [putOp(keys.taskDefinition(SCOPE, 'app', 3), td), putOp(keys.task(SCOPE, 'c', A), runningTask())] });
    await migrateTaskRecords(store);
    const report = { taskArn: runningTask().taskArn, status: 'RUNNING' as const, containers: [{ name: 'web', status: 'RUNNING' as const, ready: true, started: true }] };
    // Through the join alone the readiness is lost: nothing the record holds changed.
    assert.equal((await changeTask(store, refA, 'status', (t) => applyReport(t, report, 1020))).outcome, 'unchanged');
    assert.equal((await readTask(store, refA))!.status!.containers[0]!.ready, undefined);
    const w = await changeTask(store, refA, 'status', (t) => applyReport(t, report, 1020), { status: (spec, status) => applyStatusReport(spec, status, report, 1020) });
    assert.equal(w.outcome, 'written');
    const after = (await readTask(store, refA))!;
    assert.deepEqual([after.status!.containers[0]!.ready, after.status!.containers[0]!.started], [true, true]);
    assert.equal(after.record.lastStatus, 'RUNNING');
    assert.equal((await changeTask(store, refA, 'status', () => undefined, { status: (spec, status) => applyStatusReport(spec, status, report, 1021) })).outcome, 'unchanged', 'the same report again changes nothing');
  });
});
