import { test } from 'node:test';
import assert from 'node:assert/strict';
import { impersonatedUser, impersonates } from './impersonation.ts';
import { StatusError } from '../status.ts';
import { RBAC_GROUP, type RbacSnapshot } from './types.ts';
import type { KubeUser } from '../../../core/kube/user.ts';

const ops: KubeUser = { username: 'ops', groups: ['ops', 'system:authenticated'] };
const snapshot: RbacSnapshot = {
  clusterRoles: new Map([['impersonator', { name: 'impersonator', rules: [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] }, { verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts'] }] }]]),
  roles: new Map(),
  clusterRoleBindings: [{ name: 'ops', namespace: undefined, subjects: [{ kind: 'Group', apiGroup: RBAC_GROUP, name: 'ops' }], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'impersonator' } }],
  roleBindings: new Map(),
};

test('the impersonated user: asked-for groups, system:authenticated added; a service account in its own groups', () => {
  assert.ok(impersonates({ 'impersonate-user': 'a' }) && !impersonates({ authorization: 'x' }));
  assert.deepEqual(impersonatedUser(ops, { 'impersonate-user': 'dev', 'impersonate-group': ['devs', 'qa'] }, snapshot), { username: 'dev', groups: ['devs', 'qa', 'system:authenticated'] });
  assert.deepEqual(impersonatedUser(ops, { 'impersonate-user': 'system:serviceaccount:web:b' }, snapshot), { username: 'system:serviceaccount:web:b', groups: ['system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated'] });
  assert.deepEqual(impersonatedUser(ops, { 'impersonate-user': 'system:anonymous' }, snapshot), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
});

test('impersonating what the requester may not is refused with the authorizer\'s message; groups without a user are a bad request', () => {
  const uid = impersonatedUser(ops, { 'impersonate-user': 'dev', 'impersonate-uid': '42' }, snapshot);
  assert.ok(uid instanceof StatusError && uid.code === 403);
  assert.equal(uid.message, 'uids.authentication.k8s.io "42" is forbidden: User "ops" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope');
  const other = impersonatedUser({ username: 'dev', groups: ['system:authenticated'] }, { 'impersonate-user': 'ops' }, snapshot);
  assert.ok(other instanceof StatusError && other.message === 'users "ops" is forbidden: User "dev" cannot impersonate resource "users" in API group "" at the cluster scope');
  const noUser = impersonatedUser(ops, { 'impersonate-group': 'devs' }, snapshot);
  assert.ok(noUser instanceof StatusError && noUser.code === 400);
});
