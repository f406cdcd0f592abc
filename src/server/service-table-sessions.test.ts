import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import type { ServerMessage } from '../agent/protocol.ts';
import { ServiceTables } from '../svcnet/publisher.ts';
import { nodeClusterKey, serviceTableSessions } from './service-table-sessions.ts';

const instance = (attributes: { name: string; value?: string }[], status: ContainerInstanceRecord['status'] = 'ACTIVE'): ContainerInstanceRecord => ({
  containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef',
  ec2InstanceId: 'i-0123', version: 1, versionInfo: {}, remainingResources: [], registeredResources: [], status, agentConnected: true,
  runningTasksCount: 0, pendingTasksCount: 0, attributes, registeredAt: 0, attachments: [], tags: [],
});
const nodeOf = (cluster: string) => instance([{ name: 'eks.amazonaws.com/nodegroup', value: 'workers' }, { name: 'eks:cluster-name', value: cluster }]);

test("a node's cluster is its instance's account, region and eks:cluster-name; a host of no node group, or deregistered, has none", () => {
  assert.equal(nodeClusterKey(nodeOf('demo')), '000000000000/us-east-1/demo');
  assert.equal(nodeClusterKey(instance([{ name: 'eks:cluster-name', value: 'demo' }])), undefined);
  assert.equal(nodeClusterKey({ ...nodeOf('demo'), status: 'INACTIVE' }), undefined);
});

test('a session follows its instance: no cluster, a cluster (whole table), another one; a resync sends the whole table again', () => {
  const sent: ServerMessage[] = [];
  const tables = new ServiceTables();
  const attached = serviceTableSessions(tables).attach(instance([]), (m) => sent.push(m));
  assert.deepEqual(sent, [{ type: 'serviceTable', update: { kind: 'full', version: 0, table: null } }]);
  attached.instanceChanged(nodeOf('demo'));
  attached.instanceChanged(nodeOf('demo'));
  assert.equal(sent.length, 2, 'the same cluster again changes nothing');
  attached.message({ type: 'serviceTableResync' });
  attached.message({ type: 'heartbeat' });
  assert.equal(sent.length, 3);
  attached.instanceChanged(instance([]));
  assert.equal(sent.length, 4);
  assert.ok(sent.every((m) => m.type === 'serviceTable' && m.update.kind === 'full'));
  attached.detach();
});
