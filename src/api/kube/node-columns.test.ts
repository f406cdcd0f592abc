import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnsFor, type KubeObject } from './table-columns.ts';

const columns = columnsFor('', 'nodes');
const row = (o: KubeObject, now = Date.parse('2026-12-07T12:00:00Z')) => Object.fromEntries(columns.map((c) => [c.name, c.cell(o, now)]));
const node = (o: { ready?: string; unschedulable?: boolean; labels?: Record<string, string>; addresses?: object[] } = {}): KubeObject => ({
  metadata: { name: 'i-1', creationTimestamp: '2026-12-07T11:00:00Z', labels: o.labels ?? {} },
  spec: { ...(o.unschedulable && { unschedulable: true }) },
  status: {
    conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready }],
    addresses: o.addresses ?? [],
    nodeInfo: { kubeletVersion: 'v1.32.0-eks-berth', osImage: 'Linux', kernelVersion: '', containerRuntimeVersion: 'berth://0.1.0' },
  },
});

test('node columns as kubectl prints them, the wide ones at priority 1', () => {
  assert.deepEqual(columns.map((c) => [c.name, c.priority]), [['Name', 0], ['Status', 0], ['Roles', 0], ['Age', 0], ['Version', 0],
    ['Internal-IP', 1], ['External-IP', 1], ['OS-Image', 1], ['Kernel-Version', 1], ['Container-Runtime', 1]]);
  assert.deepEqual(row(node({ ready: 'True', addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] })), {
    'Name': 'i-1', 'Status': 'Ready', 'Roles': '<none>', 'Age': '60m', 'Version': 'v1.32.0-eks-berth',
    'Internal-IP': '10.0.0.5', 'External-IP': '<none>', 'OS-Image': 'Linux', 'Kernel-Version': '<unknown>', 'Container-Runtime': 'berth://0.1.0',
  });
});

test('STATUS: NotReady unless Ready is True, Unknown without a Ready condition, SchedulingDisabled when cordoned; ROLES from node-role labels', () => {
  assert.equal(row(node({ ready: 'Unknown', unschedulable: true })).Status, 'NotReady,SchedulingDisabled');
  assert.equal(row(node()).Status, 'Unknown');
  assert.equal(row(node({ labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'gpu' } })).Roles, 'control-plane,gpu,worker');
});
