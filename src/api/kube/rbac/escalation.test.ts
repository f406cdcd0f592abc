import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bindingEscalation, breakdown, compactString, roleEscalation, ruleCovers, uncovered } from './escalation.ts';
import { ruleAllows } from './authorizer.ts';
import { RBAC_GROUP, type PolicyRule, type RbacSnapshot, type RoleView } from './types.ts';
import type { KubeUser } from '../../../core/kube/user.ts';

const dev: KubeUser = { username: 'dev', groups: ['devs', 'system:authenticated'] };
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule => ({ apiGroups, resources, verbs, ...(resourceNames && { resourceNames }) });

function snapshotWith(held: PolicyRule[], extra: RoleView[] = []): RbacSnapshot {
  const clusterRoles = new Map<string, RoleView>([['held', { name: 'held', rules: held }], ...extra.map((r) => [r.name, r] as [string, RoleView])]);
  return { clusterRoles, roles: new Map(), clusterRoleBindings: [], roleBindings: new Map([['team', [
    { name: 'b', namespace: 'team', subjects: [{ kind: 'Group', apiGroup: RBAC_GROUP, name: 'devs' }], roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'held' } },
  ]]]) };
}

test('coverage as the server decides it: wildcards, subresources by */sub, names, URL prefixes', () => {
  assert.ok(ruleCovers(rule(['*'], ['*'], ['*']), rule([''], ['pods/log'], ['get'])));
  assert.ok(!ruleCovers(rule([''], ['pods'], ['get']), rule([''], ['pods/log'], ['get'])));
  assert.ok(ruleCovers(rule([''], ['*/log'], ['get']), rule([''], ['pods/log'], ['get'])));
  assert.ok(!ruleCovers(rule([''], ['pods'], ['get'], ['a']), rule([''], ['pods'], ['get'])), 'named rules do not cover all names');
  assert.ok(ruleCovers(rule([''], ['pods'], ['get']), rule([''], ['pods'], ['get'], ['a'])));
  assert.ok(ruleCovers({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { verbs: ['get'], nonResourceURLs: ['/apis/apps'] }));
  assert.ok(!ruleCovers(rule([''], ['pods'], ['get']), rule([''], ['pods'], ['*'])), 'a * verb is covered only by *');
  assert.deepEqual(uncovered([rule([''], ['configmaps'], ['get', 'list'])], [rule([''], ['configmaps', 'secrets'], ['get'])]), [rule([''], ['secrets'], ['get'])]);
});

test('property: what an owner covers, the owner\'s rules allow', () => {
  const arb = fc.record({
    verbs: fc.uniqueArray(fc.constantFrom('get', 'list', 'create', '*'), { minLength: 1, maxLength: 2 }),
    apiGroups: fc.uniqueArray(fc.constantFrom('', 'apps', '*'), { minLength: 1, maxLength: 2 }),
    resources: fc.uniqueArray(fc.constantFrom('pods', 'pods/log', '*/log', 'secrets', '*'), { minLength: 1, maxLength: 2 }),
  });
  fc.assert(fc.property(fc.array(arb, { maxLength: 3 }), arb, (owner, wanted) => {
    for (const sub of breakdown(wanted)) {
      if (!owner.some((o) => ruleCovers(o, sub))) continue;
      const [group, resource, verb] = [sub.apiGroups![0]!, sub.resources![0]!, sub.verbs[0]!];
      if ([group, resource, verb].includes('*') || resource.startsWith('*/')) continue;
      const [res, subresource = ''] = resource.split('/');
      const attrs = { resourceRequest: true as const, verb, apiGroup: group, apiVersion: 'v1', resource: res!, subresource, namespace: 'team', name: 'x' };
      assert.ok(owner.some((o) => ruleAllows(attrs, o)), `${JSON.stringify(sub)} covered by ${JSON.stringify(owner)} but not allowed`);
    }
  }), { numRuns: 300 });
});

test('a role granting what the writer lacks is refused with the server\'s message; what it holds passes', () => {
  const s = snapshotWith([rule([''], ['configmaps'], ['get', 'list', 'create']), rule([RBAC_GROUP], ['roles', 'rolebindings'], ['create'])]);
  assert.equal(roleEscalation(dev, 'roles', 'team', 'r', [rule([''], ['configmaps'], ['get'])], s), undefined);
  assert.equal(roleEscalation(dev, 'roles', 'team', 'r', [rule([''], ['secrets', 'nodes'], ['get', 'list'])], s),
    'user "dev" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}');
  assert.notEqual(roleEscalation(dev, 'roles', 'other', 'r', [rule([''], ['configmaps'], ['get'])], s), undefined, 'held in team only');
  assert.equal(roleEscalation({ ...dev, groups: ['system:masters'] }, 'clusterroles', '', 'r', [rule(['*'], ['*'], ['*'])], s), undefined);
  const withEscalate = snapshotWith([rule([RBAC_GROUP], ['roles'], ['escalate'])]);
  assert.equal(roleEscalation(dev, 'roles', 'team', 'r', [rule(['*'], ['*'], ['*'])], withEscalate), undefined, 'escalate allows it');
  assert.equal(compactString({ verbs: ['get'], nonResourceURLs: ['/x'] }), '{NonResourceURLs:["/x"], Verbs:["get"]}');
});

test('a binding to a role the writer does not hold is refused unless the writer may bind it', () => {
  const big: RoleView = { name: 'big', rules: [rule(['*'], ['*'], ['*'])] };
  const small: RoleView = { name: 'small', rules: [rule([''], ['configmaps'], ['get'])] };
  const s = snapshotWith([rule([''], ['configmaps'], ['get', 'list'])], [big, small]);
  assert.equal(bindingEscalation(dev, 'team', { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'small' }, s), undefined);
  assert.match(bindingEscalation(dev, 'team', { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'big' }, s) ?? '', /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
  assert.equal(bindingEscalation(dev, 'team', { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'nope' }, s), 'clusterrole.rbac.authorization.k8s.io "nope" not found');
  const mayBind = snapshotWith([rule([RBAC_GROUP], ['clusterroles'], ['bind'], ['big'])], [big]);
  assert.equal(bindingEscalation(dev, 'team', { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'big' }, mayBind), undefined, 'bind on that role allows it');
});
