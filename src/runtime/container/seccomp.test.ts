import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLONE_NEWUSER, convertSeccompProfile } from './seccomp.ts';
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

test('closes the user-namespace gap unless the container has CAP_SYS_ADMIN', () => {
  const f = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: [] });
  const allow = f.syscalls[0]!;
  assert.deepEqual(allow.names, ['read', 'write'], 'clone, clone3 and unshare leave the unconditional allow');
  const gated = f.syscalls.filter((r) => r.names.includes('unshare'));
  assert.deepEqual(gated, [
    { names: ['unshare', 'clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: ['unshare', 'clone'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' }] },
  ]);
  assert.deepEqual(f.syscalls.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  const admin = convertSeccompProfile(PROFILE, { arch: 'amd64', capabilities: ['CAP_SYS_ADMIN'] });
  assert.deepEqual(admin.syscalls[0]!.names, ['read', 'write', 'clone', 'clone3', 'unshare']);
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

test('on Debian\'s profile: the same rules as the jq converter of runtime-notes §4, plus the gap rules', { skip: !haveReference && 'needs jq and /usr/share/containers/seccomp.json on x86_64' }, () => {
  const caps = [...DOCKER_DEFAULT_CAPABILITIES];
  const reference = JSON.parse(execFileSync('jq', ['--argjson', 'caps', JSON.stringify(caps), JQ_CONVERTER, SECCOMP_PROFILE_PATH], { encoding: 'utf8' })) as ReturnType<typeof convertSeccompProfile>;
  const ours = convertSeccompProfile(JSON.parse(readFileSync(SECCOMP_PROFILE_PATH, 'utf8')), { arch: 'amd64', capabilities: caps, compatArchitectures: true });
  const gated = new Set(['clone', 'clone3', 'unshare']);
  const expected = reference.syscalls.map((r) => ({
    names: r.args && r.args.length > 0 ? r.names : r.names.filter((n) => !(r.action === 'SCMP_ACT_ALLOW' && gated.has(n))),
    action: r.action,
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...(r.args && r.args.length > 0 ? { args: r.args } : {}),
  }));
  assert.deepEqual(ours.syscalls.slice(0, expected.length), expected);
  assert.equal(ours.syscalls.length, expected.length + 3);
  assert.deepEqual([ours.defaultAction, ours.defaultErrnoRet, ours.architectures], [reference.defaultAction, reference.defaultErrnoRet, reference.architectures]);
  assert.ok(names(ours).length > 400, `${names(ours).length} names`);
});
