import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountAt, mountPointsUnder, mountTableSync } from './mount-table.ts';

describe('the mount table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-mountinfo-'));
  const info = join(dir, 'mountinfo');
  writeFileSync(info, [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '55 27 254:0 /usr/bin/crun /run/berth/bin/crun rw,relatime - ext4 /dev/vda rw',
    '56 55 254:0 /usr/bin/crun /run/berth/bin/crun ro,relatime - ext4 /dev/vda rw',
    '57 27 0:40 / /run/berth/bin/crun2 ro,relatime shared:2 - tmpfs tmpfs rw',
    '58 27 0:41 / /tmp/with\\040space ro - tmpfs tmp\\011fs rw',
    '59 27 0:42 / /run/berth/rootfs/a/b rw - overlay overlay rw,lowerdir=x',
  ].join('\n'));

  it('reads every field, octal escapes decoded', () => {
    const t = mountTableSync(info);
    assert.equal(t.length, 6);
    assert.deepEqual(t[4], { mountPoint: '/tmp/with space', fsType: 'tmpfs', source: 'tmp\tfs', superOptions: 'rw', readOnly: true });
    assert.equal(t[3]!.fsType, 'tmpfs', 'optional fields (shared:N) before the separator are skipped');
  });

  it('finds the last mount at exactly a path, with its read-only flag', () => {
    assert.equal(mountAt('/run/berth/bin/crun', info)?.readOnly, true);
    assert.equal(mountAt('/tmp/with space', info)?.readOnly, true);
    assert.equal(mountAt('/run/berth/bin', info), undefined);
  });

  it('lists mount points strictly under a directory, deepest first', () => {
    assert.deepEqual(mountPointsUnder('/run/berth', info), ['/run/berth/rootfs/a/b', '/run/berth/bin/crun2', '/run/berth/bin/crun', '/run/berth/bin/crun']);
    assert.deepEqual(mountPointsUnder('/run/berth/bin/crun', info), []);
    rmSync(dir, { recursive: true, force: true });
  });
});
