/**
 * RBAC end to end with kubectl 1.32 against one cluster's Kubernetes API server: the default
 * roles it bootstraps, Roles and bindings made with `kubectl create`, what they grant (one
 * namespace only), `kubectl auth can-i` (and `--list`) answered by the same authorizer, the
 * API server's Forbidden messages, roleRef's immutability, and ClusterRole aggregation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ADMIN_TOKEN, BUILDER_TOKEN, DEV_TOKEN, kubeconfigFor, startKubeTestServer, type KubeTestServer } from './support/kube.ts';
import { until } from './support/until.ts';

let s: KubeTestServer;
let as: (token: string, args: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string }>;

before(async () => {
  s = await startKubeTestServer();
  as = (token, args, input) => {
    const kubeconfig = `${s.kubeconfig}.${token}`;
    writeFileSync(kubeconfig, kubeconfigFor(s.url, s.ca, token));
    return s.kubectlResult(['--kubeconfig', kubeconfig, ...args], input);
  };
});
after(async () => {
  await s?.close();
});

describe('kubectl and RBAC', () => {
  it('shows the default roles and bindings the server bootstraps, with the columns kubectl prints', async () => {
    const roles = await s.kubectl(['get', 'clusterroles']);
    assert.match(roles, /^NAME\s+CREATED AT\n/);
    for (const name of ['admin', 'cluster-admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer']) {
      assert.match(roles, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`, 'm'), name);
    }
    const bindings = await s.kubectl(['get', 'clusterrolebindings', '-o', 'wide']);
    assert.match(bindings, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n/);
    assert.match(bindings, /^cluster-admin\s+ClusterRole\/cluster-admin\s+\d+s\s+system:masters\s*$/m);
    assert.match(bindings, /^system:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\d+s\s+system:authenticated, system:unauthenticated\s*$/m);
    const view = JSON.parse(await s.kubectl(['get', 'clusterrole', 'view', '-o', 'json'])) as { metadata: { annotations: Record<string, string> }; rules: { resources?: string[] }[] };
    assert.equal(view.metadata.annotations['rbac.authorization.kubernetes.io/autoupdate'], 'true');
    assert.ok(view.rules.some((r) => r.resources?.includes('configmaps')), 'view has the rules it aggregates');
  });

  it('a Role and RoleBinding for a group grant configmaps in one namespace only, and can-i says so', async () => {
    await s.kubectl(['create', 'namespace', 'web']);
    assert.equal((await s.kubectl(['create', 'role', 'cm-editor', '-n', 'web', '--verb=get,list,watch,create', '--resource=configmaps'])).trim(), 'role.rbac.authorization.k8s.io/cm-editor created');
    assert.equal((await s.kubectl(['create', 'rolebinding', 'devs-cm', '-n', 'web', '--role=cm-editor', '--group=devs', '--serviceaccount=web:builder'])).trim(), 'rolebinding.rbac.authorization.k8s.io/devs-cm created');
    const wide = await s.kubectl(['get', 'rolebindings', '-n', 'web', '-o', 'wide']);
    assert.match(wide, /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\ndevs-cm\s+Role\/cm-editor\s+\d+s\s+devs\s+web\/builder\n$/);
    assert.match(await s.kubectl(['get', 'roles', '-n', 'web']), /^NAME\s+CREATED AT\ncm-editor\s+\d{4}-/);

    const made = await until('the binding to reach the authorizer', async () => {
      const r = await as(DEV_TOKEN, ['create', 'configmap', 'app', '-n', 'web', '--from-literal=a=1']);
      return r.code === 0 ? r.stdout : undefined;
    }, 10_000);
    assert.equal(made.trim(), 'configmap/app created');
    assert.match((await as(DEV_TOKEN, ['get', 'cm', '-n', 'web'])).stdout, /^app\s+1\s+/m);
    const elsewhere = await as(DEV_TOKEN, ['create', 'configmap', 'app', '-n', 'default', '--from-literal=a=1']);
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /configmaps is forbidden: User "dev" cannot create resource "configmaps" in API group "" in the namespace "default"/);
    const named = await as(DEV_TOKEN, ['delete', 'cm', 'app', '-n', 'web']);
    assert.match(named.stderr, /configmaps "app" is forbidden: User "dev" cannot delete resource "configmaps" in API group "" in the namespace "web"/);
    const all = await as(DEV_TOKEN, ['get', 'cm', '-A']);
    assert.match(all.stderr, /configmaps is forbidden: User "dev" cannot list resource "configmaps" in API group "" at the cluster scope/);
    const ns = await as(DEV_TOKEN, ['get', 'namespace', 'web']);
    assert.match(ns.stderr, /namespaces "web" is forbidden: User "dev" cannot get resource "namespaces" in API group "" in the namespace "web"/);

    const can = (token: string, ...args: string[]) => as(token, ['auth', 'can-i', ...args]);
    assert.equal((await can(DEV_TOKEN, 'create', 'configmaps', '-n', 'web')).stdout.trim(), 'yes');
    assert.equal((await can(DEV_TOKEN, 'create', 'configmaps', '-n', 'default')).stdout.trim(), 'no');
    assert.equal((await can(DEV_TOKEN, 'delete', 'configmaps', '-n', 'web')).stdout.trim(), 'no');
    assert.equal((await can(BUILDER_TOKEN, 'list', 'configmaps', '-n', 'web')).stdout.trim(), 'yes', 'a service account subject, by its username');
    assert.equal((await can(ADMIN_TOKEN, 'delete', 'nodes')).stdout.trim(), 'yes');
    const list = (await can(DEV_TOKEN, '--list', '-n', 'web')).stdout;
    assert.match(list, /^configmaps\s+\[\]\s+\[\]\s+\[get list watch create\]$/m);
    assert.match(list, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m);
    assert.doesNotMatch((await can(DEV_TOKEN, '--list', '-n', 'default')).stdout, /^configmaps/m);
  });

  it('refuses a roleRef change and bad subjects with the API server\'s messages, changing nothing', async () => {
    const rb = JSON.parse(await s.kubectl(['get', 'rolebinding', 'devs-cm', '-n', 'web', '-o', 'json'])) as { roleRef: { kind: string; name: string } };
    rb.roleRef = { ...rb.roleRef, kind: 'ClusterRole', name: 'edit' };
    const r = await s.kubectlResult(['replace', '-f', '-'], JSON.stringify(rb));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The RoleBinding "devs-cm" is invalid: roleRef: Invalid value: rbac\.RoleRef\{APIGroup:"rbac\.authorization\.k8s\.io", Kind:"ClusterRole", Name:"edit"\}: cannot change roleRef/);
    assert.equal(await s.kubectl(['get', 'rolebinding', 'devs-cm', '-n', 'web', '-o', 'jsonpath={.roleRef.name}']), 'cm-editor');
    const bad = await s.kubectlResult(['create', '-f', '-'], JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bad' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'x' }] }));
    assert.match(bad.stderr, /The ClusterRoleBinding "bad" is invalid: subjects\[0\]\.namespace: Required value/);
  });

  it('a namespace admin may make roles and bindings with what it holds, and no more', async () => {
    await s.kubectl(['create', 'namespace', 'team']);
    await s.kubectl(['create', 'rolebinding', 'devs-admin', '-n', 'team', '--clusterrole=admin', '--group=devs']);
    await until('the admin binding to reach the authorizer', async () => ((await as(DEV_TOKEN, ['auth', 'can-i', 'create', 'roles', '-n', 'team'])).stdout.trim() === 'yes' ? true : undefined), 10_000);
    const fine = await as(DEV_TOKEN, ['create', 'role', 'reader', '-n', 'team', '--verb=get,list', '--resource=configmaps']);
    assert.equal(fine.stdout.trim(), 'role.rbac.authorization.k8s.io/reader created', fine.stderr);
    const nodes = await as(DEV_TOKEN, ['create', 'role', 'nodes', '-n', 'team', '--verb=get,delete', '--resource=namespaces,configmaps']);
    assert.notEqual(nodes.code, 0);
    assert.match(nodes.stderr, /roles\.rbac\.authorization\.k8s\.io "nodes" is forbidden: user "dev" \(groups=\["devs" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["namespaces"\], Verbs:\["delete"\]\}\n$/, 'admin may not delete its namespace: only that rule is missing');
    const root = await as(DEV_TOKEN, ['create', 'rolebinding', 'me-root', '-n', 'team', '--clusterrole=cluster-admin', '--user=dev']);
    assert.notEqual(root.code, 0);
    assert.match(root.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "me-root" is forbidden: user "dev" .* is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/);
    assert.equal((await as(DEV_TOKEN, ['create', 'rolebinding', 'view-all', '-n', 'team', '--clusterrole=view', '--group=devs'])).code, 0, 'view is within admin');
    assert.equal((await s.kubectlResult(['get', 'rolebinding', 'me-root', '-n', 'team'])).code, 1, 'nothing was made');
  });

  it('impersonation (--as, --as-group) for who may impersonate, and SubjectAccessReview, from the same authorizer', async () => {
    assert.equal((await s.kubectl(['auth', 'can-i', 'create', 'configmaps', '-n', 'web', '--as=dev', '--as-group=devs'])).trim(), 'yes');
    assert.equal((await s.kubectlResult(['auth', 'can-i', 'create', 'configmaps', '-n', 'web', '--as=dev'])).stdout.trim(), 'no', 'the groups are the ones asked for');
    const sa = JSON.parse(await s.kubectl(['auth', 'whoami', '-o', 'json', '--as=system:serviceaccount:web:builder'])) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.deepEqual(sa.status.userInfo, { username: 'system:serviceaccount:web:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated'] });
    const refused = await as(DEV_TOKEN, ['get', 'cm', '-n', 'web', '--as=kubernetes-admin']);
    assert.match(refused.stderr, /users "kubernetes-admin" is forbidden: User "dev" cannot impersonate resource "users" in API group "" at the cluster scope/);
    const review = (user: string, groups: string[], namespace: string) => JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: { user, groups, resourceAttributes: { namespace, verb: 'create', resource: 'configmaps' } } });
    const yes = JSON.parse(await s.kubectl(['create', '-o', 'json', '-f', '-'], review('dev', ['devs'], 'web'))) as { status: { allowed: boolean; reason: string } };
    assert.deepEqual(yes.status, { allowed: true, reason: 'RBAC: allowed by RoleBinding "devs-cm/web" of Role "cm-editor" to Group "devs"' });
    const no = JSON.parse(await s.kubectl(['create', '-o', 'json', '-f', '-'], review('dev', ['devs'], 'default'))) as { status: { allowed: boolean } };
    assert.deepEqual(no.status, { allowed: false });
  });

  it('aggregates a labelled ClusterRole into view, and view grants it once bound', async () => {
    await s.kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'lease-reader', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] }] }));
    await until('view to aggregate lease-reader', async () => {
      const view = JSON.parse(await s.kubectl(['get', 'clusterrole', 'view', '-o', 'json'])) as { rules: { resources?: string[] }[] };
      return view.rules.some((x) => x.resources?.includes('leases')) || undefined;
    }, 10_000);
    assert.match((await s.kubectl(['get', 'clusterrole', 'admin', '-o', 'json'])), /"leases"/, 'through edit, into admin');
    await s.kubectl(['create', 'rolebinding', 'devs-view', '-n', 'web', '--clusterrole=view', '--group=devs']);
    await until('the view binding to reach the authorizer', async () => (await as(DEV_TOKEN, ['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', 'web'])).stdout.trim() === 'yes' || undefined, 10_000);
    assert.equal((await as(DEV_TOKEN, ['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', 'default'])).stdout.trim(), 'no');
    await s.kubectl(['delete', 'rolebinding', 'devs-view', '-n', 'web']);
    await until('the deleted binding to leave the authorizer', async () => (await as(DEV_TOKEN, ['auth', 'can-i', 'list', 'leases.coordination.k8s.io', '-n', 'web'])).stdout.trim() === 'no' || undefined, 10_000);
  });
});
