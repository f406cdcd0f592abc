// kubectl 1.32 (on PATH) against the schemas, through a tiny HTTPS server of the tests' own
// (kubectl-harness.ts): explain reads the OpenAPI v3 documents, client-side apply computes its
// strategic merge patches from them, server-side apply meets managedFields and conflicts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './kubectl-harness.ts';
import type { Harness } from './kubectl-harness.ts';
import { BerthKubeSchemas } from './schemas.ts';

let h: Harness;
before(async () => { h = await startHarness(new BerthKubeSchemas()); });
after(async () => { await h?.close(); });

const deployment = (image: string, more = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
${more}`;

test('kubectl explain configmap.data reads the v3 document of core/v1', async () => {
  const r = await h.kubectl(['explain', 'configmap.data']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /KIND:\s+ConfigMap/);
  assert.match(r.stdout, /FIELD: data <map\[string\]string>/);
  assert.match(r.stdout, /Data contains the configuration data/);
  assert.ok(h.requests.some((q) => /^GET \/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}/.test(q)), 'fetched by its content hash');
});

test('kubectl explain deployment.spec.strategy reads apps/v1 with its fields and enum', async () => {
  const r = await h.kubectl(['explain', 'deployment.spec.strategy']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /GROUP:\s+apps/);
  assert.match(r.stdout, /FIELD: strategy <DeploymentStrategy>/);
  assert.match(r.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);
  assert.match(r.stdout, /enum: Recreate, RollingUpdate/);
});

test('kubectl explain names int-or-string and quantity fields by their types', async () => {
  const port = await h.kubectl(['explain', 'service.spec.ports.targetPort']);
  assert.equal(port.status, 0, port.stderr);
  assert.match(port.stdout, /FIELD: targetPort <IntOrString>/);
  const limits = await h.kubectl(['explain', 'pod.spec.containers.resources.limits']);
  assert.match(limits.stdout, /FIELD: limits <map\[string\]Quantity>/);
});

test('kubectl apply twice: the second apply is a strategic merge patch kubectl computed from the schema', async () => {
  const first = await h.kubectl(['apply', '-f', '-'], deployment('nginx:1', '      - name: side\n        image: busybox\n'));
  assert.equal(first.status, 0, first.stderr);
  const second = await h.kubectl(['apply', '-f', '-'], deployment('nginx:2').replace('rollingUpdate: {maxSurge: 1}', '').replace('type: RollingUpdate', 'type: Recreate'));
  assert.equal(second.status, 0, second.stderr);
  assert.ok(h.requests.some((q) => q.startsWith('PATCH /apis/apps/v1/namespaces/default/deployments/web') && q.endsWith('application/strategic-merge-patch+json')));
  const live = h.objects.get('deployments/default/web') as { spec: { strategy: object; template: { spec: { containers: { name: string; image: string }[] } } } };
  assert.deepEqual(live.spec.template.spec.containers.map((c) => [c.name, c.image]), [['web', 'nginx:2']], 'the dropped container is gone, the image changed');
  assert.deepEqual(live.spec.strategy, { type: 'Recreate' }, 'retainKeys dropped rollingUpdate');
});

test('kubectl diff shows the change a server-side dry run of the strategic merge patch makes', async () => {
  const r = await h.kubectl(['diff', '-f', '-'], deployment('nginx:3').replace('rollingUpdate: {maxSurge: 1}', '').replace('type: RollingUpdate', 'type: Recreate'));
  assert.equal(r.status, 1, `kubectl diff exits 1 when there is a difference: ${r.stderr}`);
  assert.match(r.stdout, /^-\s+- image: nginx:2$/m);
  assert.match(r.stdout, /^\+\s+- image: nginx:3$/m);
  assert.ok(h.requests.some((q) => q.startsWith('PATCH /apis/apps/v1/namespaces/default/deployments/web?dryRun=All')));
  const live = h.objects.get('deployments/default/web') as { spec: { template: { spec: { containers: { image: string }[] } } } };
  assert.equal(live.spec.template.spec.containers[0]?.image, 'nginx:2', 'a dry run stores nothing');
});

test('kubectl apply of an unknown field fails with the strict decoding error', async () => {
  const r = await h.kubectl(['apply', '--validate=strict', '-f', '-'], deployment('nginx:2').replace('replicas: 3', 'replicas: 3\n  replica: 1'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"/);
});

test('kubectl apply --server-side: created, then another manager conflicts, then --force-conflicts takes the field', async () => {
  const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "${value}", b: "x"}\n`;
  const created = await h.kubectl(['apply', '--server-side', '-f', '-'], cm('1'));
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /configmap\/c serverside-applied/);
  const conflict = await h.kubectl(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], cm('2'));
  assert.notEqual(conflict.status, 0);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl" using v1: \.data\.a/);
  const dry = await h.kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager', 'other', '--force-conflicts', '-o', 'json', '-f', '-'], cm('2'));
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal((JSON.parse(dry.stdout) as { data: { a: string } }).data.a, '2');
  assert.equal((h.objects.get('configmaps/default/c') as { data: { a: string } }).data.a, '1', 'dry run changed nothing');
  const forced = await h.kubectl(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'], cm('2'));
  assert.equal(forced.status, 0, forced.stderr);
  const live = h.objects.get('configmaps/default/c') as { metadata: { managedFields: { manager: string; fieldsV1: object }[] } };
  assert.deepEqual(Object.fromEntries(live.metadata.managedFields.map((e) => [e.manager, e.fieldsV1])), {
    kubectl: { 'f:data': { 'f:b': {} } },
    other: { 'f:data': { 'f:a': {}, 'f:b': {} } },
  });
});

test('kubectl apply --server-side of a Deployment: managedFields name a port by its key with the default protocol', async () => {
  const applied = await h.kubectl(['apply', '--server-side', '-f', '-'], deployment('nginx:1').replace('name: web\nspec', 'name: api\nspec'));
  assert.equal(applied.status, 0, applied.stderr);
  const got = await h.kubectl(['get', 'deployment', 'api', '-o', 'json', '--show-managed-fields']);
  assert.equal(got.status, 0, got.stderr);
  const obj = JSON.parse(got.stdout) as { metadata: { managedFields: { manager: string; operation: string; fieldsV1: Record<string, any> }[] } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const [entry] = obj.metadata.managedFields;
  assert.equal(entry?.manager, 'kubectl');
  assert.equal(entry?.operation, 'Apply');
  const web = entry?.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'];
  assert.deepEqual(web['f:ports'], { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } });
  assert.deepEqual(entry?.fieldsV1['f:spec']['f:strategy'], { 'f:rollingUpdate': { 'f:maxSurge': {} }, 'f:type': {} });
});
