import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDefinitions } from './data.ts';
import { TypeCatalog } from './types.ts';
import { compare, merge } from './typed-ops.ts';

const catalog = new TypeCatalog(loadDefinitions());
const POD = catalog.root({ group: '', version: 'v1', kind: 'Pod' })!;
const pod = (containers: string[], finalizers: string[] = []) => ({
  metadata: { name: 'p', ...(finalizers.length > 0 ? { finalizers } : {}) },
  spec: { containers: containers.map((name) => ({ name, image: `${name}:1` })) },
});
const names = (v: unknown) => (v as ReturnType<typeof pod>).spec.containers.map((c) => c.name);

test('merge keeps items only live holds in their place and puts shared items in the applied order', () => {
  assert.deepEqual(names(merge(POD, pod(['a', 'x', 'b']), pod(['b', 'a']))), ['x', 'b', 'a']);
  assert.deepEqual(names(merge(POD, pod(['a']), pod(['c', 'a']))), ['c', 'a']);
  assert.deepEqual(names(merge(POD, pod(['a', 'b']), pod(['b', 'new']))), ['a', 'b', 'new']);
});

test('merge of a set (finalizers) unions by value; an applied item merges into the live one by key', () => {
  const out = merge(POD, pod(['a'], ['f1', 'f2']), { metadata: { finalizers: ['f3', 'f1'] }, spec: { containers: [{ name: 'a', image: 'a:2' }] } }) as ReturnType<typeof pod>;
  assert.deepEqual(out.metadata.finalizers, ['f3', 'f1', 'f2']);
  assert.deepEqual(out.spec.containers, [{ name: 'a', image: 'a:2' }]);
});

test('compare names what was added, modified and removed, items by key', () => {
  const c = compare(POD, pod(['a', 'b']), { metadata: { name: 'p', labels: { x: '1' } }, spec: { containers: [{ name: 'a', image: 'a:2' }, { name: 'c', image: 'c:1' }] } });
  assert.deepEqual(c.added.toFieldsV1(), { 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } });
  assert.deepEqual(c.modified.toFieldsV1(), { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': { 'f:image': {} } } } });
  assert.deepEqual(c.removed.toFieldsV1(), { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } });
});
