import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authorize, ruleAllows, rulesFor, subjectMatches } from './authorizer.ts';
import { requestAttributes } from './attributes.ts';
import { RBAC_GROUP, type BindingView, type PolicyRule, type RbacSnapshot, type ResourceAttributes, type RoleView } from './types.ts';
import type { KubeUser } from '../../../core/kube/user.ts';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES, accessPolicyRules } from './bootstrap.ts';
import { settledRules } from './aggregation.ts';

const res = (verb: string, resource: string, o: Partial<ResourceAttributes> = {}): ResourceAttributes =>
  ({ resourceRequest: true, verb, apiGroup: '', apiVersion: 'v1', resource, subresource: '', namespace: 'default', name: '', ...o });
const alice: KubeUser = { username: 'alice', groups: ['devs', 'system:authenticated'] };
const user = (username: string, ...groups: string[]): KubeUser => ({ username, groups: [...groups, 'system:authenticated'] });

function snapshot(o: { clusterRoles?: RoleView[]; roles?: [string, RoleView][]; crbs?: BindingView[]; rbs?: BindingView[] }): RbacSnapshot {
  const roles = new Map<string, Map<string, RoleView>>();
  for (const [ns, r] of o.roles ?? []) {
    if (!roles.has(ns)) roles.set(ns, new Map());
    roles.get(ns)!.set(r.name, r);
  }
  const roleBindings = new Map<string, BindingView[]>();
  for (const b of o.rbs ?? []) roleBindings.set(b.namespace!, [...(roleBindings.get(b.namespace!) ?? []), b]);
  return { clusterRoles: new Map((o.clusterRoles ?? []).map((r) => [r.name, r])), roles, clusterRoleBindings: o.crbs ?? [], roleBindings };
}

/** The cluster as the server bootstraps it (aggregated roles filled in). */
const bootstrapped = (extra: Parameters<typeof snapshot>[0] = {}): RbacSnapshot => snapshot({
  clusterRoles: [...[...settledRules(BOOTSTRAP_CLUSTER_ROLES)].map(([name, rules]) => ({ name, rules })), ...(extra.clusterRoles ?? [])],
  crbs: [...BOOTSTRAP_CLUSTER_ROLE_BINDINGS.map((b) => ({ name: b.name, namespace: undefined, subjects: b.subjects, roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: b.role } })), ...(extra.crbs ?? [])],
  ...(extra.roles && { roles: extra.roles }), ...(extra.rbs && { rbs: extra.rbs }),
});

const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });

test('rules match verbs, groups, resources with subresources, names and non-resource URLs as RBAC does', () => {
  const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'], resourceNames: ['web'] };
  assert.ok(ruleAllows(res('get', 'configmaps', { name: 'web' }), r));
  assert.ok(!ruleAllows(res('get', 'configmaps', { name: 'db' }), r), 'resourceNames limit the names');
  assert.ok(!ruleAllows(res('list', 'configmaps'), r), 'a list names nothing: resourceNames never match it');
  assert.ok(!ruleAllows(res('get', 'pods', { name: 'web', subresource: 'log' }), r), 'pods does not grant pods/log');
  assert.ok(ruleAllows(res('get', 'pods', { name: 'x', subresource: 'log' }), { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }));
  assert.ok(ruleAllows(res('get', 'pods', { name: 'x', subresource: 'log' }), { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }));
  assert.ok(!ruleAllows(res('get', 'leases', { apiGroup: 'coordination.k8s.io' }), { verbs: ['*'], apiGroups: [''], resources: ['*'] }), 'group must match');
  assert.ok(ruleAllows(res('delete', 'leases', { apiGroup: 'coordination.k8s.io', name: 'l' }), { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }));
  const urls: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
  assert.ok(ruleAllows({ resourceRequest: false, verb: 'get', path: '/healthz' }, urls));
  assert.ok(ruleAllows({ resourceRequest: false, verb: 'get', path: '/apis/apps/v1' }, urls), 'a trailing * is a prefix');
  assert.ok(!ruleAllows({ resourceRequest: false, verb: 'get', path: '/healthz/etcd' }, urls));
  assert.ok(!ruleAllows({ resourceRequest: false, verb: 'post', path: '/healthz' }, urls));
  assert.ok(!ruleAllows(res('get', 'healthz'), urls), 'URL rules grant no resource');
});

test('subjects: users and groups by name in the rbac group, service accounts by their username', () => {
  const sa: KubeUser = { username: 'system:serviceaccount:web:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated'] };
  assert.ok(subjectMatches({ kind: 'User', apiGroup: RBAC_GROUP, name: 'alice' }, alice, undefined));
  assert.ok(!subjectMatches({ kind: 'User', apiGroup: '', name: 'alice' }, alice, undefined));
  assert.ok(subjectMatches(group('devs'), alice, undefined));
  assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, 'web'), 'a RoleBinding\'s namespace is the default');
  assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, 'other'));
  assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'builder' }, sa, undefined), 'a ClusterRoleBinding\'s needs a namespace');
  assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'builder', namespace: 'web' }, sa, undefined));
  assert.ok(subjectMatches(group('system:serviceaccounts:web'), sa, undefined));
});

test('a Role bound in its namespace grants there only; a ClusterRole bound by a RoleBinding grants in the binding\'s namespace', () => {
  const s = bootstrapped({
    roles: [['web', { name: 'cm', rules: [{ verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['configmaps'] }] }]],
    rbs: [
      { name: 'devs-cm', namespace: 'web', subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'cm' } },
      { name: 'alice-view', namespace: 'db', subjects: [{ kind: 'User', apiGroup: RBAC_GROUP, name: 'alice' }], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'view' } },
    ],
  });
  const d = authorize(alice, res('create', 'configmaps', { namespace: 'web' }), s);
  assert.deepEqual(d, { allowed: true, reason: 'RBAC: allowed by RoleBinding "devs-cm/web" of Role "cm" to Group "devs"' });
  assert.equal(authorize(alice, res('create', 'configmaps', { namespace: 'default' }), s).allowed, false);
  assert.equal(authorize(alice, res('list', 'configmaps', { namespace: '' }), s).allowed, false, 'a namespace\'s grant is no cluster-wide list');
  assert.equal(authorize(alice, res('get', 'pods', { namespace: 'db', name: 'p' }), s).allowed, true);
  assert.equal(authorize(alice, res('get', 'pods', { namespace: 'web', name: 'p' }), s).allowed, false);
  assert.equal(authorize(alice, res('get', 'secrets', { namespace: 'db', name: 's' }), s).allowed, false, 'view does not read secrets');
  assert.equal(authorize(alice, { resourceRequest: false, verb: 'get', path: '/apis' }, s).allowed, true, 'system:discovery');
  assert.equal(authorize(user('bob'), res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' }), s).allowed, true, 'system:basic-user');
  assert.equal(authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, { resourceRequest: false, verb: 'get', path: '/version' }, s).allowed, true, 'public info');
  assert.equal(authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] }, { resourceRequest: false, verb: 'get', path: '/apis' }, s).allowed, false);
  assert.equal(authorize(user('root', 'system:masters'), res('delete', 'anything', { apiGroup: 'x' }), snapshot({})).allowed, true, 'system:masters needs no binding');
});

test('a binding to a missing role is denied with the reason RBAC gives', () => {
  const s = snapshot({ rbs: [{ name: 'b', namespace: 'web', subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'gone' } }] });
  assert.deepEqual(authorize(alice, res('get', 'configmaps', { namespace: 'web' }), s), { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found' });
  assert.deepEqual(rulesFor(alice, 'web', s), { rules: [], errors: ['role.rbac.authorization.k8s.io "gone" not found'] });
});

test('EKS access policies grant their ClusterRole\'s permissions, cluster-wide or in their namespaces, whatever the cluster\'s roles say', () => {
  const viewer: KubeUser = { ...user('v'), accessPolicies: [{ clusterRole: 'view' }] };
  const empty = snapshot({});
  assert.equal(authorize(viewer, res('get', 'configmaps', { name: 'x' }), empty).allowed, true);
  assert.equal(authorize(viewer, res('list', 'namespaces', { namespace: '' }), empty).allowed, true);
  assert.equal(authorize(viewer, res('create', 'configmaps'), empty).allowed, false);
  const editor: KubeUser = { ...user('e'), accessPolicies: [{ clusterRole: 'edit', namespaces: ['web'] }] };
  assert.equal(authorize(editor, res('create', 'configmaps', { namespace: 'web' }), empty).allowed, true);
  assert.equal(authorize(editor, res('create', 'configmaps', { namespace: 'db' }), empty).allowed, false);
  assert.equal(authorize(editor, res('list', 'configmaps', { namespace: '' }), empty).allowed, false, 'a namespace scope grants nothing cluster-wide');
  assert.equal(authorize(editor, res('create', 'roles', { namespace: 'web', apiGroup: RBAC_GROUP }), empty).allowed, false, 'edit does not manage roles');
  const admin: KubeUser = { ...user('a'), accessPolicies: [{ clusterRole: 'admin', namespaces: ['web'] }] };
  assert.equal(authorize(admin, res('create', 'roles', { namespace: 'web', apiGroup: RBAC_GROUP }), empty).allowed, true);
  const clusterAdmin: KubeUser = { ...user('c'), accessPolicies: [{ clusterRole: 'cluster-admin' }] };
  assert.equal(authorize(clusterAdmin, { resourceRequest: false, verb: 'get', path: '/metrics' }, empty).allowed, true);
  assert.ok(accessPolicyRules('view').length > 0 && accessPolicyRules('edit').length > accessPolicyRules('view').length && accessPolicyRules('admin').length > accessPolicyRules('edit').length,
    'view ⊂ edit ⊂ admin, by aggregation');
});

test('property: adding a binding never takes a permission away, and a ClusterRoleBinding grants in every namespace what a RoleBinding grants in one', () => {
  const verb = fc.constantFrom('get', 'list', 'watch', 'create', 'update', 'patch', 'delete');
  const resource = fc.constantFrom('pods', 'configmaps', 'secrets', 'deployments');
  const ruleArb: fc.Arbitrary<PolicyRule> = fc.record({
    verbs: fc.uniqueArray(fc.oneof(verb, fc.constant('*')), { minLength: 1, maxLength: 3 }),
    apiGroups: fc.uniqueArray(fc.constantFrom('', 'apps', '*'), { minLength: 1, maxLength: 2 }),
    resources: fc.uniqueArray(fc.oneof(resource, fc.constant('*'), fc.constant('pods/log')), { minLength: 1, maxLength: 3 }),
  });
  const attrsArb = fc.record({ verb, resource, group: fc.constantFrom('', 'apps'), ns: fc.constantFrom('a', 'b') });
  fc.assert(fc.property(fc.array(ruleArb, { maxLength: 4 }), fc.array(ruleArb, { maxLength: 4 }), attrsArb, (rulesA, rulesB, a) => {
    const attrs = res(a.verb, a.resource, { apiGroup: a.group, namespace: a.ns });
    const base = snapshot({ clusterRoles: [{ name: 'ra', rules: rulesA }, { name: 'rb', rules: rulesB }],
      rbs: [{ name: 'x', namespace: 'a', subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'ra' } }] });
    const more = snapshot({ clusterRoles: [{ name: 'ra', rules: rulesA }, { name: 'rb', rules: rulesB }],
      rbs: [{ name: 'x', namespace: 'a', subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'ra' } }],
      crbs: [{ name: 'y', namespace: undefined, subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'rb' } }] });
    if (authorize(alice, attrs, base).allowed) assert.ok(authorize(alice, attrs, more).allowed);
    const inA = authorize(alice, res(a.verb, a.resource, { apiGroup: a.group, namespace: 'a' }), base).allowed;
    const viaCluster = snapshot({ clusterRoles: [{ name: 'ra', rules: rulesA }], crbs: [{ name: 'z', namespace: undefined, subjects: [group('devs')], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'ra' } }] });
    assert.equal(authorize(alice, attrs, viaCluster).allowed, inA, 'the same rules cluster-wide decide the same in any namespace');
    // The allowed set is what rulesFor lists: some listed rule allows exactly when the authorizer does.
    assert.equal(rulesFor(alice, a.ns, more).rules.some((r) => ruleAllows(attrs, r)), authorize(alice, attrs, more).allowed);
    assert.equal(authorize(user('bob'), attrs, more).allowed, false, 'a user in no bound group gets nothing');
  }), { numRuns: 300 });
});

test('request attributes: verbs from the method, list/watch/deletecollection, namespaces, subresources, non-resource paths', () => {
  const q = (s = '') => new URLSearchParams(s);
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/web/pods/p1/log', q()), res('get', 'pods', { namespace: 'web', name: 'p1', subresource: 'log' }));
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/web/configmaps', q()), res('list', 'configmaps', { namespace: 'web' }));
  assert.deepEqual(requestAttributes('GET', '/api/v1/configmaps', q('watch=true')), res('watch', 'configmaps', { namespace: '' }));
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/web/configmaps/x', q('watch=1')), res('watch', 'configmaps', { namespace: 'web', name: 'x' }), 'a get with ?watch is a watch');
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/web/configmaps', q('fieldSelector=metadata.name%3Dweb')), res('list', 'configmaps', { namespace: 'web', name: 'web' }), 'a list of one name names it');
  assert.deepEqual(requestAttributes('GET', '/api/v1/watch/namespaces/web/configmaps', q()), res('watch', 'configmaps', { namespace: 'web' }));
  assert.deepEqual(requestAttributes('DELETE', '/api/v1/namespaces/web/configmaps', q()), res('deletecollection', 'configmaps', { namespace: 'web' }));
  assert.deepEqual(requestAttributes('DELETE', '/api/v1/namespaces/web/configmaps/a', q()), res('delete', 'configmaps', { namespace: 'web', name: 'a' }));
  assert.deepEqual(requestAttributes('POST', '/apis/apps/v1/namespaces/web/deployments', q()), res('create', 'deployments', { apiGroup: 'apps', namespace: 'web' }));
  assert.deepEqual(requestAttributes('PATCH', '/apis/apps/v1/namespaces/web/deployments/d/scale', q()), res('patch', 'deployments', { apiGroup: 'apps', namespace: 'web', name: 'd', subresource: 'scale' }));
  assert.deepEqual(requestAttributes('PUT', '/api/v1/namespaces/web/finalize', q()), res('update', 'namespaces', { namespace: 'web', name: 'web', subresource: 'finalize' }));
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces/web', q()), res('get', 'namespaces', { namespace: 'web', name: 'web' }), 'a namespace is in itself');
  assert.deepEqual(requestAttributes('GET', '/api/v1/namespaces', q()), res('list', 'namespaces', { namespace: '' }));
  assert.deepEqual(requestAttributes('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', q()), res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' }));
  assert.deepEqual(requestAttributes('GET', '/apis/apps/v1', q()), { resourceRequest: false, verb: 'get', path: '/apis/apps/v1' });
  assert.deepEqual(requestAttributes('GET', '/api/v1', q()), { resourceRequest: false, verb: 'get', path: '/api/v1' });
  assert.deepEqual(requestAttributes('POST', '/healthz', q()), { resourceRequest: false, verb: 'post', path: '/healthz' });
});
