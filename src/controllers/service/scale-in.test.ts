import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskSummary } from '../../cluster/types.ts';
import type { TaskView } from './counts.ts';
import { scaleInOrder } from './scale-in.ts';

function v(id: string, zone: string, instance: string, over: Partial<TaskView> = {}, createdAt = 0): TaskView {
  const task = { id, key: id, containerInstanceArn: instance, createdAt } as TaskSummary;
  return { task, live: true, healthy: true, zone, ...over };
}

test('ECS\'s scale-in order: tasks not healthy first, then the zone with the most tasks, then the instance with the most', () => {
  // Zone a: 1 task; zone b: 3 tasks on two instances; zone c: 2 tasks.
  const all = [
    v('a1', 'a', 'ia'),
    v('b1', 'b', 'ib1'), v('b2', 'b', 'ib1'), v('b3', 'b', 'ib2'),
    v('c1', 'c', 'ic'), v('c2', 'c', 'ic', { healthy: false }),
  ];
  const order = scaleInOrder(all, all).map((x) => x.task.id);
  // c2 is not healthy; then zone b (3 tasks), its busiest instance ib1 first; then b again
  // (2 left, ib1 and ib2 level: newest id); then all zones level at 1 each.
  assert.deepEqual(order, ['c2', 'b2', 'b3', 'c1', 'b1', 'a1']);
  const left = all.filter((x) => !order.slice(0, 3).includes(x.task.id)).map((x) => x.zone);
  assert.deepEqual(left.sort(), ['a', 'b', 'c'], 'three tasks left are one per zone');
});

test('among equals, the newest task goes first', () => {
  const all = [v('old', 'a', 'i', {}, 1), v('new', 'a', 'i', {}, 5)];
  assert.deepEqual(scaleInOrder(all, all).map((x) => x.task.id), ['new', 'old']);
});
