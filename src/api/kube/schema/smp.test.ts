import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthKubeSchemas } from './schemas.ts';
import { KubeSchemaError } from '../contract.ts';

const schemas = new BerthKubeSchemas();
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD = { group: '', version: 'v1', kind: 'Pod' };
const CONFIGMAP = { group: '', version: 'v1', kind: 'ConfigMap' };

const deployment = () => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
          { name: 'side', image: 'busybox', args: ['sleep', '1'] },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

const patch = (original: object, p: object, gvk = DEPLOYMENT) => schemas.strategicMerge(gvk, original, p) as ReturnType<typeof deployment>;

test('maps merge key by key and null deletes a key', () => {
  const out = patch(deployment(), { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 5 } });
  assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
  assert.equal(out.spec.replicas, 5);
  assert.equal(out.spec.template.spec.containers.length, 2);
});

test('the original is not changed', () => {
  const original = deployment();
  patch(original, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
  assert.deepEqual(original, deployment());
});

test('containers merge by name: a named item is merged, a new one appended, others kept', () => {
  const out = patch(deployment(), { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }, { name: 'new', image: 'x' }] } } } });
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(cs.map((c) => c.name), ['web', 'side', 'new']);
  assert.equal(cs[0]?.image, 'nginx:2');
  assert.deepEqual(cs[0]?.ports, [{ containerPort: 80, protocol: 'TCP' }], 'fields the patch does not name stay');
});

test('env merges by name inside a merged container; $patch: delete removes an item by its key', () => {
  const out = patch(deployment(), { spec: { template: { spec: { containers: [
    { name: 'web', env: [{ name: 'B', value: '3' }, { name: 'A', $patch: 'delete' }] },
    { name: 'side', $patch: 'delete' },
  ] } } } });
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(cs.map((c) => c.name), ['web']);
  assert.deepEqual(cs[0]?.env, [{ name: 'B', value: '3' }]);
});

test('a list without a merge strategy (args) is replaced whole', () => {
  const out = patch(deployment(), { spec: { template: { spec: { containers: [{ name: 'side', args: ['sleep', '9'] }] } } } });
  assert.deepEqual(out.spec.template.spec.containers[1]?.args, ['sleep', '9']);
});

test('a list item without its merge key is refused with a BadRequest', () => {
  assert.throws(() => patch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
    (e: unknown) => e instanceof KubeSchemaError && e.code === 400 && /does not contain declared merge key: name/.test(e.message));
});

test('$patch: replace on a list replaces it with the other items', () => {
  const out = patch(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
});

test('$patch: replace on a map replaces it; $patch: delete empties it', () => {
  const out = patch(deployment(), { metadata: { labels: { $patch: 'replace', only: 'one' } }, spec: { strategy: { $patch: 'delete' } } });
  assert.deepEqual(out.metadata.labels, { only: 'one' });
  assert.deepEqual(out.spec.strategy, {});
});

test('an unknown $patch value is refused', () => {
  assert.throws(() => patch(deployment(), { metadata: { labels: { $patch: 'frobnicate' } } }), KubeSchemaError);
});

test('a primitive list with a merge strategy (finalizers) is unioned; $deleteFromPrimitiveList removes values', () => {
  const out = patch(deployment(), { metadata: { finalizers: ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'] } });
  assert.deepEqual(out.metadata.finalizers, ['b', 'c']);
});

test('$retainKeys drops the keys it does not list (strategy: Recreate clears rollingUpdate)', () => {
  const out = patch(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
});

test('$setElementOrder orders the named items; server-only items are interleaved by their old place', () => {
  // web and side are the server's; the patch names new then web: side is server-only.
  const out = patch(deployment(), { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'new' }, { name: 'web' }],
    containers: [{ name: 'new', image: 'x' }],
  } } } });
  assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['side', 'new', 'web']);
  const reordered = patch(deployment(), { spec: { template: { spec: {
    '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }],
  } } } });
  assert.deepEqual(reordered.spec.template.spec.containers.map((c) => c.name), ['side', 'web']);
  const kept = patch(deployment(), { metadata: { '$setElementOrder/finalizers': ['b'], finalizers: ['b'] } });
  assert.deepEqual(kept.metadata.finalizers, ['a', 'b']);
});

test('ports merge by containerPort; a null in a new item is dropped', () => {
  const out = patch(deployment(), { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443, name: null }] }] } } } });
  assert.deepEqual(out.spec.template.spec.containers[0]?.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }]);
});

test('volumes of a pod merge by name; nodeSelector (a map) merges', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeSelector: { a: '1' }, containers: [{ name: 'c', image: 'i' }], volumes: [{ name: 'v', emptyDir: {} }] } };
  const out = schemas.strategicMerge(POD, pod, { spec: { nodeSelector: { b: '2' }, volumes: [{ name: 'w', emptyDir: {} }] } }) as typeof pod;
  assert.deepEqual(out.spec.volumes.map((v) => v.name), ['v', 'w']);
  assert.deepEqual(out.spec.nodeSelector, { a: '1', b: '2' });
});

test('configmap data merges like a map', () => {
  const out = schemas.strategicMerge(CONFIGMAP, { data: { a: '1', b: '2' } }, { data: { b: null, c: '3' } });
  assert.deepEqual(out, { data: { a: '1', c: '3' } });
});

// Property: a patch that names no lists (only maps and scalars) is a JSON merge patch.
const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
const labels = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), scalar.map(String), { maxKeys: 4 });
const labelPatch = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'e'), fc.option(fc.string({ maxLength: 3 }), { nil: null }), { maxKeys: 4 });

test('property: on maps, a strategic merge patch is a JSON merge patch', () => {
  fc.assert(fc.property(labels, labelPatch, (l, p) => {
    const out = schemas.strategicMerge(CONFIGMAP, { data: l }, { data: p }) as { data: Record<string, string> };
    const want: Record<string, unknown> = { ...l };
    for (const [k, v] of Object.entries(p)) { if (v === null) delete want[k]; else want[k] = v; }
    assert.deepEqual(out.data, want);
  }));
});

const envList = fc.uniqueArray(fc.record({ name: fc.constantFrom('A', 'B', 'C', 'D'), value: fc.string({ maxLength: 3 }) }), { selector: (e) => e.name, maxLength: 4 });
const envPatch = fc.uniqueArray(fc.oneof(
  fc.record({ name: fc.constantFrom('A', 'B', 'C', 'E'), value: fc.string({ maxLength: 3 }) }),
  fc.record({ name: fc.constantFrom('A', 'B', 'C', 'E'), $patch: fc.constant('delete') }),
), { selector: (e) => e.name, maxLength: 4 });

test('property: applying a patch twice gives what applying it once gave (merge by key, union, delete)', () => {
  fc.assert(fc.property(envList, envPatch, fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }), (env, p, fin) => {
    const pod = { metadata: { finalizers: ['x'] }, spec: { containers: [{ name: 'c', env }] } };
    const pt = { metadata: { finalizers: fin }, spec: { containers: [{ name: 'c', env: p }] } };
    const once = schemas.strategicMerge(POD, pod, pt);
    assert.deepEqual(schemas.strategicMerge(POD, once, pt), once);
  }));
});

test('property: merging by key keeps every name once, in original order then new names', () => {
  fc.assert(fc.property(envList, envPatch, (env, p) => {
    const out = schemas.strategicMerge(POD, { spec: { containers: [{ name: 'c', env }] } }, { spec: { containers: [{ name: 'c', env: p }] } }) as { spec: { containers: { env: { name: string }[] }[] } };
    const names = out.spec.containers[0]?.env.map((e) => e.name) ?? [];
    const deleted = new Set<string>(p.filter((e) => '$patch' in e).map((e) => e.name));
    const want = [...env.map((e) => e.name), ...p.filter((e) => !('$patch' in e)).map((e): string => e.name).filter((n) => !env.some((e) => e.name === n))].filter((n) => !deleted.has(n));
    assert.deepEqual(names, want);
  }));
});
