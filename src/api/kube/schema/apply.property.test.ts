// Invariants of server-side apply with generated configurations (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BerthKubeSchemas } from './schemas.ts';

const schemas = new BerthKubeSchemas();
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const now = new Date('2026-12-07T12:00:00Z');

const word = fc.constantFrom('a', 'b', 'c', 'd');
const env = fc.uniqueArray(fc.record({ name: word, value: fc.constantFrom('1', '2') }), { selector: (e) => e.name, maxLength: 3 });
const port = fc.uniqueArray(fc.record({ containerPort: fc.constantFrom(80, 443, 8080), protocol: fc.constantFrom('TCP', 'UDP') }), { selector: (p) => `${p.containerPort}/${p.protocol}`, maxLength: 2 });
const container = fc.record({ name: word, image: fc.constantFrom('x:1', 'x:2'), env, ports: port, args: fc.array(word, { maxLength: 2 }) }, { requiredKeys: ['name', 'image'] });
const config = fc.record({
  labels: fc.dictionary(word, fc.constantFrom('1', '2'), { maxKeys: 3 }),
  replicas: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  finalizers: fc.uniqueArray(word, { maxLength: 2 }),
  containers: fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
}, { requiredKeys: ['containers'] }).map((c) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', ...(c.labels === undefined || Object.keys(c.labels).length === 0 ? {} : { labels: c.labels }), ...(c.finalizers === undefined || c.finalizers.length === 0 ? {} : { finalizers: c.finalizers }) },
  spec: { ...(c.replicas === undefined ? {} : { replicas: c.replicas }), template: { spec: { containers: c.containers } } },
}));

/** Empty lists and maps a configuration may leave after pruning mean the same as absent ones. */
function normal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normal);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'managedFields') continue;
      const n = normal(x);
      if ((Array.isArray(n) && n.length === 0) || (n !== null && typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0)) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

const applyOk = (live: object | undefined, cfg: object, manager = 'kubectl') => {
  const r = schemas.apply(DEPLOYMENT, live, cfg, manager, false, now);
  if (!('object' in r)) throw new Error(r.message);
  return r.object;
};

test('property: with one manager, applying B over the result of applying A gives B (nothing of A is left)', () => {
  fc.assert(fc.property(config, config, (a, b) => {
    const out = applyOk(applyOk(undefined, a), b);
    assert.deepEqual(normal(out), normal(b));
  }), { numRuns: 300 });
});

test('property: applying the same configuration again changes nothing, managedFields included', () => {
  fc.assert(fc.property(config, (a) => {
    const once = applyOk(undefined, a);
    assert.deepEqual(applyOk(once, a), once);
  }), { numRuns: 200 });
});

test('property: a second manager applying only what it owns never takes or drops fields of the first', () => {
  fc.assert(fc.property(config, fc.dictionary(fc.constantFrom('x', 'y'), fc.constantFrom('1'), { minKeys: 1, maxKeys: 2 }), (a, labels) => {
    const first = applyOk(undefined, a);
    const second = applyOk(first, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels } }, 'other');
    const s = second as { metadata: { labels: Record<string, string> } };
    assert.deepEqual(s.metadata.labels, { ...(a.metadata.labels ?? {}), ...labels });
    assert.deepEqual(normal((second as { spec: unknown }).spec), normal(a.spec));
  }), { numRuns: 200 });
});
