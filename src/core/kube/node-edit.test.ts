import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInstanceRecord } from '../ecs/container-instance.ts';
import { editNode } from './node-edit.ts';
import { nodeView, type NodeObject } from './node-view.ts';

const ci = (o: Partial<ContainerInstanceRecord> = {}): ContainerInstanceRecord => ({
  containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/dev/abc', ec2InstanceId: 'i-1', version: 1, versionInfo: {},
  remainingResources: [], registeredResources: [], status: 'ACTIVE', agentConnected: true, runningTasksCount: 0, pendingTasksCount: 0,
  attributes: [{ name: 'ecs.os-type', value: 'linux' }, { name: 'eks.amazonaws.com/nodegroup', value: 'ng' }, { name: 'eks:cluster-name', value: 'demo' }, { name: 'weird', value: 'has space' }],
  registeredAt: 1_800_000_000, attachments: [], tags: [], ...o,
});
const facts = { version: '1.32', region: 'us-east-1', clusterName: 'demo', clusterUid: 'uid-1', now: 1_800_000_000_000 };
/** The node as served, changed by `fn`: what a client writes back. */
const edit = (record: ContainerInstanceRecord, fn: (n: NodeObject) => void) => {
  const n = structuredClone(nodeView(record, facts));
  fn(n);
  return editNode(record, facts, n);
};
const record = (r: ReturnType<typeof editNode>): ContainerInstanceRecord => {
  assert.ok('record' in r, JSON.stringify(r));
  return r.record;
};
const errors = (r: ReturnType<typeof editNode>): string[] => {
  assert.ok('errors' in r, 'refused');
  return r.errors.map((e) => `${e.field}: ${e.message}`);
};

test('a label becomes a custom ECS attribute (empty value: none), and removing it removes the attribute', () => {
  const labelled = record(edit(ci(), (n) => Object.assign(n.metadata.labels, { disktype: 'ssd', 'node-role.kubernetes.io/worker': '' })));
  assert.deepEqual(labelled.attributes.slice(-2), [{ name: 'disktype', value: 'ssd' }, { name: 'node-role.kubernetes.io/worker' }]);
  assert.ok(labelled.attributes.some((a) => a.name === 'weird'), 'an attribute no label can spell stays');
  const unlabelled = record(edit(labelled, (n) => delete n.metadata.labels.disktype));
  assert.equal(unlabelled.attributes.some((a) => a.name === 'disktype'), false);
  assert.equal(unlabelled.attributes.some((a) => a.name === 'eks:cluster-name'), true);
});

test('labels ECS cannot keep, and derived ones changed, are refused', () => {
  assert.match(errors(edit(ci(), (n) => (n.metadata.labels['ecs.thing'] = 'x')))[0]!, /^metadata\.labels: Forbidden: label "ecs\.thing" names an attribute ECS sets itself/);
  const long = `${'a'.repeat(80)}.example.com/${'b'.repeat(60)}`;
  assert.match(errors(edit(ci(), (n) => (n.metadata.labels[long] = 'x')))[0]!, /must be no more than 128 characters/);
  assert.match(errors(edit(ci(), (n) => (n.metadata.labels['kubernetes.io/hostname'] = 'other')))[0]!, /label "kubernetes\.io\/hostname" is set by Berth/);
  assert.match(errors(edit(ci(), (n) => delete n.metadata.labels['eks.amazonaws.com/nodegroup']))[0]!, /label "eks\.amazonaws\.com\/nodegroup" is set by Berth/);
  const many = errors(edit(ci(), (n) => { for (let i = 0; i < 9; i++) n.metadata.labels[`l${i}`] = 'v'; }));
  assert.match(many[0]!, /at most 10 \(its node group's count too\); this node would have 12/);
});

test('annotations, taints and the cordon are the kubeNode fields; the derived annotation and cordon taint are not stored', () => {
  const r = record(edit(ci(), (n) => {
    n.metadata.annotations.team = 'a';
    n.spec.unschedulable = true;
    n.spec.taints = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }];
  }));
  assert.deepEqual(r.kubeNode, { clusterUid: 'uid-1', annotations: { team: 'a' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], unschedulable: true });
  const cleared = record(edit(r, (n) => {
    delete n.metadata.annotations.team;
    delete n.spec.unschedulable;
    delete n.spec.taints;
  }));
  assert.equal(cleared.kubeNode, undefined);
  assert.equal(cleared.status, 'ACTIVE', 'a cordon is not ECS DRAINING');
});

test('bad taints, a changed providerID and uncordoning a DRAINING instance are refused; status is ignored', () => {
  assert.match(errors(edit(ci(), (n) => (n.spec.taints = [{ key: 'a', effect: 'Sometimes' as never }])))[0]!, /^spec\.taints\[0\]\.effect: Unsupported value: "Sometimes"/);
  assert.match(errors(edit(ci(), (n) => (n.spec.taints = [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoSchedule' }])))[0]!, /taints must be unique by key and effect pair/);
  assert.match(errors(edit(ci(), (n) => (n.spec.providerID = 'aws:///x/i-2')))[0]!, /^spec\.providerID: Forbidden: node updates may not change providerID/);
  const draining = ci({ status: 'DRAINING' });
  assert.match(errors(edit(draining, (n) => delete n.spec.unschedulable))[0]!, /is DRAINING in ECS, which keeps its node unschedulable: set it ACTIVE/);
  const labelled = record(edit(draining, (n) => (n.metadata.labels.x = 'y')));
  assert.equal(labelled.kubeNode, undefined, 'a DRAINING node written back is not cordoned by Kubernetes too');
  assert.deepEqual(record(edit(ci(), (n) => (n.status.conditions = []))), ci(), 'status is the view\'s');
});
