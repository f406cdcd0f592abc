import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../cluster/types.ts';
import { POD_ECS_CLUSTER } from '../core/kube/pod/hosting.ts';
import { MAX_PODS_PER_PASS, podBackoffMs, POD_INITIAL_BACKOFF_MS, POD_MAX_BACKOFF_MS, reconcilePodPending } from './pod-pending.ts';
import { instance, REF, snapshot, task } from './testing/harness.ts';
import type { Action } from './types.ts';

const T0 = 1_700_000_000_000;

/** A pod's task as the pods backend makes it: in POD_ECS_CLUSTER, on no host, created `ageS` seconds before T0. */
function pod(n: number, o: { desiredStatus?: 'RUNNING' | 'STOPPED'; lastStatus?: TaskSummary['lastStatus']; ageS?: number; launchType?: TaskSummary['launchType'] } = {}): TaskSummary {
  const { containerInstanceArn: _none, ...t } = task(n, { group: `pod:default/web-${n}` });
  return {
    ...t, taskDefinitionArn: '', family: '', lastStatus: o.lastStatus ?? 'PROVISIONING', desiredStatus: o.desiredStatus ?? 'RUNNING',
    launchType: o.launchType ?? 'EC2', createdAt: T0 / 1000 - (o.ageS ?? 0),
  };
}

const launches = (actions: readonly Action[]) => actions.filter((a) => a.type === 'launch').map((a) => (a as Extract<Action, { type: 'launch' }>).launch);

test('waiting pods go to the placer in one launch by id, with no task definition', () => {
  assert.equal(REF.cluster, POD_ECS_CLUSTER);
  const i = instance(1);
  const placed = { ...task(9, { on: i, group: 'pod:default/placed' }) };
  const spot = { ...pod(4, { launchType: 'FARGATE' }), group: 'service:web' };
  const r = reconcilePodPending(snapshot({ instances: [i], tasks: [pod(1), pod(2, { lastStatus: 'PENDING' }), placed, pod(3, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), spot] }), T0);
  const [l, more] = launches(r.actions);
  assert.equal(more, undefined);
  assert.deepEqual([l!.pods, l!.count, l!.taskDefinitionArn, l!.cluster, l!.now], [[pod(1).id, pod(2).id], 2, '', POD_ECS_CLUSTER, T0 / 1000]);
  assert.equal(r.actions.length, 1, 'a placed pod, a stopped one and a Fargate Spot task are not its concern');
});

test('nothing waits: nothing to do and no wake-up; other ECS clusters are never looked at', () => {
  assert.deepEqual(reconcilePodPending(snapshot({ tasks: [task(1, { on: instance(1) })] }), T0), { actions: [] });
  assert.deepEqual(reconcilePodPending(snapshot({ ref: { ...REF, cluster: 'web' }, tasks: [pod(1)] }), T0), { actions: [] });
});

test('a pod told to stop before it was placed is STOPPED at once (no agent will report it)', () => {
  const r = reconcilePodPending(snapshot({ tasks: [pod(1, { desiredStatus: 'STOPPED' })] }), T0);
  assert.equal(launches(r.actions).length, 0);
  const [u] = r.actions;
  assert.equal(u!.type, 'update');
  assert.equal((u as Extract<Action, { type: 'update' }>).task, 'both');
  assert.equal(r.wakeAt, undefined);
});

test('unschedulable pods are tried again on a back-off that doubles with the oldest pod\'s age, to at most 10 s', () => {
  assert.deepEqual([0, 999, 1_000, 2_500, 4_000, 9_000, 60_000].map(podBackoffMs), [1_000, 1_000, 1_000, 2_000, 4_000, 8_000, 10_000]);
  assert.equal(reconcilePodPending(snapshot({ tasks: [pod(1)] }), T0).wakeAt, T0 + POD_INITIAL_BACKOFF_MS);
  assert.equal(reconcilePodPending(snapshot({ tasks: [pod(1), pod(2, { ageS: 300 })] }), T0).wakeAt, T0 + POD_MAX_BACKOFF_MS);
});

test('a pass asks for at most MAX_PODS_PER_PASS pods', () => {
  const tasks = Array.from({ length: MAX_PODS_PER_PASS + 3 }, (_, n) => pod(n));
  const [l] = launches(reconcilePodPending(snapshot({ tasks }), T0).actions);
  assert.equal(l!.pods!.length, MAX_PODS_PER_PASS);
});

test('pods a Fargate profile selected (launchType FARGATE) go in a launch of their own, to the Fargate pool', () => {
  const r = reconcilePodPending(snapshot({ tasks: [pod(1), pod(2, { launchType: 'FARGATE' }), pod(3, { launchType: 'FARGATE' })] }), T0);
  const [nodes, fargate, more] = launches(r.actions);
  assert.equal(more, undefined);
  assert.deepEqual([nodes!.pods, nodes!.launchType], [[pod(1).id], undefined], 'the node groups\' pods as before');
  assert.deepEqual([fargate!.pods, fargate!.count, fargate!.launchType, fargate!.taskDefinitionArn], [[pod(2).id, pod(3).id], 2, 'FARGATE', '']);
  const [only] = launches(reconcilePodPending(snapshot({ tasks: [pod(4, { launchType: 'FARGATE', desiredStatus: 'STOPPED' }), pod(5, { launchType: 'FARGATE' })] }), T0).actions);
  assert.deepEqual(only!.pods, [pod(5).id], 'a Fargate pod told to stop before it was placed is stopped, not launched');
});
