import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcLimits, SECCOMP_PROFILE_PATH, seccompConverter } from './host-facts.ts';
import { crunNeedsWrapper, hiddenCgroup2Command } from './oci-runtime.ts';
import { deviceNumbers } from './bundle.ts';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             95863                95863                processes
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
Max realtime timeout      unlimited            unlimited            us
`;

test('/proc/self/limits rows become OCI rlimit types; unlimited is Infinity', () => {
  const l = parseProcLimits(LIMITS);
  assert.deepEqual(l.RLIMIT_NOFILE, { soft: 20000, hard: 20000 });
  assert.deepEqual(l.RLIMIT_CPU, { soft: Infinity, hard: Infinity });
  assert.deepEqual(l.RLIMIT_MEMLOCK, { soft: 8388608, hard: 8388608 });
  assert.deepEqual(l.RLIMIT_RTTIME, { soft: Infinity, hard: Infinity });
});

test('crun needs the wrapper only when cgroup2 holds controllers beside v1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hybrid-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hybrid'), 'hugetlb\n');
  writeFileSync(join(dir, 'empty'), '\n');
  assert.equal(crunNeedsWrapper(join(dir, 'hybrid')), true);
  assert.equal(crunNeedsWrapper(join(dir, 'empty')), false);
  assert.equal(crunNeedsWrapper(join(dir, 'missing')), false);
  assert.deepEqual(hiddenCgroup2Command('/usr/bin/crun', '/usr/bin/unshare'), ['/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs -o size=64k berth-no-cgroup2 /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun "$@"', 'crun']);
});

test('device numbers from dev_t, old and large encodings', () => {
  assert.deepEqual(deviceNumbers(0x0103n), { major: 1, minor: 3 }); // /dev/null
  assert.deepEqual(deviceNumbers(0xae5n), { major: 10, minor: 229 }); // /dev/fuse
  assert.deepEqual(deviceNumbers(0x12345n), { major: 0x123, minor: 0x45 });
  assert.deepEqual(deviceNumbers((0x1n << 20n) | 0x100n), { major: 1, minor: 0x100 }, 'minor bits above 8 live at bit 20');
  assert.deepEqual(deviceNumbers(statSync('/dev/null', { bigint: true }).rdev), { major: 1, minor: 3 });
  assert.deepEqual(deviceNumbers((259n << 8n) | 1n), { major: 259, minor: 1 });
});

test('the seccomp filter is for the native architecture unless the agent asks for the 32-bit ones too', { skip: (!existsSync(SECCOMP_PROFILE_PATH) || process.arch !== 'x64') && 'needs /usr/share/containers/seccomp.json on x86_64' }, () => {
  const caps = ['CAP_KILL'];
  assert.deepEqual(seccompConverter('amd64', SECCOMP_PROFILE_PATH, false)(caps).architectures, ['SCMP_ARCH_X86_64']);
  assert.deepEqual(seccompConverter('amd64', SECCOMP_PROFILE_PATH, true)(caps).architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const saved = process.env.BERTH_SECCOMP_COMPAT_ARCHES;
  try {
    process.env.BERTH_SECCOMP_COMPAT_ARCHES = '1';
    assert.equal(seccompConverter('amd64')(caps).architectures.length, 3, 'BERTH_SECCOMP_COMPAT_ARCHES=1 is the switch');
  } finally {
    if (saved === undefined) delete process.env.BERTH_SECCOMP_COMPAT_ARCHES;
    else process.env.BERTH_SECCOMP_COMPAT_ARCHES = saved;
  }
});
