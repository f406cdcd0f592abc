import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PODS } from '../core/kube/node-view.ts';
import { podUnschedulableMessage, POD_STRATEGY } from './pod-fit.ts';
import { openSession } from './session-fast.ts';
import { arnOf, instance, request } from './testing/builders.ts';
import { harness, NOW, seeded } from './testing/harness.ts';
import { place } from './place.ts';
import type { PodPlacement } from './types.ts';

const pod = (spec: PodPlacement['spec'] = {}) => request().group('pod:default/web').pod('demo', spec).strategies(POD_STRATEGY);

test('a pod is placed only on its EKS cluster\'s nodes: another cluster\'s and unclaimed hosts are neither asked nor counted', () => {
  const h = harness(instance('free'), instance('other').node('prod'), instance('n1').node('demo'));
  assert.deepEqual(h.place(pod().count(2)).ids, ['n1', 'n1']);
  const full = harness(instance('free'), instance('other').node('prod'), instance('n1').node('demo').memory(100));
  const plan = full.place(pod().memory(512));
  assert.deepEqual(plan.why, ['n1 RESOURCE:MEMORY'], 'one node in scope, one failure');
  const r = pod().memory(512).build();
  assert.equal(podUnschedulableMessage(plan.failures, new Map(full.snapshot.instances.map((i) => [i.arn, i])), r.pod!),
    '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
});

test('pods spread over nodes by their task count (fewestTasks), registration order breaking ties', () => {
  const h = harness(instance('a').node('demo').tasks('service:web', 2), instance('b').node('demo'), instance('c').node('demo'));
  assert.deepEqual(h.place(pod().count(5)).ids, ['b', 'c', 'b', 'c', 'a']);
});

test('nodeSelector and required node affinity pick nodes by their labels (custom attributes and the derived ones)', () => {
  const h = harness(instance('a').node('demo').az('us-east-1a'), instance('b').node('demo').attr('disktype', 'ssd').az('us-east-1b'));
  assert.deepEqual(h.place(pod({ nodeSelector: { disktype: 'ssd' } }).count(2)).ids, ['b', 'b']);
  const zoneA = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In' as const, values: ['us-east-1a'] }] }] } } };
  assert.deepEqual(h.place(pod({ affinity: zoneA })).ids, ['a']);
  assert.deepEqual(h.place(pod({ nodeSelector: { disktype: 'hdd' } })).why, ['a NODE', 'b NODE']);
});

test('nodeName binds to that node alone (the instance id, lower case)', () => {
  const h = harness(instance('a').node('demo').ec2('i-0AAA'), instance('b').node('demo').ec2('i-0bbb'));
  assert.deepEqual(h.place(pod({ nodeName: 'i-0bbb' }).count(2)).ids, ['b', 'b']);
  assert.deepEqual(h.place(pod({ nodeName: 'i-0aaa' })).ids, ['a']);
});

test('taints: NoSchedule and NoExecute keep pods off unless tolerated; PreferNoSchedule does not', () => {
  const h = harness(
    instance('gpu').node('demo').taint({ key: 'gpu', value: 'true', effect: 'NoSchedule' }),
    instance('soft').node('demo').taint({ key: 'spot', effect: 'PreferNoSchedule' }).tasks('x', 3),
  );
  assert.deepEqual(h.place(pod().count(2)).ids, ['soft', 'soft']);
  assert.deepEqual(h.place(pod({ tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] })).ids, ['gpu']);
  assert.deepEqual(h.place(pod({ tolerations: [{ operator: 'Exists' }] })).ids, ['gpu']);
});

test('a cordoned node (kubectl cordon) and a DRAINING instance take no pods; tolerating the cordon\'s taint lets a pod on', () => {
  const h = harness(instance('c').node('demo').cordon(), instance('d').node('demo').status('DRAINING'), instance('ok').node('demo').memory(10));
  const r = pod().memory(64);
  assert.deepEqual(h.place(r).why, ['c NODE', 'd INACTIVE', 'ok RESOURCE:MEMORY']);
  const built = r.build();
  assert.equal(podUnschedulableMessage(h.place(r).failures, new Map(h.snapshot.instances.map((i) => [i.arn, i])), built.pod!),
    '0/3 nodes are available: 1 Insufficient memory, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.');
  assert.deepEqual(h.place(pod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] })).ids, ['c']);
});

test('the kube-scheduler reason of each node: a taint, host ports, a disconnected agent; no node at all', () => {
  const h = harness(
    instance('t').node('demo').taint({ key: 'team', value: 'ml', effect: 'NoExecute' }),
    instance('p').node('demo').port('80/tcp'),
    instance('g').node('demo').disconnected(),
  );
  const r = pod().port('80/tcp').build();
  const plan = openSession(h.snapshot).place(r, NOW, seeded(1));
  assert.equal(plan.placements.length, 0);
  assert.equal(podUnschedulableMessage(plan.failures, new Map(h.snapshot.instances.map((i) => [i.arn, i])), r.pod!),
    "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) had untolerated taint {team: ml}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  assert.equal(podUnschedulableMessage([], new Map(), r.pod!), 'no nodes available to schedule pods');
});

test('a placement session places pods as place() does, and a cordon set on a node moves the next pod', () => {
  const h = harness(instance('a').node('demo'), instance('b').node('demo').tasks('x'), instance('other').node('prod'));
  const session = openSession(h.snapshot);
  const r = pod().count(3).build();
  const pure = place(h.snapshot, r, NOW, seeded(1)).placements;
  assert.deepEqual(pure, [arnOf('a'), arnOf('a'), arnOf('b')]);
  assert.deepEqual(session.place(r, NOW, seeded(1)).placements, pure);
  session.set(instance('a').node('demo').cordon().tasks('pod:default/web', 2).build());
  assert.deepEqual(session.place({ ...r, count: 1 }, NOW, seeded(1)).placements, [arnOf('b')]);
});

test('a node runs at most its capacity.pods (MAX_PODS): a full node is "Too many pods", in the engine and in a session', () => {
  const full = instance('full').node('demo').pods(MAX_PODS);
  const almost = instance('almost').node('demo').pods(MAX_PODS - 1);
  const h = harness(full, almost);
  const plan = h.place(pod().count(2));
  assert.deepEqual(plan.ids, ['almost'], 'one slot left on one node');
  assert.deepEqual(plan.why, ['full RESOURCE:PODS', 'almost RESOURCE:PODS']);
  const r = pod().build();
  assert.equal(podUnschedulableMessage(plan.failures, new Map(h.snapshot.instances.map((i) => [i.arn, i])), r.pod!),
    '0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.');
  const session = openSession({ instances: [full.build(), almost.build()] });
  assert.deepEqual(session.place(pod().count(2).build(), NOW, seeded(1)).placements, [arnOf('almost')]);
  assert.equal(session.snapshot().instances.find((i) => i.arn === arnOf('almost'))!.pods, MAX_PODS, 'the session counts the pod it placed');
});

test('a pod takes no ENI slot: a node with none left still runs pods, while an awsvpc ECS task is refused there', () => {
  const h = harness(instance('n1').node('demo').eni(0));
  assert.deepEqual(h.place(pod().count(3)).ids, ['n1', 'n1', 'n1']);
  assert.deepEqual(h.place(request().awsvpc()).why, ['n1 RESOURCE:ENI']);
  const plan = place({ instances: [instance('n1').node('demo').eni(0).build()] }, pod().count(2).build(), NOW, seeded(1));
  assert.deepEqual(plan.placements, [arnOf('n1'), arnOf('n1')]);
});
