import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuantity, nodeName, nodeView } from './node-view.ts';
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
    { name: 'ecs.cpu-architecture', value: 'x86_64' }, { name: 'eks.amazonaws.com/nodegroup', value: 'ng-1' },
  ],
  registeredAt: Date.parse('2026-12-07T10:00:00Z'),
  attachments: [],
  tags: [],
  ...o,
});
const facts = { version: '1.32', region: 'us-east-1', internalIP: '10.0.1.23', heartbeatAt: Date.parse('2026-12-07T12:00:05.123Z') };

test('an instance is a node with the well-known labels EKS nodes carry, its capacity and a Ready condition', () => {
  const n = nodeView(instance(), facts);
  assert.equal(n.metadata.name, 'i-0a1b2c3d4e');
  assert.deepEqual(n.metadata.labels, {
    'kubernetes.io/hostname': 'i-0a1b2c3d4e', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', 'topology.kubernetes.io/region': 'us-east-1',
    'topology.kubernetes.io/zone': 'us-east-1b', 'failure-domain.beta.kubernetes.io/zone': 'us-east-1b',
    'node.kubernetes.io/instance-type': 'm5.large', 'beta.kubernetes.io/instance-type': 'm5.large',
    'eks.amazonaws.com/nodegroup': 'ng-1', 'eks.amazonaws.com/capacityType': 'ON_DEMAND',
  });
  assert.deepEqual(n.status.capacity, { cpu: '2', memory: '3993600Ki', pods: '110', 'ephemeral-storage': '20959212Ki' });
  assert.equal(n.spec.providerID, 'aws:///us-east-1b/i-0A1B2C3D4E');
  const ready = n.status.conditions.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.lastHeartbeatTime], ['True', 'KubeletReady', '2026-12-07T12:00:05Z']);
  assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '10.0.1.23' }, { type: 'Hostname', address: 'i-0a1b2c3d4e' }]);
  assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.0-eks-berth');
  assert.equal('unschedulable' in n.spec, false);
});

test('a draining instance is a cordoned node; one whose agent is away is NotReady (Unknown)', () => {
  const drained = nodeView(instance({ status: 'DRAINING' }), facts);
  assert.equal(drained.spec.unschedulable, true);
  assert.deepEqual(drained.spec.taints?.map((t) => [t.key, t.effect]), [['node.kubernetes.io/unschedulable', 'NoSchedule']]);
  const away = nodeView(instance({ agentConnected: false }), facts);
  assert.ok(away.status.conditions.every((c) => c.status === 'Unknown' && c.reason === 'NodeStatusUnknown'));
});

test('CPU quantities: whole CPUs plain, fractions in millicores', () => {
  assert.equal(cpuQuantity(4096), '4');
  assert.equal(cpuQuantity(1536), '1500m');
  assert.equal(nodeName({ ec2InstanceId: 'i-ABC' }), 'i-abc');
});
