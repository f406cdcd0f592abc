import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolation } from './ps.ts';

test('ps shows the boundary a task got: the task attribute, else -', () => {
  assert.equal(isolation({ attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'berth.isolation', value: 'gvisor' }] }), 'gvisor');
  assert.equal(isolation({ attributes: [{ name: 'berth.isolation', value: 'container' }] }), 'container');
  assert.equal(isolation({ attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }] }), '-');
});
