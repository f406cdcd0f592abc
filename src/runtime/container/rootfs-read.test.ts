import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRootfsFile, resolveInRootfs } from './rootfs-read.ts';

test('symlinks resolve inside the rootfs, never to the host', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-rootfs-read-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data/passwd'), 'root:x:0:0::/:/bin/sh\n');
  symlinkSync('/data/passwd', join(root, 'etc/passwd'));
  symlinkSync('../../../../../../etc/shadow', join(root, 'etc/shadow'));
  symlinkSync('/', join(root, 'etc/up'));
  symlinkSync('loop2', join(root, 'etc/loop1'));
  symlinkSync('loop1', join(root, 'etc/loop2'));
  assert.equal(readRootfsFile(root, '/etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  assert.equal(resolveInRootfs(root, '/etc/shadow'), undefined, 'the host\'s /etc/shadow is never reached');
  assert.equal(resolveInRootfs(root, '/etc/up/data/passwd'), join(root, 'data/passwd'));
  assert.equal(readRootfsFile(root, '/etc/loop1'), undefined);
  assert.equal(readRootfsFile(root, '/etc'), undefined, 'a directory is not a file');
  assert.equal(readRootfsFile(root, '/etc/group'), undefined);
});
