// kubectl 1.32 against a cluster's API server with Berth's real schemas (src/api/kube/schema):
// client-side apply, then server-side apply taking its fields over (kubectl's move of
// managedFields), a conflict between two managers and --force-conflicts, strategic merge by
// key, `kubectl explain`, and strict validation of a nested unknown field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from '../src/api/kube/schema/schemas.ts';
import { startKubeTestServer, type KubeTestServer } from './support/kube.ts';

let k: KubeTestServer;
before(async () => { k = await startKubeTestServer({ schemas: new BerthKubeSchemas() }); });
after(async () => { await k?.close(); });

const cm = (greeting: string, extra = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  greeting: ${greeting}
${extra}`;

const managers = async (name: string) => {
  const o = JSON.parse(await k.kubectl(['get', 'configmap', name, '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string }[] } };
  return o.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`).sort();
};

test('client-side apply, then server-side apply takes its fields over without a warning', async () => {
  await k.kubectl(['apply', '-f', '-'], cm('hello'));
  assert.deepEqual(await managers('web'), ['kubectl-client-side-apply/Update']);
  const r = await k.kubectlResult(['apply', '--server-side', '-f', '-'], cm('bonjour'));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /rejected managed fields migration/);
  assert.deepEqual(await managers('web'), ['kubectl-last-applied/Apply', 'kubectl/Apply']);
  assert.equal(await k.kubectl(['get', 'configmap', 'web', '-o', 'jsonpath={.data.greeting}']), 'bonjour');
});

test('another manager applying the same field conflicts as the server words it, and --force-conflicts takes it', async () => {
  const r = await k.kubectlResult(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], cm('hola'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl" using v1: \.data\.greeting/);
  assert.equal(await k.kubectl(['get', 'configmap', 'web', '-o', 'jsonpath={.data.greeting}']), 'bonjour', 'nothing changed');
  await k.kubectl(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'], cm('hola'));
  assert.equal(await k.kubectl(['get', 'configmap', 'web', '-o', 'jsonpath={.data.greeting}']), 'hola');
});

test('explain reads the served OpenAPI, and strict validation names a nested unknown field', async () => {
  const explain = await k.kubectl(['explain', 'configmap.data']);
  assert.match(explain, /FIELD: data <map\[string\]string>/);
  const r = await k.kubectlResult(['apply', '-f', '-'], `apiVersion: v1
kind: Secret
metadata:
  name: s
  labelz: {a: b}
stringData: {k: v}
`);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown field "metadata\.labelz"/);
});

test('a List of a Service and an EndpointSlice applies: kubectl validates it on the client from /openapi/v2 in protobuf', async () => {
  const list = (extra: Record<string, unknown>) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'listed' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'listed-1', labels: { 'kubernetes.io/service-name': 'listed' } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['10.1.2.3'], conditions: { ready: true } }], ...extra },
  ] });
  // An unknown field is found by the schema kubectl decoded from the server's protobuf document, and nothing is written.
  const bad = await k.kubectlResult(['apply', '-f', '-'], list({ bogus: 1 }));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ValidationError\(EndpointSlice\): unknown field "bogus" in io\.k8s\.api\.discovery\.v1\.EndpointSlice/);
  assert.equal((await k.kubectlResult(['get', 'service', 'listed'])).code, 1);
  const r = await k.kubectlResult(['apply', '-f', '-'], list({}));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'service/listed created\nendpointslice.discovery.k8s.io/listed-1 created\n');
  assert.equal(await k.kubectl(['get', 'endpointslice', 'listed-1', '-o', 'jsonpath={.endpoints[0].addresses[0]}']), '10.1.2.3');
});
