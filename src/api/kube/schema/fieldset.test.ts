import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FieldSet, keyElement, pathString } from './fieldset.ts';

const fieldsV1 = { 'f:data': { '.': {}, 'f:a': {} }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } }, 'f:finalizers': { 'v:"x"': {} }, 'f:args': { 'i:0': {} } } };

test('FieldsV1 reads and writes back the same, with "." for a member that has children', () => {
  const set = FieldSet.fromFieldsV1(fieldsV1);
  assert.deepEqual(set.toFieldsV1(), fieldsV1);
  assert.ok(set.has(['f:data']) && set.has(['f:data', 'f:a']) && !set.has(['f:spec']));
  assert.ok(set.hasPrefix(['f:spec']));
});

test('paths are written as the API server writes them in conflicts', () => {
  assert.equal(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']), '.spec.template.spec.containers[name="web"].image');
  assert.equal(pathString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
  assert.equal(pathString(['f:args', 'i:2']), '.args[2]');
});

test('a key element names the key fields sorted, and only those present', () => {
  assert.equal(keyElement({ protocol: 'TCP', containerPort: 80, name: 'x' }, ['containerPort', 'protocol']), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.equal(keyElement({ containerPort: 80 }, ['containerPort', 'protocol']), 'k:{"containerPort":80}');
  assert.equal(keyElement({ image: 'x' }, ['name']), undefined);
});

const element = fc.constantFrom('f:a', 'f:b', 'f:c', 'k:{"name":"x"}', 'v:1');
const paths = fc.array(fc.array(element, { minLength: 1, maxLength: 3 }), { maxLength: 8 });
const setOf = (ps: string[][]): FieldSet => { const s = new FieldSet(); ps.forEach((p) => s.insert(p)); return s; };

test('property: set algebra holds on member paths (union, difference, intersection)', () => {
  fc.assert(fc.property(paths, paths, (a, b) => {
    const A = setOf(a); const B = setOf(b);
    const key = (p: string[]) => p.join('/');
    const members = (s: FieldSet) => new Set(s.paths().map(key));
    const ma = members(A); const mb = members(B);
    assert.deepEqual(members(A.union(B)), new Set([...ma, ...mb]));
    assert.deepEqual(members(A.difference(B)), new Set([...ma].filter((p) => !mb.has(p))));
    assert.deepEqual(members(A.intersection(B)), new Set([...ma].filter((p) => mb.has(p))));
    assert.deepEqual(FieldSet.fromFieldsV1(A.toFieldsV1()).paths(), A.paths());
  }));
});
