import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRecord } from '../core/eks/cluster.ts';
import { planClusters, type HeldCluster } from './eks-clusters.ts';

const scope = { account: '000000000000', region: 'us-east-1' };
const held = (name: string, status: ClusterRecord['status'], more: Partial<ClusterRecord> = {}): HeldCluster =>
  ({ scope, key: `/eks/000000000000/us-east-1/clusters/${name}`, modRevision: 7, record: { name, uid: `uid-${name}`, status, version: '1.32', ...more } as ClusterRecord });

test('CREATING opens on a free port and activates; ACTIVE reopens where it was after a restart, else nothing', () => {
  const steps = planClusters([held('new', 'CREATING'), held('kept', 'ACTIVE', { port: 4431 }), held('running', 'ACTIVE', { port: 4432 })], [], [{ uid: 'uid-running', version: '1.32' }]);
  assert.deepEqual(steps.map((s) => [s.kind, 'cluster' in s ? s.cluster.record.name : '', 'port' in s ? s.port : '', 'after' in s ? s.after : '']), [
    ['open', 'new', 0, 'activate'],
    ['open', 'kept', 4431, 'none'],
  ]);
});

test('a version update reopens at the new version on the same port, then finishes', () => {
  const c = held('up', 'UPDATING', { port: 4433, version: '1.32' });
  assert.deepEqual(planClusters([c], [], [{ uid: 'uid-up', version: '1.31' }]).map((s) => s.kind), ['reopen']);
  const finish = planClusters([c], [], [{ uid: 'uid-up', version: '1.32' }]);
  assert.deepEqual(finish.map((s) => [s.kind, 'after' in s ? s.after : '']), [['open', 'finish-update']]);
});

test('DELETING is removed; a server without a record is closed; Fargate profiles move on', () => {
  const steps = planClusters([held('gone', 'DELETING')], [
    { key: '/eks/a/r/fargate-profiles/c/p1', modRevision: 1, status: 'CREATING' },
    { key: '/eks/a/r/fargate-profiles/c/p2', modRevision: 1, status: 'ACTIVE' },
    { key: '/eks/a/r/fargate-profiles/c/p', modRevision: 1, status: 'DELETING' },
  ], [{ uid: 'uid-orphan', version: '1.32' }]);
  assert.deepEqual(steps.map((s) => s.kind), ['remove', 'close', 'activate-child', 'remove-child']);
});
