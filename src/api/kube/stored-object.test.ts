import { it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, serialize, withResourceVersion } from './stored-object.ts';

it('stores metadata first without resourceVersion, and splices the version back in as JSON', () => {
  const stored = serialize({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '9' }, data: { k: 'v' } });
  assert.equal(stored, '{"metadata":{"name":"a"},"apiVersion":"v1","kind":"ConfigMap","data":{"k":"v"}}');
  assert.deepEqual(JSON.parse(withResourceVersion(stored, 12)), decode(stored, 12));
  assert.deepEqual(JSON.parse(withResourceVersion(serialize({ metadata: {} }), 3)), { metadata: { resourceVersion: '3' } });
  assert.deepEqual(JSON.parse(withResourceVersion('{"kind":"X","metadata":{"name":"old"}}', 4)), { kind: 'X', metadata: { name: 'old', resourceVersion: '4' } });
});
