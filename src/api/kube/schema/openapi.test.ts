import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from './schemas.ts';
import { KINDS } from './kinds.ts';
import { contentHash } from './openapi.ts';

const schemas = new BerthKubeSchemas();
const ALL = KINDS.map(({ group, version, kind }) => ({ group, version, kind }));
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('v2 has the paths of served kinds only, each operation with its action and group-version-kind', () => {
  const doc = schemas.openapiV2([CM]) as Doc;
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(Object.keys(doc.paths), ['/api/v1/configmaps', '/api/v1/namespaces/{namespace}/configmaps', '/api/v1/namespaces/{namespace}/configmaps/{name}']);
  const item = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'];
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.equal(item.patch['x-kubernetes-action'], 'patch');
  assert.equal(item.patch.operationId, 'patchCoreV1NamespacedConfigMap');
  assert.deepEqual(item.get['x-kubernetes-group-version-kind'], { group: '', kind: 'ConfigMap', version: 'v1' });
  assert.ok(item.patch.consumes.includes('application/apply-patch+yaml'));
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/configmaps'].get['x-kubernetes-action'], 'list');
  assert.ok(doc.definitions['io.k8s.api.core.v1.ConfigMap']);
  assert.ok(doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.equal(doc.definitions['io.k8s.api.core.v1.PodSpec'], undefined, 'nothing a served kind does not reach');
});

test('v2 definitions keep the patch and list extensions and the group-version-kind', () => {
  const defs = (schemas.openapiV2([DEPLOYMENT]) as Doc).definitions;
  const containers = defs['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-list-type'], 'map');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  assert.equal(defs['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.deepEqual(defs['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
});

test('scale and status subresources have their paths; scale answers autoscaling/v1 Scale', () => {
  const paths = (schemas.openapiV2([DEPLOYMENT]) as Doc).paths;
  const scale = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.equal(scale.get.operationId, 'readAppsV1NamespacedDeploymentScale');
  assert.ok(paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status']);
});

test('v3 index lists each served group-version with a content hash of its document', () => {
  const index = schemas.openapiV3Index(ALL) as Doc;
  assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/events.k8s.io/v1', 'apis/rbac.authorization.k8s.io/v1']);
  const doc = schemas.openapiV3('apis/apps/v1', ALL) as object;
  assert.equal(index.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${contentHash(doc)}`);
  assert.match(index.paths['api/v1'].serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
});

test('a v3 document has the group-version paths, request bodies, and refs to components wrapped in allOf', () => {
  const doc = schemas.openapiV3('apis/apps/v1', ALL) as Doc;
  assert.equal(doc.openapi, '3.0.0');
  assert.ok(Object.keys(doc.paths).every((p) => p.startsWith('/apis/apps/v1/')));
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.requestBody.content['application/strategic-merge-patch+json']);
  assert.equal(patch.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.apps.v1.Deployment');
  const spec = doc.components.schemas['io.k8s.api.apps.v1.Deployment'].properties.spec;
  assert.deepEqual(spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
  assert.equal(typeof spec.description, 'string');
  assert.equal(schemas.openapiV3('apis/apps/v2', ALL), undefined);
  assert.equal(schemas.openapiV3('apis/apps/v1', [CM]), undefined, 'nothing served there');
});

test('documents are built once per served list', () => {
  assert.equal(schemas.openapiV2(ALL), schemas.openapiV2([...ALL].reverse()));
  assert.equal(schemas.openapiV3('api/v1', ALL), schemas.openapiV3('api/v1', ALL));
});

test('a review kind is only created: one POST path, no list', () => {
  const doc = schemas.openapiV2([{ group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview' }]) as Doc;
  assert.deepEqual(Object.keys(doc.paths), ['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews']);
  assert.deepEqual(Object.keys(doc.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews']).sort(), ['parameters', 'post']);
  assert.ok(schemas.knows({ group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview' }));
});
