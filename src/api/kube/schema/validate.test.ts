import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthKubeSchemas } from './schemas.ts';
import { duplicateFieldPaths, fieldWarnings, MAX_REPORTED_FIELDS, strictDecodingMessage } from './validate.ts';
import { KubeSchemaError } from '../contract.ts';

const schemas = new BerthKubeSchemas();
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

test('a valid object has no unknown fields', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', labels: { a: 'b' }, annotations: { 'x/y': 'z' } }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, strategy: { rollingUpdate: { maxSurge: '25%' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] } } }, status: {} };
  assert.deepEqual(schemas.unknownFields(DEPLOYMENT, dep), []);
});

test('unknown fields are named by their path, list items by index, as the API server writes them', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', bogus: 1 }, spec: { replica: 3, template: { spec: { containers: [{ name: 'c', image: 'i' }, { name: 'd', imagee: 'x' }], initContainers: [{ name: 'i', image: 'i', restartPolicyy: 'Always' }] } } } };
  assert.deepEqual(schemas.unknownFields(DEPLOYMENT, dep), [
    'metadata.bogus', 'spec.replica', 'spec.template.spec.containers[1].imagee', 'spec.template.spec.initContainers[0].restartPolicyy',
  ]);
});

test('the strict decoding message and the warnings are the API server words', () => {
  assert.equal(strictDecodingMessage(DEPLOYMENT, ['spec.foo', 'spec.bar']),
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"');
  assert.deepEqual(fieldWarnings(['spec.foo'], ['metadata.name']), ['duplicate field "metadata.name"', 'unknown field "spec.foo"']);
});

test('duplicate keys of a JSON text are found with their paths', () => {
  const text = '{"metadata":{"name":"a","name":"b"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x","image":"y"}]}}},"spec":{}}';
  assert.deepEqual(duplicateFieldPaths(text), ['metadata.name', 'spec.template.spec.containers[0].image', 'spec']);
  assert.deepEqual(duplicateFieldPaths('{"a":"x\\"y","b":[1,2,{"c":true}],"d":null}'), []);
});

test('a document of junk reports at most the cap of fields', () => {
  const junk = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
  assert.equal(schemas.unknownFields(DEPLOYMENT, junk).length, MAX_REPORTED_FIELDS);
});

test('a kind without a schema is refused', () => {
  assert.equal(schemas.knows({ group: 'apps', version: 'v1', kind: 'StatefulSet' }), false);
  assert.equal(schemas.knows(DEPLOYMENT), true);
  assert.throws(() => schemas.unknownFields({ group: 'apps', version: 'v1', kind: 'StatefulSet' }, {}), KubeSchemaError);
});
