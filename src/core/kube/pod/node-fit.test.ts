import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AFFINITY_MISMATCH, NODE_NAME_MISMATCH, nodeFitFailure, unschedulableMessage, type NodeFacts } from './node-fit.ts';
import type { PodSpec } from './types.ts';

const node = (o: Partial<NodeFacts> = {}): NodeFacts => ({ name: 'i-0a', labels: { 'topology.kubernetes.io/zone': 'us-east-1a', 'node.kubernetes.io/instance-type': 'm5.large', cores: '4' }, taints: [], ...o });
const pod = (o: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ name: 'a', image: 'a' }], ...o });
type Op = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
const zone = (operator: Op, values?: string[]) => pod({
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator, ...(values && { values }) }] }] } } },
});

test('nodeName and nodeSelector pick nodes by name and labels', () => {
  assert.equal(nodeFitFailure(pod({ nodeName: 'i-0b' }), node()), NODE_NAME_MISMATCH);
  assert.equal(nodeFitFailure(pod({ nodeName: 'i-0a' }), node()), undefined);
  assert.equal(nodeFitFailure(pod({ nodeSelector: { 'topology.kubernetes.io/zone': 'us-east-1b' } }), node()), AFFINITY_MISMATCH);
  assert.equal(nodeFitFailure(pod({ nodeSelector: { 'topology.kubernetes.io/zone': 'us-east-1a' } }), node()), undefined);
});

test('required node affinity: In, NotIn, Exists, DoesNotExist, Gt, Lt, and terms ORed', () => {
  assert.equal(nodeFitFailure(zone('In', ['us-east-1a', 'us-east-1c']), node()), undefined);
  assert.equal(nodeFitFailure(zone('NotIn', ['us-east-1a']), node()), AFFINITY_MISMATCH);
  assert.equal(nodeFitFailure(zone('Exists'), node()), undefined);
  assert.equal(nodeFitFailure(zone('DoesNotExist'), node()), AFFINITY_MISMATCH);
  const cores = (operator: Op, v: string) => pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator, values: [v] }] }] } } } });
  assert.equal(nodeFitFailure(cores('Gt', '2'), node()), undefined);
  assert.equal(nodeFitFailure(cores('Lt', '2'), node()), AFFINITY_MISMATCH);
  const either = pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
    { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1b'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['i-0a'] }] },
  ] } } } });
  assert.equal(nodeFitFailure(either, node()), undefined);
});

test('taints: NoSchedule and NoExecute need a toleration, PreferNoSchedule does not', () => {
  const cordoned = node({ taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
  assert.equal(nodeFitFailure(pod(), cordoned), 'node(s) had untolerated taint {node.kubernetes.io/unschedulable: }');
  assert.equal(nodeFitFailure(pod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }), cordoned), undefined);
  assert.equal(nodeFitFailure(pod({ tolerations: [{ operator: 'Exists' }] }), cordoned), undefined);
  const gpu = node({ taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'spot', effect: 'PreferNoSchedule' }] });
  assert.equal(nodeFitFailure(pod({ tolerations: [{ key: 'gpu', operator: 'Equal', value: 'false' }] }), gpu), 'node(s) had untolerated taint {gpu: true}');
  assert.equal(nodeFitFailure(pod({ tolerations: [{ key: 'gpu', value: 'true' }] }), gpu), undefined);
});

test('the FailedScheduling message counts and sorts reasons as the scheduler prints them', () => {
  assert.equal(unschedulableMessage(3, [AFFINITY_MISMATCH, 'node(s) had untolerated taint {node.kubernetes.io/unschedulable: }', AFFINITY_MISMATCH]),
    "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  assert.equal(unschedulableMessage(2, ['Insufficient cpu', AFFINITY_MISMATCH]),
    "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.");
  assert.equal(unschedulableMessage(0, []), 'no nodes available to schedule pods');
});
