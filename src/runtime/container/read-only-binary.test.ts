import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountAt, readOnlyBinary } from './read-only-binary.ts';

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
    assert.deepEqual(mountAt(target), { readOnly: true });
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

describe('mountAt', () => {
  it('reads the last mount at exactly that path, with its read-only flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-mountinfo-'));
    const info = join(dir, 'mountinfo');
    writeFileSync(info, [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '55 27 254:0 /usr/bin/crun /run/berth/bin/crun rw,relatime - ext4 /dev/vda rw',
      '56 55 254:0 /usr/bin/crun /run/berth/bin/crun ro,relatime - ext4 /dev/vda rw',
      '57 27 0:40 / /run/berth/bin/crun2 ro,relatime - tmpfs tmpfs rw',
      '58 27 0:41 / /tmp/with\\040space ro - tmpfs tmpfs rw',
    ].join('\n'));
    assert.deepEqual(mountAt('/run/berth/bin/crun', info), { readOnly: true });
    assert.deepEqual(mountAt('/tmp/with space', info), { readOnly: true });
    assert.equal(mountAt('/run/berth/bin', info), undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});
