import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podGroup } from '../../core/kube/pod/hosting.ts';
import { isolation, owner } from './ps.ts';

test('ps shows the boundary a task got: the task attribute, else -', () => {
  assert.equal(isolation({ attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'berth.isolation', value: 'gvisor' }] }), 'gvisor');
  assert.equal(isolation({ attributes: [{ name: 'berth.isolation', value: 'container' }] }), 'container');
  assert.equal(isolation({ attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }] }), '-');
});

test("ps names what a task belongs to: its service, the pod it is, or nothing", () => {
  const td = 'arn:aws:ecs:us-east-1:0:task-definition/web:1';
  assert.equal(owner({ group: 'service:web', taskDefinitionArn: td }), 'web');
  assert.equal(owner({ group: podGroup('kube-system', 'coredns-5d78c'), taskDefinitionArn: '' }), 'pod kube-system/coredns-5d78c');
  assert.equal(owner({ group: podGroup('default', 'x'), taskDefinitionArn: td }), '-', 'a RunTask --group pod:… is no pod');
  assert.equal(owner({ group: 'family:web', taskDefinitionArn: td }), '-');
});
