import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroup2Exists, ensureNftCgroupPath } from './cgroup-path.ts';

function cgroupRoot(t: { after: (fn: () => void) => void }, layout: 'v2' | 'hybrid' | 'v1'): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-cgroup-path-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'memory'));
  if (layout === 'v2') writeFileSync(join(root, 'cgroup.controllers'), '');
  if (layout === 'hybrid') {
    mkdirSync(join(root, 'unified'));
    writeFileSync(join(root, 'unified', 'cgroup.controllers'), '');
  }
  return root;
}

test('hybrid host: nft finds berth/<task> through a symlink beside the v1 hierarchies, made once', (t) => {
  const root = cgroupRoot(t, 'hybrid');
  mkdirSync(join(root, 'unified/berth/t1'), { recursive: true });
  assert.equal(cgroup2Exists('berth/t1', root), true);
  assert.equal(cgroup2Exists('berth/t2', root), false);
  ensureNftCgroupPath('berth/t1', root);
  ensureNftCgroupPath('berth/t1', root);
  assert.equal(readlinkSync(join(root, 'berth')), 'unified/berth');
  assert.ok(statSync(join(root, 'berth/t1')).isDirectory());
});

test('pure v2 host: nothing to link; pure v1 or a clashing name: an error saying why', (t) => {
  const v2 = cgroupRoot(t, 'v2');
  ensureNftCgroupPath('berth/t1', v2);
  assert.throws(() => ensureNftCgroupPath('berth/t1', cgroupRoot(t, 'v1')), /no cgroup2 hierarchy is mounted/);
  const clash = cgroupRoot(t, 'hybrid');
  mkdirSync(join(clash, 'berth'));
  assert.throws(() => ensureNftCgroupPath('berth/t1', clash), /exists and is not a symlink to unified\/berth/);
});
