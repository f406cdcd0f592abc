import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareFilters, describeSyscall } from './seccomp-compare.ts';
import type { OciSeccomp } from './oci-spec.ts';

const docker: OciSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'vmsplice', 'cachestat'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
  ],
};
const berth: OciSeccomp = {
  defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'keyctl'], action: 'SCMP_ACT_ALLOW' },
    { names: ['vmsplice', 'mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x10000000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
  ],
};

test('lists each syscall whose answer differs, with both sides\' rules and which is stricter', () => {
  assert.deepEqual(compareFilters(docker, berth), [
    { name: 'cachestat', left: ['ALLOW'], right: ['ERRNO 38 (default)'], verdict: 'right stricter' },
    { name: 'clone', left: ['ALLOW if arg0 & 0x7e020000 == 0'], right: ['ALLOW if arg0 & 0x10000000 == 0'], verdict: 'conditions' },
    { name: 'keyctl', left: ['ERRNO 1 (default)'], right: ['ALLOW'], verdict: 'left stricter' },
    { name: 'vmsplice', left: ['ALLOW'], right: ['ERRNO 1'], verdict: 'right stricter' },
  ]);
});

test('the same answer given by a rule on one side and by the default on the other is no difference', () => {
  assert.ok(!compareFilters(docker, berth).some((d) => d.name === 'mount' || d.name === 'read'), 'mount: EPERM both ways');
  const enosys = { ...docker, defaultErrnoRet: 38 };
  assert.deepEqual(compareFilters(enosys, berth).find((d) => d.name === 'mount'), { name: 'mount', left: ['ERRNO 38 (default)'], right: ['ERRNO 1'], verdict: 'errno' });
});

test('describes one syscall of one filter', () => {
  assert.deepEqual(describeSyscall(berth, 'vmsplice'), ['ERRNO 1']);
  assert.deepEqual(describeSyscall(berth, 'bpf'), ['ERRNO 38 (default)']);
  assert.deepEqual(describeSyscall({ ...berth, syscalls: [...berth.syscalls, { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 38, valueTwo: 0, op: 'SCMP_CMP_LT' }, { index: 2, value: 9, valueTwo: 0, op: 'SCMP_CMP_NE' }] }] }, 'socket'), ['ALLOW if arg0 < 38 && arg2 != 9']);
});
