import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountAt } from '../../lib/mount-table.ts';
import { readOnlyBinary } from './read-only-binary.ts';

const asRoot = process.getuid?.() === 0;

describe('readOnlyBinary', { skip: !asRoot && 'needs root (mount)' }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-robin-'));
  const dir = join(scratch, 'bin');
  const target = join(dir, 'tool');
  after(() => {
    while (mountAt(target)) execFileSync('umount', ['-l', target]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('binds the binary read-only, takes an existing mount over, and follows an upgrade', async () => {
    const installed = join(scratch, 'tool');
    copyFileSync('/bin/echo', installed);
    assert.equal(await readOnlyBinary(installed, dir), target);
    assert.equal(mountAt(target)?.readOnly, true);
    assert.equal(execFileSync(target, ['ran']).toString(), 'ran\n');
    assert.throws(() => writeFileSync(target, 'x'), /EROFS/, 'nothing writes through it');

    const ino = statSync(target).ino;
    assert.equal(await readOnlyBinary(installed, dir), target, 'a second agent takes it over');
    assert.equal(statSync(target).ino, ino);
    assert.equal(execFileSync('sh', ['-c', `grep -c ' ${target} ' /proc/self/mountinfo`]).toString().trim(), '1', 'not mounted twice');

    // A package upgrade replaces the file by rename: the mount still shows the old inode.
    copyFileSync('/bin/echo', `${installed}.new`);
    renameSync(`${installed}.new`, installed);
    await readOnlyBinary(installed, dir);
    assert.equal(statSync(target).ino, statSync(installed).ino, 'the new binary is bound');
    assert.equal(execFileSync('sh', ['-c', `grep -c ' ${target} ' /proc/self/mountinfo`]).toString().trim(), '1', 'the old mount is gone');
  });

  it('leaves a mount point that cannot run if the mount is ever gone', async () => {
    while (mountAt(target)) execFileSync('umount', ['-l', target]);
    assert.throws(() => execFileSync(target, []), /EACCES/);
  });
});
