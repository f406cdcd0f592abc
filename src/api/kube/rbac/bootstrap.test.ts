import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTOUPDATE, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES, bootstrapWrites, clusterRoleBindingObject, clusterRoleObject } from './bootstrap.ts';

type O = Parameters<typeof bootstrapWrites>[0] extends ReadonlyMap<string, infer T> ? T : never;

test('an empty cluster gets every default role and binding, marked autoupdate, the aggregated ones filled in', () => {
  const writes = bootstrapWrites(new Map(), new Map());
  assert.equal(writes.length, BOOTSTRAP_CLUSTER_ROLES.length + BOOTSTRAP_CLUSTER_ROLE_BINDINGS.length);
  assert.ok(writes.every((w) => w.type === 'create' && w.object.metadata.annotations?.[AUTOUPDATE] === 'true'));
  const view = writes.find((w) => w.type === 'create' && w.object.metadata.name === 'view');
  assert.ok(view?.type === 'create' && (view.object.rules as unknown[]).length > 5 && view.object.aggregationRule !== undefined);
  const names = writes.map((w) => (w.type === 'create' ? `${w.kind}/${w.object.metadata.name}` : ''));
  for (const n of ['ClusterRole/cluster-admin', 'ClusterRole/admin', 'ClusterRole/edit', 'ClusterRole/view', 'ClusterRole/system:basic-user', 'ClusterRole/system:discovery',
    'ClusterRole/system:public-info-viewer', 'ClusterRoleBinding/cluster-admin', 'ClusterRoleBinding/system:public-info-viewer']) assert.ok(names.includes(n), n);
});

test('a start after the first changes nothing; an edited default is widened again unless it says autoupdate "false"', () => {
  const roles = new Map<string, O>(BOOTSTRAP_CLUSTER_ROLES.map((r) => [r.name, clusterRoleObject(r)]));
  const bindings = new Map<string, O>(BOOTSTRAP_CLUSTER_ROLE_BINDINGS.map((b) => [b.name, clusterRoleBindingObject(b)]));
  assert.deepEqual(bootstrapWrites(roles, bindings), []);
  const cut = { ...roles.get('system:basic-user')!, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] };
  roles.set('system:basic-user', cut);
  const lessSubjects = { ...bindings.get('system:public-info-viewer')!, subjects: [] };
  bindings.set('system:public-info-viewer', lessSubjects);
  const writes = bootstrapWrites(roles, bindings);
  assert.deepEqual(writes.map((w) => (w.type === 'update' ? `${w.kind}/${w.name}` : 'create')), ['ClusterRole/system:basic-user', 'ClusterRoleBinding/system:public-info-viewer']);
  const widened = writes[0]!.type === 'update' ? writes[0]!.change(cut) : undefined;
  assert.equal((widened?.rules as unknown[]).length, 3, 'the user\'s rule is kept, the two defaults come back');
  roles.set('system:basic-user', { ...cut, metadata: { ...cut.metadata, annotations: { [AUTOUPDATE]: 'false' } } });
  bindings.delete('system:public-info-viewer');
  assert.deepEqual(bootstrapWrites(roles, bindings).map((w) => w.type === 'create' ? `create ${w.object.metadata.name}` : `update ${w.name}`), ['create system:public-info-viewer']);
});
