import { test } from 'node:test';
import assert from 'node:assert/strict';
import { place } from './place.ts';
import type { PlacementInstance, PlacementRequest } from './types.ts';

const instance = (arn: string, over: Partial<PlacementInstance> = {}): PlacementInstance => ({
  arn, id: arn, status: 'ACTIVE', agentConnected: true, registeredAt: 0, attributes: new Map([['ecs.capability.task-eni', undefined]]),
  cpu: 2048, memory: 4096, eni: 2, portsInUse: new Set(['22/tcp']), groups: new Map(), taskCount: 0, ...over,
});
const request = (over: Partial<PlacementRequest> = {}, demand: Partial<PlacementRequest['demand']> = {}): PlacementRequest => ({
  count: 1, group: 'family:web', constraints: [], strategy: [],
  demand: { cpu: 1024, memory: 1024, ports: [], requiredAttributes: [], eni: false, ...demand }, ...over,
});
const rng = () => 0.5;

test('place: each task on the first instance that still fits', () => {
  const plan = place({ instances: [instance('a'), instance('b')] }, request({ count: 3 }), 0, rng);
  assert.deepEqual(plan.placements, ['a', 'a', 'b']);
  assert.deepEqual(plan.failures, []);
});

test('place: once nothing fits, why each instance refused', () => {
  const plan = place({ instances: [instance('a', { cpu: 512 }), instance('b', { memory: 100 }), instance('c', { status: 'DRAINING' }), instance('d', { agentConnected: false })] }, request(), 0, rng);
  assert.deepEqual(plan.placements, []);
  assert.deepEqual(plan.failures, [{ arn: 'a', reason: 'RESOURCE:CPU' }, { arn: 'b', reason: 'RESOURCE:MEMORY' }, { arn: 'c', reason: 'INACTIVE' }, { arn: 'd', reason: 'AGENT' }]);
});

test('place: a static host port and an ENI slot are taken by the task placed with them', () => {
  const ports = place({ instances: [instance('a'), instance('b')] }, request({ count: 3 }, { cpu: 0, memory: 0, ports: ['80/tcp'] }), 0, rng);
  assert.deepEqual(ports.placements, ['a', 'b']);
  assert.deepEqual(ports.failures.map((f) => f.reason), ['RESOURCE:PORTS', 'RESOURCE:PORTS']);
  const eni = place({ instances: [instance('a', { eni: 1 })] }, request({ count: 2 }, { cpu: 0, memory: 0, eni: true }), 0, rng);
  assert.deepEqual(eni.placements, ['a']);
  assert.deepEqual(eni.failures, [{ arn: 'a', reason: 'RESOURCE:ENI' }]);
});

test('place: required attributes (and their values), capacity provider, distinctInstance', () => {
  const attrs = place({ instances: [instance('a', { attributes: new Map() }), instance('b')] }, request({}, { requiredAttributes: [{ name: 'ecs.capability.task-eni' }] }), 0, rng);
  assert.deepEqual(attrs.placements, ['b']);
  const cp = place({ instances: [instance('a'), instance('b', { capacityProvider: 'cp1' })] }, request({ capacityProvider: 'cp1' }), 0, rng);
  assert.deepEqual(cp.placements, ['b']);
  const distinct = place({ instances: [instance('a'), instance('b', { groups: new Map([['family:web', 1]]) }), instance('c')] }, request({ count: 3, constraints: [{ type: 'distinctInstance' }] }, { cpu: 1, memory: 1 }), 0, rng);
  assert.deepEqual(distinct.placements, ['a', 'c']);
  assert.ok(distinct.failures.every((f) => f.reason === 'DistinctInstance'));
});

test('place: StartTask targets get one task each, a missing one is MISSING', () => {
  const plan = place({ instances: [instance('a'), instance('b', { cpu: 0 })] }, request({ count: 3, targets: ['b', 'a', 'zz'] }), 0, rng);
  assert.deepEqual(plan.placements, ['a']);
  assert.deepEqual(plan.failures, [{ arn: 'b', reason: 'RESOURCE:CPU' }, { arn: 'zz', reason: 'MISSING' }]);
});
