import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podView } from './pod/view.ts';
import { fargatePodSpec, fargatePodStatus } from './testing/fargate-pods.ts';
import { fargateNodeView, fargatePlacedFacts, fargatePodNode, FARGATE_TAINT } from './fargate-node.ts';

const FACTS = { version: '1.32', region: 'us-east-1', clusterName: 'demo', clusterUid: 'uid-demo', now: 1_700_000_500_000 };
const fargateSpec = () => fargatePodSpec();
const status = fargatePodStatus;

test('a Fargate pod\'s node is named by its address once it has one: the pod view\'s nodeName and hostIP', () => {
  const spec = fargateSpec();
  assert.equal(fargatePodNode(spec, status({ attachments: [] }), 'us-east-1'), undefined, 'no address yet: not bound to a node yet');
  const node = fargatePodNode(spec, status(), 'us-east-1');
  assert.deepEqual(node, { name: 'fargate-ip-10-0-3-7.us-east-1.compute.internal', ip: '10.0.3.7' });
  const pod = podView(spec, status(), { spec: 5, status: 6 }, node);
  assert.equal(pod.spec?.nodeName, 'fargate-ip-10-0-3-7.us-east-1.compute.internal');
  assert.equal(pod.spec?.schedulerName, 'fargate-scheduler');
  assert.equal(pod.metadata?.annotations?.CapacityProvisioned, '0.25vCPU 0.5GB');
  assert.equal(fargatePodNode({ ...spec, launchType: 'EC2' }, status(), 'us-east-1'), undefined, 'a pod on a node group\'s host has its host\'s node');
  assert.equal(fargatePodNode(spec, status({ lastStatus: 'STOPPED' }), 'us-east-1'), undefined, 'the node goes with the pod');
});

test('the Fargate node: compute-type fargate, the NoSchedule taint, the pod\'s Fargate size as capacity, one pod', () => {
  const node = fargateNodeView(fargateSpec(), status(), FACTS, 6)!;
  assert.equal(node.metadata.name, 'fargate-ip-10-0-3-7.us-east-1.compute.internal');
  assert.equal(node.metadata.resourceVersion, '6');
  assert.equal(node.metadata.labels['eks.amazonaws.com/compute-type'], 'fargate');
  assert.equal(node.metadata.labels['eks.amazonaws.com/fargate-profile'], 'serverless');
  assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'us-east-1b');
  assert.deepEqual(node.spec.taints, [FARGATE_TAINT]);
  assert.deepEqual(FARGATE_TAINT, { key: 'eks.amazonaws.com/compute-type', value: 'fargate', effect: 'NoSchedule' });
  assert.deepEqual(node.status.capacity, { cpu: '250m', memory: '524288Ki', pods: '1', 'ephemeral-storage': '20959212Ki' });
  assert.deepEqual(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.deepEqual(node.status.addresses, [{ type: 'InternalIP', address: '10.0.3.7' }, { type: 'Hostname', address: node.metadata.name }, { type: 'InternalDNS', address: node.metadata.name }]);
  assert.equal(fargateNodeView(fargateSpec(), status({ lastStatus: 'STOPPED' }), FACTS), undefined);
});

test("a Fargate pod's containers read its own node: the name its view shows, its address as the host's, its size as allocatable", () => {
  const spec = fargateSpec();
  const facts = fargatePlacedFacts(spec, '10.0.3.7');
  assert.deepEqual(facts, { nodeName: fargatePodNode(spec, status(), 'us-east-1')!.name, hostIP: '10.0.3.7', podIP: '10.0.3.7', allocatable: { cpu: '250m', memory: '524288Ki' } });
});
