import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOf, reconcileDaemonSet, REVISION_HASH_LABEL, type DaemonSet, type Node } from './daemon-set.ts';
import { podTemplateHash } from './pod-template-hash.ts';
import type { Pod } from './workload-objects.ts';
import type { WorkloadAction } from './workload-actions.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const ds = (image = 'agent:1'): DaemonSet => ({
  metadata: { name: 'agent', namespace: 'default', uid: 'ds-1', resourceVersion: '3', generation: 1 },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'a', image }] } } },
});
const node = (name: string, labels: Record<string, string>, taints?: NonNullable<Node['spec']>['taints']): Node => ({ metadata: { name, labels }, ...(taints && { spec: { taints } }) });
const NODES = [node('n1', { disk: 'ssd' }), node('n2', { disk: 'ssd' }), node('n3', { disk: 'hdd' }), node('n4', { disk: 'ssd' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }])];
let n = 0;
const suffix = () => `s${++n}`;
const created = (as: WorkloadAction[]) => as.filter((a) => a.type === 'create').map((a) => (a as { object: Pod }).object);

function running(d: DaemonSet, on: string, name: string, hash = podTemplateHash(d.spec.template)): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `u-${name}`, labels: { app: 'agent', [REVISION_HASH_LABEL]: hash }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-1', controller: true }] },
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [on] }] }] } } } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-07T11:00:00Z' }] },
  };
}

test('one pod per node the nodeSelector and taints allow, pinned by node affinity, tolerating node troubles', () => {
  const pods = created(reconcileDaemonSet(ds(), [], NODES, NOW, suffix));
  assert.deepEqual(pods.map(nodeOf).sort(), ['n1', 'n2']);
  const tolerations = (pods[0]!.spec!.tolerations as { key: string }[]).map((t) => t.key);
  assert.ok(tolerations.includes('node.kubernetes.io/unschedulable') && tolerations.includes('node.kubernetes.io/not-ready'));
  assert.equal(pods[0]!.metadata.labels?.[REVISION_HASH_LABEL], podTemplateHash(ds().spec.template));
});

test('extra and misplaced pods go; the status counts what runs where it should', () => {
  const d = ds();
  const as = reconcileDaemonSet(d, [running(d, 'n1', 'a'), running(d, 'n1', 'b'), running(d, 'n3', 'c'), running(d, 'n2', 'd')], NODES, NOW, suffix);
  assert.deepEqual(as.filter((a) => a.type === 'delete').map((a) => (a as { name: string }).name).sort(), ['b', 'c']);
  const status = (as.find((a) => a.type === 'updateStatus') as { status: Record<string, number> }).status;
  assert.deepEqual(status, { currentNumberScheduled: 2, numberMisscheduled: 1, desiredNumberScheduled: 2, numberReady: 2, observedGeneration: 1, updatedNumberScheduled: 2, numberAvailable: 2 });
});

test('a new template replaces outdated pods one node at a time (maxUnavailable 1)', () => {
  const old = ds('agent:1');
  const next = ds('agent:2');
  const oldHash = podTemplateHash(old.spec.template);
  const as = reconcileDaemonSet(next, [running(next, 'n1', 'a', oldHash), running(next, 'n2', 'b', oldHash)], NODES, NOW, suffix);
  assert.equal(as.filter((a) => a.type === 'delete').length, 1);
  assert.equal(created(as).length, 0);
  const after = reconcileDaemonSet(next, [running(next, 'n2', 'b', oldHash)], NODES, NOW, suffix);
  assert.equal(created(after).length, 1, 'the emptied node gets the new pod');
  assert.equal(after.filter((a) => a.type === 'delete').length, 0, 'no second node goes while one is unavailable');
});
