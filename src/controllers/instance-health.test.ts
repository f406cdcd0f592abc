import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { TaskRecord } from '../core/ecs/task.ts';
import { applyReport } from '../core/ecs/task-report.ts';
import { reconcileInstanceHealth } from './instance-health.ts';
import { instance, snapshot, task } from './testing/harness.ts';
import type { Action } from './types.ts';

const GRACE = 15_000;
const T0 = 1_700_000_000_000;

type Update = Extract<Action, { type: 'update' }>;
const updates = (actions: readonly Action[]) => actions.map((a) => { assert.equal(a.type, 'update'); return a as Update; });

/** A stored task record for `change` to work on. */
function stored(t: ReturnType<typeof task>): TaskRecord {
  return {
    taskArn: t.taskArn, clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default', taskDefinitionArn: t.taskDefinitionArn,
    ...(t.containerInstanceArn && { containerInstanceArn: t.containerInstanceArn }),
    overrides: { containerOverrides: [] }, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, version: 3,
    containers: [{ name: 'web', lastStatus: 'RUNNING' }] as TaskRecord['containers'], createdAt: 0, startedAt: 10, group: t.group, launchType: 'EC2',
    attachments: [], healthStatus: 'UNKNOWN', tags: [], enableExecuteCommand: false,
  };
}

test('a connected instance asks for nothing', () => {
  const i = instance(1);
  assert.deepEqual(reconcileInstanceHealth(snapshot({ instances: [i], tasks: [task(1, { on: i, group: 'service:web' })] }), T0, GRACE), { actions: [] });
});

test('within the grace period nothing changes, and the reconciler asks to wake when it ends', () => {
  const a = instance(1, { disconnectedAt: T0 });
  const b = instance(2, { disconnectedAt: T0 + 4_000 });
  const r = reconcileInstanceHealth(snapshot({ instances: [a, b], tasks: [task(1, { on: a, group: 'service:web' })] }), T0 + 10_000, GRACE);
  assert.deepEqual(r.actions, []);
  assert.equal(r.wakeAt, T0 + GRACE, 'the earliest end of a grace period');
});

test('past the grace period: the service tasks are stopped, then the instance is shown disconnected; standalone tasks stay', () => {
  const i = instance(1, { disconnectedAt: T0, modRevision: 42 });
  const web = task(1, { on: i, group: 'service:web' });
  const api = task(2, { on: i, group: 'service:api', lastStatus: 'PENDING' });
  const standalone = task(3, { on: i, group: 'family:batch' });
  const done = task(4, { on: i, group: 'service:web', lastStatus: 'STOPPED' });
  const elsewhere = task(5, { on: instance(2), group: 'service:web' });
  const now = T0 + GRACE;
  const r = reconcileInstanceHealth(snapshot({ instances: [i, instance(2)], tasks: [web, api, standalone, done, elsewhere] }), now, GRACE);
  const [stopWeb, stopApi, disconnect, ...rest] = updates(r.actions);
  assert.deepEqual(rest, []);
  assert.deepEqual([stopWeb!.key, stopApi!.key, disconnect!.key], [web.key, api.key, i.key]);
  // The task writes are pinned to the instance as read: a reconnect in between refuses them.
  assert.deepEqual(stopWeb!.if, [{ key: i.key, modRevision: 42 }]);

  const after = stopWeb!.change(stored(web), now + 500) as TaskRecord;
  assert.equal(after.desiredStatus, 'STOPPED');
  assert.equal(after.lastStatus, 'STOPPED');
  assert.equal(after.stoppedAt, (now + 500) / 1000);
  assert.equal(after.stopCode, 'ServiceSchedulerInitiated');
  assert.match(after.stoppedReason!, /agent of its container instance .* has been disconnected for more than 15 seconds/);
  assert.deepEqual(after.containers.map((c) => c.lastStatus), ['STOPPED']);
  assert.equal(after.version, 4);

  const record = { ...i.record } as ContainerInstanceRecord;
  assert.deepEqual(disconnect!.change(record, now), { ...record, agentConnected: false });
});

test('the writes re-check the current record: a task already stopped or moved, or an agent back, is left as it is', () => {
  const i = instance(1, { disconnectedAt: T0 });
  const web = task(1, { on: i, group: 'service:web' });
  const [stop, disconnect] = updates(reconcileInstanceHealth(snapshot({ instances: [i], tasks: [web] }), T0 + GRACE, GRACE).actions);
  assert.equal(stop!.change({ ...stored(web), lastStatus: 'STOPPED' }, T0), undefined);
  assert.equal(stop!.change(undefined, T0), undefined);
  const { agentDisconnectedAt: _gone, ...back } = i.record;
  assert.equal(disconnect!.change(back, T0), undefined, 'a hello cleared agentDisconnectedAt meanwhile');
  assert.equal(disconnect!.change({ ...i.record, agentDisconnectedAt: T0 + 1 }, T0), undefined, 'a newer absence counts from its own start');
});

test('an instance already shown disconnected is not written again; a deregistered one is ignored', () => {
  const shown = instance(1, { disconnectedAt: T0, agentConnected: false });
  const gone = instance(2, { disconnectedAt: T0, status: 'INACTIVE' });
  const r = reconcileInstanceHealth(snapshot({ instances: [shown, gone], tasks: [task(1, { on: gone, group: 'service:web' })] }), T0 + GRACE * 2, GRACE);
  assert.deepEqual(r.actions, []);
});

test('a late report from the agent cannot revive a task stopped for a lost instance', () => {
  const i = instance(1, { disconnectedAt: T0 });
  const web = task(1, { on: i, group: 'service:web' });
  const [stop] = updates(reconcileInstanceHealth(snapshot({ instances: [i], tasks: [web] }), T0 + GRACE, GRACE).actions);
  const stopped = stop!.change(stored(web), T0 + GRACE) as TaskRecord;
  assert.equal(applyReport(stopped, { taskArn: web.taskArn, status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING' }] }, T0 / 1000 + 100), undefined);
});

test('a lost Fargate pool host: the service tasks of every cluster placed on it are stopped, each under its own key', () => {
  const host = instance(1, { disconnectedAt: T0, modRevision: 7 });
  const other = { ...task(2, { on: host, group: 'service:web' }), key: '/ecs/210987654321/us-east-1/tasks/b/x', launchType: 'FARGATE' as const };
  const standalone = { ...task(3, { on: host, group: 'family:batch' }), key: '/ecs/210987654321/us-east-1/tasks/b/y', launchType: 'FARGATE' as const };
  const r = reconcileInstanceHealth(snapshot({ instances: [host], tasks: [], foreign: [other, standalone] }), T0 + GRACE, GRACE);
  const [stop, disconnect, ...rest] = updates(r.actions);
  assert.deepEqual(rest, []);
  assert.equal(stop!.key, other.key, 'written to the task\'s own cluster');
  assert.deepEqual(stop!.if, [{ key: host.key, modRevision: 7 }]);
  assert.equal(disconnect!.key, host.key);
});

test('lost instances\' service tasks are stopped a bounded number per pass; an instance is marked disconnected in the pass that stops its last', () => {
  const a = instance(1, { disconnectedAt: T0 });
  const b = instance(2, { disconnectedAt: T0 });
  const onA = [1, 2, 3].map((n) => task(n, { on: a, group: 'service:web' }));
  const onB = task(4, { on: b, group: 'service:web' });
  const now = T0 + GRACE;
  const first = reconcileInstanceHealth(snapshot({ instances: [a, b], tasks: [...onA, onB] }), now, GRACE, 2);
  assert.deepEqual(updates(first.actions).map((u) => u.key), [onA[0]!.key, onA[1]!.key], 'two stops, no instance write yet');
  assert.equal(first.wakeAt, now, 'the rest at once, in the next pass');

  // The next pass sees the first two stopped.
  const stopped = onA.slice(0, 2).map((t) => task(Number.parseInt(t.id, 16) - 1_000_000, { on: a, group: 'service:web', lastStatus: 'STOPPED' }));
  const second = reconcileInstanceHealth(snapshot({ instances: [a, b], tasks: [...stopped, onA[2]!, onB] }), now + 100, GRACE, 2);
  assert.deepEqual(updates(second.actions).map((u) => u.key), [onA[2]!.key, onB.key, a.key, b.key]);
  assert.equal(second.wakeAt, undefined);
});
