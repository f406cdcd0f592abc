import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRootfs } from './confined-path.ts';

function rootfs(t: { after: (fn: () => void) => void }): string {
  const r = mkdtempSync(join(tmpdir(), 'berth-confined-'));
  t.after(() => rmSync(r, { recursive: true, force: true }));
  mkdirSync(join(r, 'usr/lib'), { recursive: true });
  mkdirSync(join(r, 'real-etc'));
  writeFileSync(join(r, 'real-etc/hosts'), '');
  symlinkSync('usr/lib', join(r, 'lib'));
  symlinkSync('/real-etc', join(r, 'etc'));
  symlinkSync('/etc', join(r, 'escape-abs'));
  symlinkSync('../../../../..', join(r, 'escape-up'));
  symlinkSync('loop-b', join(r, 'loop-a'));
  symlinkSync('loop-a', join(r, 'loop-b'));
  return r;
}

test('symlinks resolve as if the rootfs were /, whatever their target says', async (t) => {
  const r = rootfs(t);
  assert.equal(await resolveInRootfs(r, '/lib/x.so'), join(r, 'usr/lib/x.so'));
  assert.equal(await resolveInRootfs(r, '/etc/hosts'), join(r, 'real-etc/hosts'), 'an absolute target starts at the rootfs');
  assert.equal(await resolveInRootfs(r, '/escape-abs/hosts'), join(r, 'real-etc/hosts'), 'never the host\'s /etc');
  assert.equal(await resolveInRootfs(r, '/escape-up/etc/passwd'), join(r, 'real-etc/passwd'), '.. stops at the rootfs');
  assert.equal(await resolveInRootfs(r, '../../../tmp'), join(r, 'tmp'));
  assert.equal(await resolveInRootfs(r, 'new/dir/'), join(r, 'new/dir'), 'missing components are kept for creating');
  assert.equal(await resolveInRootfs(r, '/'), r);
});

test('a symlink loop is an error, not a hang', async (t) => {
  const r = rootfs(t);
  await assert.rejects(resolveInRootfs(r, '/loop-a/x'), /too many symlinks/);
});
