/**
 * The Kubernetes API server end to end with real clients: kubectl 1.32 and
 * @kubernetes/client-node, against one cluster's server (its own CA, a fixed-token
 * Authenticate, the schemas double until the kubeschema part lands).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { ADMIN_TOKEN, VIEWER_TOKEN, kubeconfigFor, startKubeTestServer, type KubeTestServer } from './support/kube.ts';

const configMap = (name: string, data: Record<string, string>, extra = ''): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  labels: {app: web}${extra}
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;

let s: KubeTestServer;

/** Polls `f` every 100 ms until it holds, or fails after `timeoutMs`. */
async function until(f: () => boolean | Promise<boolean>, { timeoutMs }: { timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  s = await startKubeTestServer();
  await until(async () => (await s.kubectlResult(['get', 'sa', 'default', '-n', 'default'])).code === 0, { timeoutMs: 10_000 });
});
after(async () => {
  await s.close();
});

async function fetchJson(path: string, token?: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  return httpsRequest(path, token, init);
}

/** A request with node:https (the test's CA), so status codes and bodies are seen as sent. */
async function httpsRequest(path: string, token: string | undefined, init: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const { request } = await import('node:https');
  const url = new URL(path, s.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', ca: s.ca, headers: { ...(token && { Authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body, headers });
      });
    });
    req.on('error', reject);
    req.end(init.body as string | undefined);
  });
}

describe('the server', () => {
  it('answers /version as EKS does, health checks to anyone, and 401 for a bad token', async () => {
    const v = await fetchJson('/version');
    assert.equal(v.status, 200);
    assert.match(String(v.body.gitVersion), /^v1\.32\.\d+-eks-/);
    const ready = await httpsRequest('/readyz?verbose', undefined, {});
    assert.match(String(ready.body.text), /readyz check passed/);
    const bad = await fetchJson('/api/v1/namespaces', 'forged');
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const none = await fetchJson('/api/v1/namespaces');
    assert.equal(none.status, 401);
  });

  it('refuses a user outside system:masters with the API server message, but lets it discover', async () => {
    const r = await fetchJson('/api/v1/namespaces/default/configmaps', VIEWER_TOKEN);
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'configmaps is forbidden: User "viewer" cannot list resource "configmaps" in API group "" in the namespace "default"');
    assert.equal(r.body.reason, 'Forbidden');
    assert.equal((await fetchJson('/api/v1', VIEWER_TOKEN)).status, 200);
  });

  it('serves aggregated discovery when asked for it', async () => {
    const r = await fetchJson('/apis', ADMIN_TOKEN, { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    assert.equal(r.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const items = r.body.items as { metadata: { name: string }; versions: { resources: { resource: string; scope: string }[] }[] }[];
    const coordination = items.find((g) => g.metadata.name === 'coordination.k8s.io');
    assert.deepEqual(coordination?.versions[0]?.resources.map((x) => [x.resource, x.scope]), [['leases', 'Namespaced']]);
  });
});

describe('kubectl', () => {
  it('lists api-resources and api-versions from discovery', async () => {
    const resources = await s.kubectl(['api-resources', '--no-headers']);
    assert.match(resources, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    assert.match(resources, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^services\s+svc\s+v1\s+true\s+Service$/m);
    assert.deepEqual((await s.kubectl(['api-versions'])).trim().split('\n'), ['apps/v1', 'authentication.k8s.io/v1', 'authorization.k8s.io/v1', 'batch/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'events.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'v1']);
  });

  it('answers auth can-i and auth whoami from the authorizer and the token\'s user, for any user', async () => {
    assert.equal((await s.kubectl(['auth', 'can-i', 'delete', 'namespaces'])).trim(), 'yes');
    assert.match(await s.kubectl(['auth', 'whoami']), /Username\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]/);
    const viewer = `${s.kubeconfig}.viewer`;
    writeFileSync(viewer, kubeconfigFor(s.url, s.ca, VIEWER_TOKEN));
    const run = (args: string[]) => s.kubectlResult(['--kubeconfig', viewer, ...args]);
    assert.match((await run(['auth', 'can-i', 'get', 'configmaps'])).stdout, /^no/);
    assert.match((await run(['auth', 'whoami'])).stdout, /Username\s+viewer/);
    assert.match((await run(['get', 'cm'])).stderr, /Error from server \(Forbidden\): configmaps is forbidden: User "viewer" cannot list resource "configmaps" in API group "" in the namespace "default"/);
  });

  it('explains a kind from the OpenAPI v3 document the cluster schemas give', async () => {
    const out = await s.kubectl(['explain', 'configmap']);
    assert.match(out, /KIND:\s+ConfigMap\nVERSION:\s+v1/);
    assert.match(out, /ConfigMap \(Berth test schema\)\./);
    assert.match(out, /^ {2}data\s+<Object>$/m);
  });

  it('shows the bootstrap namespaces and their default service accounts', async () => {
    const ns = await s.kubectl(['get', 'ns', '--no-headers', '-o', 'custom-columns=N:.metadata.name,P:.status.phase']);
    assert.deepEqual(ns.trim().split('\n').map((l) => l.split(/\s+/)), [['default', 'Active'], ['kube-node-lease', 'Active'], ['kube-public', 'Active'], ['kube-system', 'Active']]);
    await until(async () => (await s.kubectl(['get', 'sa', '-A', '--no-headers'])).trim().split('\n').length === 4, { timeoutMs: 10_000 });
  });

  it('creates, gets (yaml, json, wide), applies, labels, annotates and patches a ConfigMap', async () => {
    assert.equal((await s.kubectl(['create', '-f', '-'], configMap('web', { a: '1' }))).trim(), 'configmap/web created');
    const wide = await s.kubectl(['get', 'cm', 'web', '-o', 'wide']);
    assert.match(wide, /^NAME\s+DATA\s+AGE\nweb\s+1\s+\d+s\n$/);
    const yaml = await s.kubectl(['get', 'cm', 'web', '-o', 'yaml']);
    assert.match(yaml, /^ {2}a: "1"$/m);
    assert.match(yaml, /^ {2}uid: [0-9a-f-]{36}$/m);
    assert.match(await s.kubectl(['apply', '-f', '-'], configMap('web', { a: '2' })), /configmap\/web configured/);
    await s.kubectl(['label', 'cm', 'web', 'tier=front']);
    await s.kubectl(['annotate', 'cm', 'web', 'note=hi']);
    await s.kubectl(['patch', 'cm', 'web', '--type=json', '-p', '[{"op":"add","path":"/data/b","value":"x"}]']);
    await s.kubectl(['patch', 'cm', 'web', '--type=merge', '-p', '{"data":{"c":"y"}}']);
    await s.kubectl(['patch', 'cm', 'web', '--type=strategic', '-p', '{"data":{"d":"z"}}']);
    const o = JSON.parse(await s.kubectl(['get', 'cm', 'web', '-o', 'json'])) as { data: Record<string, string>; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    assert.deepEqual(o.data, { a: '2', b: 'x', c: 'y', d: 'z' });
    assert.deepEqual(o.metadata.labels, { app: 'web', tier: 'front' });
    assert.equal(o.metadata.annotations.note, 'hi');
    assert.match(await s.kubectl(['get', 'cm', '-l', 'tier in (front),app', '-o', 'name']), /^configmap\/web$/m);
    assert.equal((await s.kubectl(['get', 'cm', '-l', 'tier!=front', '-o', 'name'])).includes('configmap/web'), false);
    assert.match(await s.kubectl(['get', 'cm', '--field-selector', 'metadata.name=web', '-o', 'name']), /^configmap\/web$/m);
  });

  it('applies server-side through the cluster schemas, recording the manager in managedFields', async () => {
    assert.match(await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('ssa', { a: '1' })), /configmap\/ssa serverside-applied/);
    await s.kubectl(['apply', '--server-side', '-f', '-'], configMap('ssa', { a: '2' }));
    const o = JSON.parse(await s.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields'])) as { data: Record<string, string>; metadata: { managedFields: { manager: string; operation: string }[] } };
    assert.deepEqual(o.data, { a: '2' });
    assert.deepEqual(o.metadata.managedFields.map((m) => [m.manager, m.operation]), [['kubectl', 'Apply']]);
  });

  it('creates with the imperative commands, whose bodies are protobuf', async () => {
    await s.kubectl(['create', 'ns', 'imperative']);
    await s.kubectl(['create', 'configmap', 'c1', '-n', 'imperative', '--from-literal=a=b']);
    await s.kubectl(['create', 'secret', 'generic', 's1', '-n', 'imperative', '--from-literal=p=hunter2']);
    await s.kubectl(['create', 'serviceaccount', 'bot', '-n', 'imperative']);
    const cm = JSON.parse(await s.kubectl(['get', 'cm', 'c1', '-n', 'imperative', '-o', 'json'])) as { data: object; metadata: Record<string, unknown> };
    assert.deepEqual(cm.data, { a: 'b' });
    assert.equal(cm.metadata.generateName, undefined);
    assert.match(await s.kubectl(['get', 'secret', 's1', '-n', 'imperative', '--no-headers']), /^s1\s+Opaque\s+1\s+/);
    assert.equal(Buffer.from((await s.kubectl(['get', 'secret', 's1', '-n', 'imperative', '-o', 'jsonpath={.data.p}'])).trim(), 'base64').toString(), 'hunter2');
    assert.match(await s.kubectl(['get', 'sa', 'bot', '-n', 'imperative', '-o', 'name']), /^serviceaccount\/bot$/m);
  });

  it('answers a stale update with 409 Conflict and the server message', async () => {
    await s.kubectl(['create', '-f', '-'], configMap('stale', { a: '1' }));
    const old = JSON.parse(await s.kubectl(['get', 'cm', 'stale', '-o', 'json'])) as { data: Record<string, string> };
    await s.kubectl(['patch', 'cm', 'stale', '--type=merge', '-p', '{"data":{"a":"2"}}']);
    old.data.a = '3';
    const r = await s.kubectlResult(['replace', '-f', '-'], JSON.stringify(old));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again/);
    assert.equal(JSON.parse(await s.kubectl(['get', 'cm', 'stale', '-o', 'json'])).data.a, '2');
  });

  it('validates strictly: an unknown field is refused and nothing is stored; a bad name is 422', async () => {
    const r = await s.kubectlResult(['create', '--validate=strict', '-f', '-'], `${configMap('strict', { a: '1' })}foo: 1\n`);
    assert.match(r.stderr, /Error from server \(BadRequest\): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "foo"/);
    assert.equal((await s.kubectlResult(['get', 'cm', 'strict'])).code, 1);
    const bad = await s.kubectlResult(['create', '-f', '-'], configMap('Bad_Name', { a: '1' }));
    assert.match(bad.stderr, /The ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
  });

  it('diffs a manifest against the live object through a server dry-run, changing nothing', async () => {
    await s.kubectl(['apply', '-f', '-'], configMap('diffed', { a: '1' }));
    const r = await s.kubectlResult(['diff', '-f', '-'], configMap('diffed', { a: '2' }));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^-  a: "1"$/m);
    assert.match(r.stdout, /^\+  a: "2"$/m);
    assert.equal((await s.kubectl(['get', 'cm', 'diffed', '-o', 'jsonpath={.data.a}'])).trim(), '1');
  });

  it('runs --dry-run=server without storing anything', async () => {
    assert.equal((await s.kubectl(['create', '-f', '-', '--dry-run=server', '-o', 'name'], configMap('dry', { a: '1' }))).trim(), 'configmap/dry');
    const r = await s.kubectlResult(['get', 'cm', 'dry']);
    assert.match(r.stderr, /Error from server \(NotFound\): configmaps "dry" not found/);
  });

  it('get -w shows a write made while it watches', async () => {
    await s.kubectl(['create', '-f', '-'], configMap('watched', { a: '1' }));
    const child = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'get', 'cm', 'watched', '-w', '--no-headers', '-o', 'custom-columns=N:.metadata.name,A:.data.a'], { env: { ...process.env, HOME: s.dir } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await until(() => out.includes('watched'), { timeoutMs: 15_000 });
      await s.kubectl(['patch', 'cm', 'watched', '--type=merge', '-p', '{"data":{"a":"changed"}}']);
      await until(() => /watched\s+changed/.test(out), { timeoutMs: 15_000 });
    } finally {
      child.kill();
    }
  });

  it('deletes, and a deleted owner takes its dependents with it (garbage collection)', async () => {
    await s.kubectl(['create', '-f', '-'], configMap('owner', { a: '1' }));
    const uid = (await s.kubectl(['get', 'cm', 'owner', '-o', 'jsonpath={.metadata.uid}'])).trim();
    await s.kubectl(['create', '-f', '-'], configMap('dependent', { a: '1' }, `\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: ${uid}}]`));
    assert.equal((await s.kubectl(['delete', 'cm', 'owner'])).trim(), 'configmap "owner" deleted');
    await until(async () => (await s.kubectlResult(['get', 'cm', 'dependent'])).code !== 0, { timeoutMs: 10_000 });
  });

  it('orphans dependents with --cascade=orphan and deletes them first with --cascade=foreground', async () => {
    const owned = async (owner: string, dependent: string): Promise<void> => {
      await s.kubectl(['create', '-f', '-'], configMap(owner, { a: '1' }));
      const uid = (await s.kubectl(['get', 'cm', owner, '-o', 'jsonpath={.metadata.uid}'])).trim();
      await s.kubectl(['create', '-f', '-'], configMap(dependent, { a: '1' }, `\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: ${owner}, uid: ${uid}}]`));
    };
    await owned('o-orphan', 'd-orphan');
    await s.kubectl(['delete', 'cm', 'o-orphan', '--cascade=orphan']);
    assert.equal((await s.kubectlResult(['get', 'cm', 'o-orphan'])).code, 1);
    assert.equal((await s.kubectl(['get', 'cm', 'd-orphan', '-o', 'jsonpath={.metadata.ownerReferences}'])).trim(), '');
    await owned('o-fg', 'd-fg');
    await s.kubectl(['delete', 'cm', 'o-fg', '--cascade=foreground']);
    assert.equal((await s.kubectlResult(['get', 'cm', 'o-fg'])).code, 1);
    assert.equal((await s.kubectlResult(['get', 'cm', 'd-fg'])).code, 1);
  });

  it('keeps Deployments without a pods kind served: the workload controllers idle, nothing fails', async () => {
    await s.kubectl(['create', 'deployment', 'idle', '--image=nginx:1.27']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await s.kubectl(['get', 'replicasets', '-o', 'name'])).trim(), '', 'no ReplicaSet without pods to run');
    assert.match(await s.kubectl(['get', 'deployment', 'idle']), /idle\s+0\/1\s+0\s+0\s/);
    await s.kubectl(['delete', 'deployment', 'idle']);
  });

  it('refuses to delete the default namespace', async () => {
    const r = await s.kubectlResult(['delete', 'ns', 'default']);
    assert.match(r.stderr, /Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted/);
  });

  it('deletes a namespace with its objects (Terminating, then gone) and refuses new objects in it meanwhile', async () => {
    await s.kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n');
    await s.kubectl(['create', '-n', 'team', '-f', '-'], configMap('held', { a: '1' }, '\n  finalizers: [example.com/hold]'));
    await s.kubectl(['delete', 'ns', 'team', '--wait=false']);
    assert.match(await s.kubectl(['get', 'ns', 'team', '--no-headers']), /^team\s+Terminating/);
    const refused = await s.kubectlResult(['create', '-n', 'team', '-f', '-'], configMap('late', { a: '1' }));
    assert.match(refused.stderr, /configmaps "late" is forbidden: unable to create new content in namespace team because it is being terminated/);
    await s.kubectl(['patch', '-n', 'team', 'cm', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await until(async () => (await s.kubectlResult(['get', 'ns', 'team'])).code !== 0, { timeoutMs: 10_000 });
    const missing = await s.kubectlResult(['create', '-n', 'team', '-f', '-'], configMap('late', { a: '1' }));
    assert.match(missing.stderr, /namespaces "team" not found/);
  });
});

describe('@kubernetes/client-node', () => {
  const config = (): k8s.KubeConfig => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfigFor(s.url, s.ca, ADMIN_TOKEN));
    return kc;
  };

  it('lists with paging, and an informer sees an add, an update and a delete', async () => {
    const kc = config();
    const api = kc.makeApiClient(k8s.CoreV1Api);
    // Every namespace holds the controllers' kube-root-ca.crt beside what the test makes.
    await until(async () => (await api.listNamespacedConfigMap({ namespace: 'kube-public' })).items.some((i) => i.metadata?.name === 'kube-root-ca.crt'), { timeoutMs: 10_000 });
    for (const n of ['p1', 'p2', 'p3']) await api.createNamespacedConfigMap({ namespace: 'kube-public', body: { metadata: { name: n }, data: { n } } });
    const first = await api.listNamespacedConfigMap({ namespace: 'kube-public', limit: 2 });
    assert.deepEqual(first.items.map((i) => i.metadata?.name), ['kube-root-ca.crt', 'p1']);
    assert.ok(first.metadata?._continue);
    const second = await api.listNamespacedConfigMap({ namespace: 'kube-public', limit: 2, _continue: first.metadata._continue });
    assert.deepEqual(second.items.map((i) => i.metadata?.name), ['p2', 'p3']);
    assert.equal(second.metadata?._continue, undefined);

    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/kube-system/configmaps', () => api.listNamespacedConfigMap({ namespace: 'kube-system' }));
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${(o as k8s.V1ConfigMap).data?.v}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await api.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await until(() => seen.includes('add inf'), { timeoutMs: 10_000 });
      await api.patchNamespacedConfigMap({ namespace: 'kube-system', name: 'inf', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await until(() => seen.includes('update inf 2'), { timeoutMs: 10_000 });
      await api.deleteNamespacedConfigMap({ namespace: 'kube-system', name: 'inf' });
      await until(() => seen.includes('delete inf'), { timeoutMs: 10_000 });
    } finally {
      await informer.stop();
    }
  });

  it('watches from a list\'s resourceVersion: ADDED, then DELETED with the object', async () => {
    const kc = config();
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const list = await api.listNamespacedConfigMap({ namespace: 'kube-node-lease' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/kube-node-lease/configmaps', { resourceVersion: list.metadata?.resourceVersion }, (type, o: k8s.V1ConfigMap) => events.push(`${type} ${o.metadata?.name}`), () => undefined);
    try {
      await api.createNamespacedConfigMap({ namespace: 'kube-node-lease', body: { metadata: { name: 'w1' } } });
      await api.deleteNamespacedConfigMap({ namespace: 'kube-node-lease', name: 'w1' });
      await until(() => events.length >= 2, { timeoutMs: 10_000 });
      assert.deepEqual(events, ['ADDED w1', 'DELETED w1']);
    } finally {
      req.abort();
    }
  });
});
