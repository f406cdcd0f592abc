import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POD_ECS_CLUSTER } from '../kube/pod/hosting.ts';
import { planNodes, withNodegroup, type NodeCandidate } from './nodes.ts';

const host = (n: number, more: Partial<NodeCandidate> = {}): NodeCandidate =>
  ({ key: `k${n}`, modRevision: n, arn: `arn:i/${n}`, cluster: POD_ECS_CLUSTER, status: 'ACTIVE', agentConnected: true, attributes: [{ name: 'berth.host', value: `h${n}` }], ...more });
const member = (n: number, ng = 'workers', cluster = 'demo') => host(n, { attributes: withNodegroup(host(n).attributes, { clusterName: cluster, nodegroupName: ng }) });
const ng = (desiredSize: number, status: 'CREATING' | 'ACTIVE' | 'DELETING' = 'ACTIVE') => ({ clusterName: 'demo', nodegroupName: 'workers', status, scalingConfig: { minSize: 0, maxSize: 10, desiredSize } });

test('a node group keeps its hosts and takes free, connected, ACTIVE ones in ARN order', () => {
  const plan = planNodes(ng(3, 'CREATING'), [host(4), member(2), host(1, { agentConnected: false }), host(3, { status: 'DRAINING' }), member(5, 'other'), host(6)]);
  assert.deepEqual(plan.claim.map((c) => c.arn), ['arn:i/4', 'arn:i/6']);
  assert.deepEqual(plan.release, []);
  assert.deepEqual(plan.members, ['arn:i/2', 'arn:i/4', 'arn:i/6']);
  assert.equal(plan.status, 'ACTIVE');
});

test('too few free hosts: DEGRADED, saying how many it lacks; too many: the excess goes', () => {
  const short = planNodes(ng(3), [member(1), host(2)]);
  assert.equal(short.status, 'DEGRADED');
  assert.match(short.issue!.message, /wants 3 nodes and has 2/);
  const over = planNodes(ng(1), [member(1), member(2), member(3)]);
  assert.deepEqual(over.release.map((c) => c.arn), ['arn:i/2', 'arn:i/3']);
  assert.deepEqual(over.members, ['arn:i/1']);
});

test('a DELETING node group lets every host go and is gone; a host of the same name in another cluster is not its own', () => {
  const deleting = planNodes(ng(2, 'DELETING'), [member(1), member(2), member(3, 'workers', 'other')]);
  assert.deepEqual(deleting.release.map((c) => c.arn), ['arn:i/1', 'arn:i/2']);
  assert.equal(deleting.status, 'gone', 'once the releases are written (the controller writes them first, and stops at a conflict)');
  assert.equal(planNodes(ng(2, 'DELETING'), [host(1)]).status, 'gone');
  assert.deepEqual(withNodegroup(member(1).attributes, undefined), [{ name: 'berth.host', value: 'h1' }]);
});

test('a node group claims only hosts of the ECS cluster pods run in (POD_ECS_CLUSTER), never a Fargate pool host or a user cluster\'s', () => {
  const plan = planNodes(ng(3, 'CREATING'), [host(1, { cluster: 'fargate-pool' }), host(2), host(3, { cluster: 'web' }), host(4)]);
  assert.deepEqual(plan.claim.map((c) => c.arn), ['arn:i/2', 'arn:i/4']);
  assert.equal(plan.status, 'DEGRADED');
});
