import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceRecord } from '../../cluster/testing.ts';
import { instanceView } from './cluster-state.ts';

test('instanceView: counts and remaining resources from the cluster state, Berth\'s own fields left out', () => {
  const record = { ...instanceRecord('c1', 'i1', { cpu: 2048, memory: 4096, ports: ['8000'] }), agentDisconnectedAt: 1_700_000_000_000 };
  const view = instanceView(record, { cpu: 512, memory: 1024, eni: 0, running: 2, pending: 1, ports: ['8080/tcp', '5353/udp', '8000/tcp'] });
  assert.equal('agentDisconnectedAt' in view, false);
  assert.equal(view.runningTasksCount, 2);
  assert.equal(view.pendingTasksCount, 1);
  const left = new Map(view.remainingResources.map((r) => [r.name, r]));
  assert.equal(left.get('CPU')!.integerValue, 1536);
  assert.equal(left.get('MEMORY')!.integerValue, 3072);
  assert.deepEqual([...left.get('PORTS')!.stringSetValue!].sort(), ['22', '2375', '2376', '51678', '51679', '8000', '8080']);
  assert.deepEqual(left.get('PORTS_UDP')!.stringSetValue, ['5353']);
  assert.deepEqual(view.registeredResources, record.registeredResources, 'registered resources as registered');
});
