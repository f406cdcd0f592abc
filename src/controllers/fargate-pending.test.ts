import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../cluster/types.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { MAX_WAITING_PER_PASS, PENDING_RETRY_MS, reconcileFargatePending } from './fargate-pending.ts';
import { instance, REF, snapshot, task } from './testing/harness.ts';
import type { Action } from './types.ts';

const T0 = 1_700_000_000_000;

/** A FARGATE_SPOT task waiting for capacity: PROVISIONING, on no host. */
function waiting(n: number, o: { group?: string; family?: string; desiredStatus?: 'RUNNING' | 'STOPPED'; lastStatus?: TaskSummary['lastStatus'] } = {}): TaskSummary {
  const { containerInstanceArn: _none, ...t } = task(n, { group: o.group ?? 'service:web' });
  return {
    ...t, launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT', lastStatus: o.lastStatus ?? 'PROVISIONING', desiredStatus: o.desiredStatus ?? 'RUNNING',
    ...(o.family && { taskDefinitionArn: t.taskDefinitionArn.replace('web:1', `${o.family}:1`), family: o.family }),
  };
}

const launches = (actions: readonly Action[]) => actions.filter((a) => a.type === 'launch').map((a) => (a as Extract<Action, { type: 'launch' }>).launch);

test('nothing waits: nothing to do, and no wake-up', () => {
  const i = instance(1);
  const placed = { ...task(1, { on: i }), launchType: 'FARGATE' as const };
  assert.deepEqual(reconcileFargatePending(snapshot({ instances: [i], tasks: [placed, task(2, { on: i })] }), T0), { actions: [] });
});

test('waiting tasks are handed to the placer by definition and group, and looked at again soon', () => {
  const tasks = [waiting(1), waiting(2), waiting(3, { group: 'service:api' }), waiting(4, { family: 'batch', group: 'family:batch' }), waiting(5, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })];
  const r = reconcileFargatePending(snapshot({ tasks }), T0);
  const ls = launches(r.actions);
  assert.deepEqual(ls.map((l) => [l.group, l.count, l.waiting, l.taskDefinitionArn.split('/').pop()]), [
    ['service:web', 2, [tasks[0]!.id, tasks[1]!.id], 'web:1'],
    ['service:api', 1, [tasks[2]!.id], 'web:1'],
    ['family:batch', 1, [tasks[3]!.id], 'batch:1'],
  ]);
  for (const l of ls) {
    assert.deepEqual([l.scope, l.cluster, l.now], [REF.scope, REF.cluster, T0 / 1000]);
    assert.equal(l.launchType, undefined, 'the placer knows a waiting launch for the pool\'s');
  }
  assert.equal(r.wakeAt, T0 + PENDING_RETRY_MS, 'capacity freed by another cluster changes nothing here: look again');
});

test('a pass asks for at most MAX_WAITING_PER_PASS tasks', () => {
  const tasks = Array.from({ length: MAX_WAITING_PER_PASS + 3 }, (_, n) => waiting(n));
  const [l] = launches(reconcileFargatePending(snapshot({ tasks }), T0).actions);
  assert.equal(l!.waiting!.length, MAX_WAITING_PER_PASS);
});

test('a waiting task told to stop is STOPPED at once (no agent will report it), keeping StopTask\'s reason', () => {
  const t = waiting(1, { desiredStatus: 'STOPPED' });
  const r = reconcileFargatePending(snapshot({ tasks: [t] }), T0);
  assert.equal(r.wakeAt, undefined);
  const [stop, ...rest] = r.actions;
  assert.deepEqual(rest, []);
  assert.equal(stop!.type, 'update');
  const change = (stop as Extract<Action, { type: 'update' }>).change;
  const record = {
    taskArn: t.taskArn, clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', taskDefinitionArn: t.taskDefinitionArn, overrides: {},
    lastStatus: 'PROVISIONING', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'not needed', version: 2,
    containers: [{ name: 'web', lastStatus: 'PENDING' }], createdAt: 0, group: t.group, launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT',
    attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false,
  } as unknown as TaskRecord;
  const next = change(record, T0) as TaskRecord;
  assert.deepEqual([next.lastStatus, next.stopCode, next.stoppedReason, next.stoppedAt, next.containers[0]!.lastStatus, next.version], ['STOPPED', 'UserInitiated', 'not needed', T0 / 1000, 'STOPPED', 3]);
  assert.equal(change({ ...record, containerInstanceArn: 'arn:placed-meanwhile' }, T0), undefined, 'placed meanwhile: its agent stops it');
  assert.equal(change({ ...record, desiredStatus: 'RUNNING' }, T0), undefined);
});

test('a waiting pod on Fargate capacity is not a Fargate Spot task: left to the pod scheduler', () => {
  assert.deepEqual(reconcileFargatePending(snapshot({ tasks: [{ ...waiting(1, { group: 'pod:default/web' }), taskDefinitionArn: '', family: '' }] }), T0), { actions: [] });
});
