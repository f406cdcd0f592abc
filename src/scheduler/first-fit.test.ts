import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeFirstFit, type InstanceSnapshot } from './first-fit.ts';

const instance = (arn: string, over: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  arn, status: 'ACTIVE', agentConnected: true, cpu: 2048, memory: 4096, portsInUse: new Set(['22/tcp']), attributes: new Set(['ecs.capability.task-eni']), ...over,
});
const demand = { cpu: 1024, memory: 1024, ports: [], requiredAttributes: [] };

test('places each task on the first instance that still fits', () => {
  const plan = placeFirstFit([instance('a'), instance('b')], demand, 3);
  assert.deepEqual(plan.placements, ['a', 'a', 'b']);
  assert.deepEqual(plan.failures, []);
});

test('reports why each instance refused once nothing fits', () => {
  const plan = placeFirstFit([instance('a', { cpu: 512 }), instance('b', { memory: 100 }), instance('c', { status: 'DRAINING' }), instance('d', { agentConnected: false })], demand, 1);
  assert.deepEqual(plan.placements, []);
  assert.deepEqual(plan.failures, [{ arn: 'a', reason: 'RESOURCE:CPU' }, { arn: 'b', reason: 'RESOURCE:MEMORY' }, { arn: 'c', reason: 'INACTIVE' }, { arn: 'd', reason: 'AGENT' }]);
});

test('a static host port is taken by the first task placed with it', () => {
  const plan = placeFirstFit([instance('a'), instance('b')], { ...demand, cpu: 0, memory: 0, ports: ['80/tcp'] }, 3);
  assert.deepEqual(plan.placements, ['a', 'b']);
  assert.deepEqual(plan.failures, [{ arn: 'a', reason: 'RESOURCE:PORTS' }, { arn: 'b', reason: 'RESOURCE:PORTS' }]);
});

test('required attributes filter instances', () => {
  const plan = placeFirstFit([instance('a', { attributes: new Set() }), instance('b')], { ...demand, requiredAttributes: ['ecs.capability.task-eni'] }, 1);
  assert.deepEqual(plan.placements, ['b']);
});
