import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRepositoryName, isRepositoryName, isTag, lookupReference, parseReference } from './names.ts';
import type { RegistryError } from './errors.ts';

test('repository names follow the spec grammar', () => {
  for (const ok of ['a', 'library/busybox', 'my-app', 'a__b', 'a---b', 'x.y_z/0/q', 'a'.repeat(255)]) assert.ok(isRepositoryName(ok), ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', '../x', 'a/../b', 'a/./b', '.a', 'a.', 'a-', 'a_-b', 'a___b', 'a%2fb', 'a b', 'a'.repeat(256)]) {
    assert.ok(!isRepositoryName(bad), bad);
  }
});

test('an invalid name is NAME_INVALID with status 400', () => {
  assert.throws(() => checkRepositoryName('../etc'), (e: RegistryError) => e.code === 'NAME_INVALID' && e.status === 400);
});

test('tags allow up to 128 characters and no leading dot or dash', () => {
  assert.ok(isTag('latest') && isTag('_x') && isTag('v1.2.3-rc_1') && isTag('a'.repeat(128)));
  for (const bad of ['', '.x', '-x', 'a/b', 'a:b', 'a'.repeat(129)]) assert.ok(!isTag(bad), bad);
});

test('a reference with a colon must be a valid digest', () => {
  assert.deepEqual(parseReference('latest'), { kind: 'tag', tag: 'latest' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(d), { kind: 'digest', digest: d });
  assert.throws(() => parseReference('sha256:../../x'), (e: RegistryError) => e.code === 'DIGEST_INVALID');
  assert.throws(() => parseReference('..'), (e: RegistryError) => e.code === 'TAG_INVALID');
});

test('a read looks a reference up without refusing it: one that is neither tag nor digest names nothing', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(lookupReference('latest'), { kind: 'tag', tag: 'latest' });
  assert.deepEqual(lookupReference(d), { kind: 'digest', digest: d });
  for (const none of ['.INVALID_MANIFEST_NAME', '', '-x', 'a'.repeat(129), 'sha256:abc', 'md5:0123', `sha256:${'A'.repeat(64)}`, 'a:b']) {
    assert.equal(lookupReference(none), undefined, none);
  }
});
