import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUN_TASK_STRATEGY, DEFAULT_SERVICE_STRATEGY } from './place.ts';
import { instance, request } from './testing/builders.ts';
import { harness } from './testing/harness.ts';

const DISTINCT = 'DistinctInstance placement constraint unsatisfied.';
const MEMBER_OF = 'MemberOf placement constraint unsatisfied.';

test('binpack on memory fills the instance with the least memory left first', () => {
  const h = harness(instance('a').memory(4096), instance('b').memory(1024), instance('c').memory(2048));
  assert.deepEqual(h.place(request().count(4).memory(512).binpack('memory')).ids, ['b', 'b', 'c', 'c']);
});

test('binpack on cpu ignores memory', () => {
  const h = harness(instance('a').cpu(512).memory(8192), instance('b').cpu(1024).memory(512));
  assert.deepEqual(h.place(request().count(2).cpu(256).binpack('cpu')).ids, ['a', 'a']);
});

test('spread over instanceId places one task per instance before doubling up', () => {
  const h = harness(instance('a'), instance('b'), instance('c'));
  assert.deepEqual(h.place(request().count(4).spread('instanceId')).ids, ['a', 'b', 'c', 'a']);
  assert.deepEqual(h.place(request().count(2).spread('host')).ids, ['a', 'b']);
});

test('spread counts the tasks of the request group already running', () => {
  const h = harness(instance('a').tasks('service:web', 2), instance('b').tasks('service:other', 5), instance('c').tasks('service:web'));
  assert.deepEqual(h.place(request().group('service:web').count(3).spread('instanceId')).ids, ['b', 'b', 'c']);
});

test('spread over zones then instances balances zones first', () => {
  const h = harness(
    instance('a1').az('us-east-1a'), instance('a2').az('us-east-1a'),
    instance('b1').az('us-east-1b'), instance('c1').az('us-east-1c'),
  );
  const plan = h.place(request().count(6).strategies(DEFAULT_SERVICE_STRATEGY));
  assert.deepEqual(plan.ids, ['a1', 'b1', 'c1', 'a2', 'b1', 'c1']);
});

test('spread over a custom attribute treats instances without it as one more value', () => {
  const h = harness(instance('x').attr('rack', 'r1'), instance('y').attr('rack', 'r1'), instance('z'));
  assert.deepEqual(h.place(request().count(2).spread('attribute:rack')).ids, ['x', 'z']);
});

test('a later strategy breaks the ties of the earlier one', () => {
  const h = harness(instance('a').az('1a').memory(4096), instance('b').az('1a').memory(1024), instance('c').az('1b').memory(2048));
  assert.deepEqual(h.place(request().count(3).memory(256).spread('attribute:ecs.availability-zone').binpack('memory')).ids, ['b', 'c', 'b']);
});

test('random with the same seed gives the same plan, and places only where it fits', () => {
  const h = harness(instance('a'), instance('b'), instance('c').cpu(0), instance('d'));
  const one = h.place(request().count(20).cpu(10).random(), 42);
  assert.deepEqual(h.place(request().count(20).cpu(10).random(), 42).ids, one.ids);
  assert.ok(!one.ids.includes('c'));
  assert.ok(new Set(one.ids).size > 1, 'random uses more than one instance');
});

test('random is the default without a strategy', () => {
  assert.deepEqual(DEFAULT_RUN_TASK_STRATEGY, [{ type: 'random' }]);
  const h = harness(...Array.from({ length: 8 }, (_, k) => instance(`i${k}`)));
  assert.ok(new Set(h.place(request().count(8)).ids).size > 1);
});

test('distinctInstance never puts two tasks of the group on one instance', () => {
  const h = harness(instance('a'), instance('b').tasks('family:app'), instance('c'));
  const plan = h.place(request().count(3).distinctInstance().binpack('memory'));
  assert.deepEqual(plan.ids, ['a', 'c']);
  assert.deepEqual(plan.why, [`a ${DISTINCT}`, `b ${DISTINCT}`, `c ${DISTINCT}`]);
});

test('memberOf restricts placement to the instances its expression selects', () => {
  const h = harness(instance('a').az('us-east-1a'), instance('b').az('us-east-1b'), instance('c').az('us-east-1c'));
  const plan = h.place(request().count(4).spread('instanceId').memberOf('attribute:ecs.availability-zone in [us-east-1a, us-east-1b]'));
  assert.deepEqual(plan.ids, ['a', 'b', 'a', 'b']);
  assert.deepEqual(h.place(request().memberOf('attribute:ecs.availability-zone == us-east-1d')).why, ['a', 'b', 'c'].map((i) => `${i} ${MEMBER_OF}`));
});

test('memberOf on task:group sees the tasks the request itself places', () => {
  const h = harness(instance('a'), instance('b'));
  // Anti-affinity with its own group: acts like distinctInstance.
  assert.deepEqual(h.place(request().count(3).spread('instanceId').memberOf('not(task:group == family:app)')).ids, ['a', 'b']);
  // runningTasksCount includes what was placed.
  assert.deepEqual(h.place(request().count(5).binpack('memory').memberOf('runningTasksCount < 2')).ids, ['a', 'a', 'b', 'b']);
});

test('each failure reason, one per instance, the first that rules it out in ECS order', () => {
  const h = harness(
    instance('draining').status('DRAINING').disconnected(),
    instance('gone').disconnected(),
    instance('plain').cpu(100),
    instance('small').attr('gpu').cpu(100),
    instance('tight').attr('gpu').memory(100),
    instance('port').attr('gpu').port('80/tcp'),
    instance('eni').attr('gpu').eni(0),
    instance('other').attr('gpu').attr('stack', 'dev'),
  );
  const plan = h.place(request().cpu(512).memory(512).port('80/tcp').awsvpc().requires('gpu').memberOf('attribute:stack == prod'));
  assert.deepEqual(plan.placements, []);
  assert.deepEqual(plan.why, [
    'draining INACTIVE', 'gone AGENT', 'plain ATTRIBUTE', 'small RESOURCE:CPU', 'tight RESOURCE:MEMORY',
    'port RESOURCE:PORTS', 'eni RESOURCE:ENI', `other ${MEMBER_OF}`,
  ]);
});

test('a required attribute with a value must match it', () => {
  const h = harness(instance('a').attr('stack', 'dev'), instance('b').attr('stack', 'prod'));
  assert.deepEqual(h.place(request().requires('stack', 'prod')).ids, ['b']);
});

test('static ports: TCP and UDP are apart, and a placed task holds its port', () => {
  const h = harness(instance('a').port('53/udp'), instance('b'));
  assert.deepEqual(h.place(request().count(3).port('53/tcp').spread('instanceId')).ids, ['a', 'b']);
  assert.deepEqual(h.place(request().count(2).port('53/udp')).ids, ['b']);
});

test('ENIs: each awsvpc task takes one slot', () => {
  const h = harness(instance('a').eni(2));
  const plan = h.place(request().count(3).awsvpc());
  assert.deepEqual([plan.ids, plan.why], [['a', 'a'], ['a RESOURCE:ENI']]);
});

test('resources run out part way: what fits is placed and the rest reported', () => {
  const h = harness(instance('a').cpu(1024), instance('b').cpu(512));
  const plan = h.place(request().count(4).cpu(512).binpack('cpu'));
  assert.deepEqual([plan.ids, plan.why], [['b', 'a', 'a'], ['a RESOURCE:CPU', 'b RESOURCE:CPU']]);
});

test('a capacity provider request only looks at that provider\'s instances', () => {
  const h = harness(instance('a').provider('spot'), instance('b').provider('ondemand'), instance('c'));
  assert.deepEqual(h.place(request().count(2).provider('ondemand')).ids, ['b', 'b']);
  assert.deepEqual(h.place(request().provider('none')).why, []);
});

test('deregistered instances are neither used nor reported', () => {
  const h = harness(instance('old').status('INACTIVE'), instance('new').cpu(0));
  assert.deepEqual(h.place(request().cpu(1)).why, ['new RESOURCE:CPU']);
});

test('StartTask targets: one task each, in order, MISSING for an unknown one', () => {
  const h = harness(instance('a'), instance('b').disconnected(), instance('c').cpu(600));
  const plan = h.place(request().cpu(512).targets('c', 'nope', 'b', 'arn:aws:ecs:us-east-1:000000000000:container-instance/test/a', 'c'));
  assert.deepEqual(plan.ids, ['c', 'a']);
  assert.deepEqual(plan.why, ['nope MISSING', 'b AGENT', 'c RESOURCE:CPU']);
});

test('StartTask on a deregistered instance is INACTIVE', () => {
  const h = harness(instance('a').status('INACTIVE'));
  assert.deepEqual(h.place(request().targets('a')).why, ['a INACTIVE']);
});

test('random after spread keeps zones balanced and picks every instance of a zone alike', () => {
  const h = harness(instance('a1').az('a'), instance('a2').az('a'), instance('a3').az('a'), instance('b1').az('b'));
  const perInstance = new Map<string, number>();
  let perZoneA = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const plan = h.place(request().count(2).spread('attribute:ecs.availability-zone').random(), seed);
    assert.deepEqual(plan.ids.map((id) => id[0]).sort(), ['a', 'b'], 'one task per zone');
    for (const id of plan.ids) perInstance.set(id, (perInstance.get(id) ?? 0) + 1);
    perZoneA += plan.ids.filter((id) => id.startsWith('a')).length;
  }
  assert.equal(perZoneA, 300);
  for (const id of ['a1', 'a2', 'a3']) assert.ok(perInstance.get(id)! > 60 && perInstance.get(id)! < 140, `${id}: ${perInstance.get(id)}`);
});

test('random over tied zones chooses each instance alike', () => {
  // Zones a (one instance) and b (three): with every zone at 0 tasks, random sees all four.
  const h = harness(instance('a1').az('a'), instance('b1').az('b'), instance('b2').az('b'), instance('b3').az('b'));
  const first = new Map<string, number>();
  for (let seed = 1; seed <= 400; seed++) {
    const id = h.place(request().spread('attribute:ecs.availability-zone').random(), seed).ids[0]!;
    first.set(id, (first.get(id) ?? 0) + 1);
  }
  for (const id of ['a1', 'b1', 'b2', 'b3']) assert.ok(first.get(id)! > 60 && first.get(id)! < 140, `${id}: ${first.get(id)}`);
});
