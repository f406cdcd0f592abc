import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootfsPaths, normalizeEntryPath } from './rootfs-path.ts';
import { UnsafeLayerError } from './errors.ts';

test('normalizes archive paths: leading slash and dots dropped', () => {
  assert.deepEqual(normalizeEntryPath('/etc//passwd'), ['etc', 'passwd']);
  assert.deepEqual(normalizeEntryPath('./usr/./bin/'), ['usr', 'bin']);
  assert.deepEqual(normalizeEntryPath('./'), []);
  assert.deepEqual(normalizeEntryPath('a..b/..c'), ['a..b', '..c']);
});

test('refuses any ".." component', () => {
  for (const p of ['..', '../x', 'a/../b', '/a/b/..']) assert.throws(() => normalizeEntryPath(p), UnsafeLayerError, p);
});

test('creates missing parents and refuses symlinked or non-directory ones', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-rootfs-path-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const paths = new RootfsPaths(root);
  assert.equal(await paths.prepareParents(['a', 'b', 'c'], 'a/b/c'), join(root, 'a/b/c'));
  assert.equal(statSync(join(root, 'a/b')).isDirectory(), true);
  symlinkSync('/etc', join(root, 'link'));
  writeFileSync(join(root, 'file'), '');
  await assert.rejects(paths.prepareParents(['link', 'passwd'], 'link/passwd'), /parent "link" is a symlink/);
  await assert.rejects(paths.prepareParents(['file', 'x'], 'file/x'), /parent "file" is not a directory/);
  assert.equal(await paths.existingParents(['missing', 'x'], 'missing/x'), undefined);
  await assert.rejects(paths.existingParents(['link', 'x'], 'link/x'), UnsafeLayerError);
});

test('forgets a replaced directory, so a symlink put in its place is caught', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-rootfs-path-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const paths = new RootfsPaths(root);
  await paths.prepareParents(['d', 'x'], 'd/x');
  rmSync(join(root, 'd'), { recursive: true });
  symlinkSync('/etc', join(root, 'd'));
  paths.forget('d');
  await assert.rejects(paths.prepareParents(['d', 'x'], 'd/x'), UnsafeLayerError);
});
