import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuantity, isNodeOf, nodeName, nodeUid, nodeView } from './node-view.ts';
import type { ContainerInstanceRecord } from '../ecs/container-instance.ts';

const instance = (o: Partial<ContainerInstanceRecord> = {}): ContainerInstanceRecord => ({
  containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/dev/4f0c2b1e9a8d4c7b',
  ec2InstanceId: 'i-0A1B2C3D4E',
  version: 3,
  versionInfo: { agentVersion: '0.1.0' },
  remainingResources: [],
  registeredResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 2048 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 3900 }],
  status: 'ACTIVE',
  agentConnected: true,
  runningTasksCount: 0,
  pendingTasksCount: 0,
  attributes: [
    { name: 'ecs.availability-zone', value: 'us-east-1b' }, { name: 'ecs.instance-type', value: 'm5.large' },
    { name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'eks.amazonaws.com/nodegroup', value: 'ng-1' }, { name: 'eks:cluster-name', value: 'demo' },
  ],
  // Epoch seconds, as the ECS wire (and the record) keeps it.
  registeredAt: Date.parse('2026-12-07T10:00:00Z') / 1000,
  agentAddress: '10.0.1.23',
  attachments: [],
  tags: [],
  ...o,
});
const facts = { version: '1.32', region: 'us-east-1', clusterName: 'demo', clusterUid: 'uid-1', now: Date.parse('2026-12-07T12:00:05.123Z') };

test('an instance is a node with the well-known labels EKS nodes carry, its capacity and a Ready condition', () => {
  const n = nodeView(instance(), facts, 42);
  assert.equal(n.metadata.name, 'i-0a1b2c3d4e');
  assert.equal(n.metadata.resourceVersion, '42');
  assert.equal(n.metadata.uid, nodeUid('uid-1', instance().containerInstanceArn));
  assert.match(n.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(nodeUid('uid-2', instance().containerInstanceArn), n.metadata.uid, 'the same host in another cluster is another node');
  assert.equal(n.metadata.creationTimestamp, '2026-12-07T10:00:00Z');
  assert.deepEqual(n.metadata.labels, {
    'kubernetes.io/hostname': 'i-0a1b2c3d4e', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/region': 'us-east-1',
    'topology.kubernetes.io/zone': 'us-east-1b', 'failure-domain.beta.kubernetes.io/zone': 'us-east-1b',
    'node.kubernetes.io/instance-type': 'm5.large', 'beta.kubernetes.io/instance-type': 'm5.large',
    'eks.amazonaws.com/nodegroup': 'ng-1', 'eks.amazonaws.com/capacityType': 'ON_DEMAND',
  });
  assert.deepEqual(n.status.capacity, { cpu: '2', memory: '3993600Ki', pods: '110', 'ephemeral-storage': '20959212Ki' });
  assert.equal(n.spec.providerID, 'aws:///us-east-1b/i-0A1B2C3D4E');
  const ready = n.status.conditions.find((c) => c.type === 'Ready') as Record<string, string>;
  assert.deepEqual([ready.status, ready.reason, ready.lastHeartbeatTime], ['True', 'KubeletReady', '2026-12-07T12:00:05Z']);
  assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '10.0.1.23' }, { type: 'Hostname', address: 'i-0a1b2c3d4e' }]);
  assert.equal((n.status.nodeInfo as Record<string, string>).kubeletVersion, 'v1.32.0-eks-berth');
  assert.equal('unschedulable' in n.spec, false);
});

test('custom attributes that are valid labels are labels; ECS\'s own and unspellable ones are not', () => {
  const n = nodeView(instance({ attributes: [...instance().attributes, { name: 'disktype', value: 'ssd' }, { name: 'gpu' }, { name: 'note', value: 'has spaces' }, { name: 'ecs.os-type', value: 'linux' }] }), facts);
  assert.equal(n.metadata.labels.disktype, 'ssd');
  assert.equal(n.metadata.labels.gpu, '', 'an attribute without a value is a label with an empty one');
  assert.equal('note' in n.metadata.labels, false);
  assert.equal('ecs.os-type' in n.metadata.labels, false);
  assert.equal('eks:cluster-name' in n.metadata.labels, false);
});

test('a draining instance is a cordoned node; one whose agent is away is NotReady (Unknown)', () => {
  const drained = nodeView(instance({ status: 'DRAINING' }), facts);
  assert.equal(drained.spec.unschedulable, true);
  assert.deepEqual(drained.spec.taints?.map((t) => [t.key, t.effect]), [['node.kubernetes.io/unschedulable', 'NoSchedule']]);
  const away = nodeView(instance({ agentConnected: false, agentDisconnectedAt: Date.parse('2026-12-07T11:00:00Z') }), facts);
  assert.ok(away.status.conditions.every((c) => c.status === 'Unknown' && c.reason === 'NodeStatusUnknown'));
  assert.equal((away.status.conditions[0] as Record<string, string>).lastHeartbeatTime, '2026-12-07T11:00:00Z');
});

test('the kube-side fields show only on the cluster that set them; a cordon adds the unschedulable taint', () => {
  const kubeNode = { clusterUid: 'uid-1', annotations: { team: 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }], unschedulable: true };
  const n = nodeView(instance({ kubeNode }), facts);
  assert.equal(n.metadata.annotations.team, 'a');
  assert.equal(n.spec.unschedulable, true);
  assert.deepEqual(n.spec.taints?.map((t) => t.key), ['dedicated', 'node.kubernetes.io/unschedulable']);
  const other = nodeView(instance({ kubeNode: { ...kubeNode, clusterUid: 'uid-0' } }), facts);
  assert.deepEqual(Object.keys(other.metadata.annotations), ['berth.dev/container-instance-arn']);
  assert.equal(other.spec.unschedulable, undefined);
});

test('a node of the cluster: claimed by one of its node groups, not deregistered', () => {
  assert.equal(isNodeOf(instance(), 'demo'), true);
  assert.equal(isNodeOf(instance(), 'other'), false);
  assert.equal(isNodeOf(instance({ status: 'INACTIVE' }), 'demo'), false);
  assert.equal(isNodeOf(instance({ attributes: [{ name: 'eks:cluster-name', value: 'demo' }] }), 'demo'), false);
});

test('CPU quantities: whole CPUs plain, fractions in millicores', () => {
  assert.equal(cpuQuantity(4096), '4');
  assert.equal(cpuQuantity(1536), '1500m');
  assert.equal(nodeName({ ec2InstanceId: 'i-ABC' }), 'i-abc');
});
