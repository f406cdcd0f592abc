import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerEnv, expand, type Lookups, type PodFields } from './env.ts';
import type { Container } from './types.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const lookups: Lookups = {
  configMap: (n) => (n === 'cfg' ? { data: { MODE: 'fast', 'bad=key': 'x', '1st': 'y', PORT: '80' } } : undefined),
  secret: (n) => (n === 'db' ? { data: { PASSWORD: b64('s3cret') } } : undefined),
};
const pod: PodFields = { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: {}, serviceAccountName: 'default' };
const placed = { nodeName: 'i-0abc', hostIP: '10.0.0.5', podIP: '10.0.1.7', allocatable: { cpu: '2', memory: '4Gi' } };

test('$(VAR) expands from what is defined before it; $$ is a literal $; unknown references stay', () => {
  const vars = new Map([['A', 'x'], ['B', 'y']]);
  assert.equal(expand('$(A)-$(B)', vars), 'x-y');
  assert.equal(expand('$$(A)', vars), '$(A)');
  assert.equal(expand('$(C) $(A', vars), '$(C) $(A');
  assert.equal(expand('cost $5 $()', vars), 'cost $5 $()');
});

test('envFrom then env, valueFrom read from ConfigMaps, Secrets and the pod; invalid keys skipped', () => {
  const c: Container = {
    name: 'app', image: 'x',
    envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'db' } }],
    env: [
      { name: 'URL', value: 'http://$(POD):$(PORT)/$(MISSING)' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'PASSWORD' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ],
    resources: { limits: { memory: '256Mi' } },
  };
  const r = containerEnv(c, [c], pod, lookups, placed);
  assert.deepEqual(r.env, [
    { name: 'MODE', value: 'fast' }, { name: '1st', value: 'y' }, { name: 'PORT', value: '80' }, { name: 'S_PASSWORD', value: 's3cret' },
    { name: 'URL', value: 'http://$(POD):80/$(MISSING)' }, { name: 'POD', value: 'web-1' }, { name: 'APP', value: 'web' },
    { name: 'PW', value: 's3cret' }, { name: 'MEM', value: '256' }, { name: 'NODE', value: 'i-0abc' },
  ]);
  assert.deepEqual([r.unresolved, r.needsPlacement], [[], false]);
});

test('placement-only fields wait for the placement; missing objects and keys are the kubelet config errors, optional ones skipped', () => {
  const c: Container = {
    name: 'app', image: 'x',
    env: [
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } },
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } },
      { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
    ],
  };
  const r = containerEnv(c, [c], pod, lookups, undefined);
  assert.deepEqual(r.env, []);
  assert.equal(r.needsPlacement, true);
  assert.deepEqual(r.unresolved.map((u) => [u.reason, u.message]), [
    ['CreateContainerConfigError', 'configmap "nope" not found'],
    ['CreateContainerConfigError', "couldn't find key k in ConfigMap shop/cfg"],
  ]);
  assert.deepEqual(containerEnv(c, [c], pod, lookups, placed).env, [{ name: 'IP', value: '10.0.1.7' }, { name: 'CPU', value: '2' }]);
});
