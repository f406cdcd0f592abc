import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { associatePolicy, defaultUsername, kubeUserOf, newAccessEntry, POLICY_ARN_PREFIX, type TokenPrincipal } from './access.ts';

const CLUSTER_ARN = 'arn:aws:eks:us-east-1:000000000000:cluster/demo';
const ROLE = 'arn:aws:iam::000000000000:role/team/dev';
const session: TokenPrincipal = { kind: 'assumed-role', arn: 'arn:aws:sts::000000000000:assumed-role/dev/alice', entryArn: ROLE, accessKeyId: 'ASIAEXAMPLE', sessionName: 'alice', userId: 'AROAEXAMPLE:alice' };

test('usernames as EKS forms them: a role\'s session ARN (templated), a user\'s ARN, nodes by type', () => {
  assert.equal(defaultUsername(ROLE, 'STANDARD'), 'arn:aws:sts::000000000000:assumed-role/dev/{{SessionName}}', 'the role path is not in a session ARN');
  assert.equal(defaultUsername('arn:aws:iam::000000000000:user/bob', 'STANDARD'), 'arn:aws:iam::000000000000:user/bob');
  assert.equal(defaultUsername(ROLE, 'EC2_LINUX'), 'system:node:{{EC2PrivateDNSName}}');
});

test('a session of the role is its entry\'s user, in its groups; its access policies are the ClusterRoles they stand for, in their scope', () => {
  const entry = newAccessEntry('demo', CLUSTER_ARN, 'abcdef12', { principalArn: ROLE, kubernetesGroups: ['devs', 'devs'] }, 1000);
  assert.equal(entry.accessEntryArn, 'arn:aws:eks:us-east-1:000000000000:access-entry/demo/role/000000000000/dev/abcdef12');
  const user = kubeUserOf(entry, session);
  assert.equal(user.username, 'arn:aws:sts::000000000000:assumed-role/dev/alice');
  assert.deepEqual(user.groups, ['devs', 'system:authenticated']);
  assert.deepEqual(user.extra?.sessionName, ['alice']);
  assert.deepEqual(user.extra?.canonicalArn, [ROLE]);
  const view = associatePolicy(entry, `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`, { type: 'namespace', namespaces: ['default'] }, 2000);
  assert.deepEqual(kubeUserOf(view, session).groups, ['devs', 'system:authenticated'], 'a policy is no group');
  assert.deepEqual(kubeUserOf(view, session).accessPolicies, [{ clusterRole: 'view', namespaces: ['default'] }]);
  const nsAdmin = associatePolicy(entry, `${POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`, { type: 'namespace', namespaces: ['a'] }, 2000);
  assert.deepEqual(kubeUserOf(nsAdmin, session).accessPolicies, [{ clusterRole: 'cluster-admin', namespaces: ['a'] }]);
  const admin = associatePolicy(nsAdmin, `${POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`, { type: 'cluster' }, 3000);
  assert.equal(admin.policies.length, 1, 'associating again replaces the scope');
  assert.equal(admin.policies[0]!.associatedAt, 2000);
  assert.deepEqual(kubeUserOf(admin, session).groups, ['devs', 'system:authenticated'], 'no one is put in system:masters');
  assert.deepEqual(kubeUserOf(admin, session).accessPolicies, [{ clusterRole: 'cluster-admin' }]);
  const all = ['AmazonEKSAdminPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSViewPolicy'].reduce((e, p) => associatePolicy(e, POLICY_ARN_PREFIX + p, { type: 'cluster' }, 4000), entry);
  assert.deepEqual(kubeUserOf(all, session).accessPolicies?.map((g) => g.clusterRole), ['admin', 'edit', 'view']);
});

test('entries refuse system: groups and usernames, groups on node types, and principals that are not IAM', () => {
  const refused = (f: () => void) => assert.throws(f, (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterException');
  refused(() => newAccessEntry('demo', CLUSTER_ARN, 'x', { principalArn: ROLE, kubernetesGroups: ['system:masters'] }, 0));
  refused(() => newAccessEntry('demo', CLUSTER_ARN, 'x', { principalArn: ROLE, username: 'system:admin' }, 0));
  refused(() => newAccessEntry('demo', CLUSTER_ARN, 'x', { principalArn: ROLE, type: 'EC2_LINUX', kubernetesGroups: ['a'] }, 0));
  refused(() => newAccessEntry('demo', CLUSTER_ARN, 'x', { principalArn: 'arn:aws:s3:::bucket' }, 0));
  refused(() => newAccessEntry('demo', CLUSTER_ARN, 'x', { principalArn: ROLE, type: 'NOPE' }, 0));
});
