import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rbacErrors } from './validation.ts';
import type { Obj } from '../kind-rules.ts';

const binding = (o: Record<string, unknown>): Obj => ({ metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, ...o }) as Obj;
const messages = (plural: string, o: Obj, old?: Obj) => rbacErrors(plural, o, old).map((e) => `${e.field}: ${e.message}`);

test('subjects: apiGroup defaulted by kind, then kinds, apiGroups, names and service account namespaces checked', () => {
  const o = binding({ subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'web' }] });
  assert.deepEqual(messages('rolebindings', o), []);
  assert.deepEqual((o.subjects as { apiGroup: string }[]).map((s) => s.apiGroup), ['rbac.authorization.k8s.io', '']);
  assert.deepEqual(messages('clusterrolebindings', binding({ subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r' }, { kind: 'Group', apiGroup: 'x', name: '' }] })), [
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    'subjects[2].name: Required value',
    'subjects[2].apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
  ]);
});

test('roleRef: kind by binding kind, apiGroup, name; and it may not change', () => {
  assert.deepEqual(messages('clusterrolebindings', binding({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: '' } })), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'roleRef.name: Required value',
  ]);
  assert.deepEqual(messages('rolebindings', binding({ roleRef: { kind: 'Role', name: 'r' } })), [], 'apiGroup is defaulted');
  assert.deepEqual(messages('rolebindings', binding({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' } }), binding({})), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
  ]);
});

test('rules: verbs required; resource rules need groups and resources; URLs only in ClusterRoles and never with resources', () => {
  const role = (rules: unknown[]): Obj => ({ metadata: { name: 'r' }, rules }) as Obj;
  assert.deepEqual(messages('roles', role([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }])), []);
  assert.deepEqual(messages('roles', role([{ verbs: [], apiGroups: [], resources: [] }])), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
  ]);
  assert.deepEqual(messages('roles', role([{ verbs: ['get'], nonResourceURLs: ['/x'] }])), ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs']);
  assert.deepEqual(messages('clusterroles', role([{ verbs: ['get'], nonResourceURLs: ['/x'] }])), []);
  assert.deepEqual(messages('clusterroles', role([{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }])), ['rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs']);
});
