// Touches the host: run under flock /tmp/berth-host.lock (bin/test runs host tests one at a time).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearCoveredCgroup, HYBRID_CGROUP2_MOUNT, makeCreateNamespace, removeCreateNamespace } from './create-namespace.ts';

const asRoot = process.getuid?.() === 0;
const hybrid = readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${HYBRID_CGROUP2_MOUNT} `);

/** Mount points and their filesystem types, as a process in the namespace sees them. */
function mountsIn(nsFile: string): Map<string, string> {
  const out = execFileSync('nsenter', [`--mount=${nsFile}`, 'cat', '/proc/self/mountinfo']).toString();
  return new Map(out.split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return [f[4]!, f[f.indexOf('-') + 1]!];
  }));
}

describe('the long-lived create namespace', { skip: (!asRoot && 'needs root (mount, unshare)') || (!hybrid && 'needs a hybrid cgroup host') }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-createns-'));
  const runDir = join(scratch, 'run');
  const netnsDir = join(scratch, 'netns');
  after(async () => {
    await removeCreateNamespace(runDir);
    while (readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${netnsDir} `)) execFileSync('umount', ['-l', netnsDir]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('hides cgroup2, sees what the host mounts later under the rootfs and netns directories, and leaves the host alone', async () => {
    const ns = await makeCreateNamespace(runDir, { netnsDir });
    assert.deepEqual(ns.command('/usr/bin/crun'), [ns.command('x')[0], `--mount=${ns.file}`, '/usr/bin/crun']);
    // Mounted on the host after the namespace was made: a container's rootfs, a task's netns file.
    const rootfs = join(ns.rootfsDir, 'c1');
    const netns = join(netnsDir, 'task1');
    mkdirSync(rootfs);
    mkdirSync(netns);
    execFileSync('mount', ['-t', 'tmpfs', 'rootfs-of-c1', rootfs]);
    execFileSync('mount', ['-t', 'tmpfs', 'netns-of-task1', netns]);
    const inside = mountsIn(ns.file);
    assert.equal(inside.get(HYBRID_CGROUP2_MOUNT), 'tmpfs', 'cgroup2 is covered inside');
    assert.equal(inside.get(rootfs), 'tmpfs', 'a rootfs mounted later is seen inside');
    assert.equal(inside.get(netns), 'tmpfs', 'a network namespace pinned later is seen inside');
    const host = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.match(host, new RegExp(` ${HYBRID_CGROUP2_MOUNT} [^\\n]* - cgroup2 `), 'the host keeps its cgroup2 mount');
    // Unmounted on the host: gone inside too (a stopped task's rootfs).
    execFileSync('umount', [rootfs]);
    execFileSync('umount', [netns]);
    assert.equal(mountsIn(ns.file).has(rootfs), false);

    // What crun leaves in the tmpfs over cgroup2 for a container is cleared.
    execFileSync('nsenter', [`--mount=${ns.file}`, 'sh', '-c', `mkdir -p ${HYBRID_CGROUP2_MOUNT}/berth/t1/c1 && echo 42 > ${HYBRID_CGROUP2_MOUNT}/berth/t1/c1/cgroup.procs`]);
    await clearCoveredCgroup(ns.file, '/berth/t1/c1');
    assert.equal(execFileSync('nsenter', [`--mount=${ns.file}`, 'ls', `${HYBRID_CGROUP2_MOUNT}/berth/t1`]).toString(), '');
    await clearCoveredCgroup(ns.file, '/berth/t1');
    assert.equal(execFileSync('nsenter', [`--mount=${ns.file}`, 'ls', `${HYBRID_CGROUP2_MOUNT}/berth`]).toString(), '');

    // A second agent start makes a fresh namespace at the same file.
    const again = await makeCreateNamespace(runDir, { netnsDir });
    assert.equal(again.file, ns.file);
    assert.equal(mountsIn(again.file).get(HYBRID_CGROUP2_MOUNT), 'tmpfs');
  });

  it('is removed with every mount it made', async () => {
    await removeCreateNamespace(runDir);
    const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${runDir}`));
    assert.deepEqual(left, []);
  });
});
