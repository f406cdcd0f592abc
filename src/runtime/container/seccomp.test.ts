import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLONE_NEWUSER, convertSeccompProfile, selectProfileRules } from './seccomp.ts';
import { compareFilters, describeSyscall } from './seccomp-compare.ts';
import { CLONE_NAMESPACE_MASK } from './seccomp-parity.ts';
import { DOCKER_DEFAULT_CAPABILITIES } from './capabilities.ts';
import { SECCOMP_PROFILE_PATH } from './host-facts.ts';

const PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write', 'clone', 'clone3', 'unshare'], action: 'SCMP_ACT_ALLOW', args: [], includes: {}, excludes: {} },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }], includes: {}, excludes: {} },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] }, excludes: {} },
    { names: ['ppc_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['ppc64le'] } },
    { names: ['not_on_amd64'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['both'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT', 'CAP_SYS_ADMIN'] } },
  ],
};

const names = (f: ReturnType<typeof convertSeccompProfile>) => f.syscalls.flatMap((r) => r.names);
const outcome = describeSyscall;

test('picks rules by architecture and capabilities, and keeps default action and errno', () => {
  const f = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: ['CAP_SYS_CHROOT'] });
  assert.equal(f.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(f.defaultErrnoRet, 38);
  assert.deepEqual(f.architectures, ['SCMP_ARCH_X86_64'], 'native only by default');
  assert.deepEqual(convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: [], compatArchitectures: true }).architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const n = names(f);
  assert.ok(n.includes('arch_prctl') && n.includes('chroot'));
  assert.ok(!n.includes('ppc_only') && !n.includes('not_on_amd64') && !n.includes('both'));
  assert.deepEqual(f.syscalls.find((r) => r.names.includes('chroot')), { names: ['chroot'], action: 'SCMP_ACT_ALLOW' });
  assert.deepEqual(f.syscalls.find((r) => r.names.includes('personality'))?.args, [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  const noChroot = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: [] });
  assert.deepEqual(noChroot.syscalls.find((r) => r.names.includes('chroot')), { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  assert.deepEqual(convertSeccompProfile(PROFILE, { arch: 'arm64', capabilities: [] }).architectures, ['SCMP_ARCH_AARCH64']);
  assert.deepEqual(convertSeccompProfile(PROFILE, { arch: 'arm64', capabilities: [], compatArchitectures: true }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
});

test('without CAP_SYS_ADMIN: clone makes no namespace, clone3 is ENOSYS, unshare and mount are EPERM', () => {
  const f = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: [] });
  assert.deepEqual(f.syscalls[0]!.names, ['read', 'write'], 'clone, clone3 and unshare leave the unconditional allow');
  const clone = f.syscalls.filter((r) => r.names.includes('clone'));
  assert.deepEqual(clone[0], { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
  assert.equal(CLONE_NAMESPACE_MASK, 0x7e020000, 'Docker\'s mask: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET');
  const refusedFlags = clone.slice(1).map((r) => {
    assert.equal(r.action, 'SCMP_ACT_ERRNO');
    assert.equal(r.errnoRet, 1);
    assert.equal(r.args![0]!.value, r.args![0]!.valueTwo, 'this bit set');
    return r.args![0]!.value;
  });
  assert.equal(refusedFlags.reduce((a, b) => a | b, 0), CLONE_NAMESPACE_MASK, 'each namespace flag gets EPERM');
  assert.ok(refusedFlags.includes(CLONE_NEWUSER));
  assert.deepEqual(f.syscalls.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  assert.deepEqual(outcome(f, 'unshare'), ['ERRNO 1']);
  const admin = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: ['CAP_SYS_ADMIN'] });
  assert.deepEqual(admin.syscalls[0]!.names, ['read', 'write', 'clone', 'clone3', 'unshare'], 'CAP_SYS_ADMIN may make any namespace anyway');
  assert.ok(!admin.syscalls.some((r) => r.names.includes('clone') && r.args), 'no clone conditions with CAP_SYS_ADMIN');
});

test('keyctl, add_key and request_key are refused with EPERM whatever the capabilities', () => {
  const profile = { ...PROFILE, syscalls: [...PROFILE.syscalls, { names: ['keyctl', 'add_key', 'getpid'], action: 'SCMP_ACT_ALLOW' }] };
  for (const caps of [[], [...DOCKER_DEFAULT_CAPABILITIES], ['CAP_SYS_ADMIN']]) {
    const f = convertSeccompProfile(profile, { arch: 'amd64', capabilities: caps });
    for (const name of ['keyctl', 'add_key', 'request_key']) assert.deepEqual(outcome(f, name), ['ERRNO 1'], `${name} with ${caps.join(',') || 'no caps'}`);
    assert.deepEqual(outcome(f, 'getpid'), ['ALLOW']);
  }
});

test('Docker\'s capability gates: mount, setns, syslog, reboot, mbind, pidfd_getfd refused without their capability, allowed with it', () => {
  const names = ['mount', 'umount2', 'setns', 'syslog', 'reboot', 'mbind', 'pidfd_getfd', 'pivot_root', 'getpid'];
  // Debian's profile allows setns and also refuses it without CAP_SYS_ADMIN: one rule must remain.
  const profile = { ...PROFILE, syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }, { names: ['setns'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } }] };
  const none = convertSeccompProfile(profile, { arch: 'amd64', capabilities: [...DOCKER_DEFAULT_CAPABILITIES] });
  for (const n of names.filter((x) => x !== 'getpid')) assert.deepEqual(outcome(none, n), ['ERRNO 1'], n);
  assert.deepEqual(outcome(none, 'getpid'), ['ALLOW']);
  const all = convertSeccompProfile(profile, { arch: 'amd64', capabilities: ['CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_PTRACE'] });
  for (const n of ['mount', 'umount2', 'setns', 'syslog', 'reboot', 'mbind', 'pidfd_getfd']) assert.deepEqual(outcome(all, n), ['ALLOW'], n);
  assert.deepEqual(outcome(all, 'pivot_root'), ['ERRNO 1'], 'refused even with CAP_SYS_ADMIN, as in Docker');
  assert.deepEqual(outcome(convertSeccompProfile(profile, { arch: 'amd64', capabilities: ['CAP_SYSLOG'] }), 'syslog'), ['ALLOW'], 'CAP_SYSLOG is enough for syslog');
  assert.deepEqual(outcome(all, 'quotactl_fd'), ['ALLOW'], 'a gated syscall the profile does not name is allowed with its capability');
});

test('socket: every family but AF_ALG and AF_VSOCK; an allow rule\'s own conditions are kept', () => {
  const profile = { ...PROFILE, syscalls: [
    { names: ['socket', 'getpid'], action: 'SCMP_ACT_ALLOW' },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 9, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, valueTwo: 0, op: 'SCMP_CMP_NE' }] },
  ] };
  const f = convertSeccompProfile(profile, { arch: 'amd64', capabilities: [] });
  assert.deepEqual(outcome(f, 'getpid'), ['ALLOW']);
  assert.deepEqual(outcome(f, 'socket'), [
    'ALLOW if arg0 < 38', 'ALLOW if arg0 == 39', 'ALLOW if arg0 > 40',
    'ALLOW if arg2 != 9 && arg0 < 38', 'ALLOW if arg2 != 9 && arg0 == 39', 'ALLOW if arg2 != 9 && arg0 > 40',
    'ERRNO 1 if arg0 == 38', 'ERRNO 1 if arg0 == 40',
  ].sort(), 'the family != 16 rule cannot take a second family comparison: it goes');
  assert.ok(f.syscalls.every((r) => (r.args ?? []).filter((a) => a.index === 0).length <= 1), 'libseccomp takes one comparison per argument');
});

test('refuses what is not a profile, and unknown architectures', () => {
  assert.throws(() => convertSeccompProfile({}, { arch: 'amd64', capabilities: [] }), /defaultAction and syscalls/);
  assert.throws(() => convertSeccompProfile({ defaultAction: 'X', syscalls: [{ action: 'Y' }] }, { arch: 'amd64', capabilities: [] }), /lacks names/);
  assert.throws(() => convertSeccompProfile(PROFILE, { arch: 'mips', capabilities: [] }), /no seccomp architecture/);
});

const JQ_CONVERTER = `def has($a; $x): ($a | index($x)) != null;
{ defaultAction, defaultErrnoRet,
  architectures: ([.archMap[] | select(.architecture=="SCMP_ARCH_X86_64") | [.architecture] + (.subArchitectures // [])] | add),
  syscalls: [ .syscalls[]
    | select(((.includes.arches // []) | length) == 0 or has(.includes.arches; "amd64"))
    | select(has(.excludes.arches // []; "amd64") | not)
    | select(all((.includes.caps // [])[]; . as $c | has($caps; $c)))
    | select(any((.excludes.caps // [])[]; . as $c | has($caps; $c)) | not)
    | {names, action, args: ((.args // []) | map({index, value, valueTwo, op}))}
      + (if .errnoRet != null then {errnoRet} else {} end) ] }`;

const haveReference = existsSync(SECCOMP_PROFILE_PATH) && process.arch === 'x64' && (() => {
  try {
    execFileSync('jq', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

test('on Debian\'s profile: the same rules as the jq converter of runtime-notes §4, then Docker\'s stricter ones', { skip: !haveReference && 'needs jq and /usr/share/containers/seccomp.json on x86_64' }, () => {
  const caps = [...DOCKER_DEFAULT_CAPABILITIES];
  const reference = JSON.parse(execFileSync('jq', ['--argjson', 'caps', JSON.stringify(caps), JQ_CONVERTER, SECCOMP_PROFILE_PATH], { encoding: 'utf8' })) as ReturnType<typeof convertSeccompProfile>;
  const profile = JSON.parse(readFileSync(SECCOMP_PROFILE_PATH, 'utf8')) as unknown;
  const picked = selectProfileRules(profile, { arch: 'amd64', capabilities: caps, compatArchitectures: true });
  const expected = reference.syscalls.map((r) => ({ ...r, ...(r.args && r.args.length > 0 ? {} : { args: undefined }) }));
  assert.deepEqual(picked.syscalls.map((r) => ({ ...r, args: r.args })), expected);
  assert.deepEqual([picked.defaultAction, picked.defaultErrnoRet, picked.architectures], [reference.defaultAction, reference.defaultErrnoRet, reference.architectures]);

  const ours = convertSeccompProfile(profile, { arch: 'amd64', capabilities: caps });
  assert.ok(names(ours).length > 400, `${names(ours).length} names`);
  for (const n of ['keyctl', 'add_key', 'request_key', 'unshare', 'mount', 'umount2', 'setns', 'pivot_root', 'syslog', 'reboot', 'mbind', 'pidfd_getfd']) {
    assert.deepEqual(outcome(ours, n), ['ERRNO 1'], n);
  }
  for (const n of ['read', 'fork', 'execve', 'ptrace', 'chroot', 'wait4']) assert.deepEqual(outcome(ours, n), ['ALLOW'], n);
  // What Debian's profile refuses itself stays refused (vmsplice, bpf without CAP_SYS_ADMIN).
  for (const n of ['vmsplice', 'bpf', 'kexec_load']) assert.deepEqual(outcome(ours, n), ['ERRNO 1'], n);
  assert.deepEqual(compareFilters(picked, ours).filter((d) => d.verdict === 'left stricter'), [], 'nothing Debian\'s profile refuses is allowed');
});
