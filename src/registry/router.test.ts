import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute } from './router.ts';

test('routes are recognised by suffix, names may contain slashes', () => {
  assert.deepEqual(matchRoute('/v2/'), { kind: 'base' });
  assert.deepEqual(matchRoute('/v2'), { kind: 'base' });
  assert.deepEqual(matchRoute('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(matchRoute('/v2/a/b/blobs/uploads/'), { kind: 'uploads', name: 'a/b' });
  assert.deepEqual(matchRoute('/v2/a/blobs/uploads/x-y'), { kind: 'upload', name: 'a', id: 'x-y' });
  assert.deepEqual(matchRoute('/v2/a/blobs/sha256%3Aab'), { kind: 'blob', name: 'a', digest: 'sha256:ab' });
  assert.deepEqual(matchRoute('/v2/lib/x/manifests/latest'), { kind: 'manifest', name: 'lib/x', reference: 'latest' });
  assert.deepEqual(matchRoute('/v2/x/manifests/tags/list'), { kind: 'tags', name: 'x/manifests' });
  assert.deepEqual(matchRoute('/v2/x/referrers/sha256:1'), { kind: 'referrers', name: 'x', digest: 'sha256:1' });
  assert.deepEqual(matchRoute('/v2/x/other'), { kind: 'unknown' });
});

test('traversal stays inside the name, where the grammar refuses it', () => {
  assert.deepEqual(matchRoute('/v2/../../etc/blobs/sha256:1'), { kind: 'blob', name: '../../etc', digest: 'sha256:1' });
  assert.deepEqual(matchRoute('/v2/a/blobs/..%2F..%2Fx'), { kind: 'blob', name: 'a', digest: '../../x' });
});
