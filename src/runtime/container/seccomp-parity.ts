/**
 * Where Docker's default seccomp profile (moby `profiles/seccomp/default.json`) is
 * stricter than Debian's containers profile, Berth takes Docker's rule. seccomp.md has
 * the whole comparison, syscall by syscall, and why each difference is decided as it is;
 * `scripts/seccomp-compare.ts` prints it again from a Docker profile.
 *
 * Every refusal here is EPERM, as in Docker (its default errno): a program that probes
 * for a feature reads EPERM as "not allowed here" and ENOSYS as "no such kernel", and
 * Docker's answers are what images were written against. The converted profile keeps
 * ENOSYS as its default for syscalls nobody listed, which lets libc fall back from newer
 * syscalls (clone3, faccessat2) to older ones.
 */

import type { OciSyscallArg, OciSyscallRule } from './oci-spec.ts';

const EPERM = 1;
const ENOSYS = 38;
const ALLOW = 'SCMP_ACT_ALLOW';

/** linux/sched.h: the clone flags that make a new namespace. */
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
const NAMESPACE_FLAGS = [CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET];
/** All of them, 0x7e020000: Docker's mask for clone without CAP_SYS_ADMIN. */
export const CLONE_NAMESPACE_MASK = NAMESPACE_FLAGS.reduce((a, f) => a | f, 0);

/** linux/socket.h: the address families Docker's profile refuses (kernel crypto API, VM sockets). */
export const AF_ALG = 38;
export const AF_VSOCK = 40;

/**
 * Syscalls allowed only to a container holding one of `caps` (none: never), as in
 * Docker's default profile; Debian's profile allows each of them to every container.
 */
export interface Gate {
  readonly names: readonly string[];
  readonly caps: readonly string[];
}

export const DOCKER_GATES: readonly Gate[] = [
  // The host's keyrings are not namespaced: keyctl reaches the keys of the host user the
  // container's uid maps to (root's, for a root container), add_key and request_key make them.
  { names: ['add_key', 'keyctl', 'request_key'], caps: [] },
  // Docker refuses it even with CAP_SYS_ADMIN: a container has nothing to pivot.
  { names: ['pivot_root'], caps: [] },
  // Old calls Docker leaves out (i386's pre-rt signal calls and readdir, MIPS's syscall);
  // none exists on x86_64: they matter only with BERTH_SECCOMP_COMPAT_ARCHES=1.
  { names: ['readdir', 'sigaction', 'signal', 'sigpending', 'sigsuspend', 'syscall', 'timerfd'], caps: [] },
  {
    names: [
      'fsconfig', 'fsmount', 'fsopen', 'fspick', 'mount', 'mount_setattr', 'move_mount', 'open_tree',
      'quotactl_fd', 'setns', 'umount', 'umount2', 'unshare',
    ],
    caps: ['CAP_SYS_ADMIN'],
  },
  { names: ['syslog'], caps: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'] },
  { names: ['reboot'], caps: ['CAP_SYS_BOOT'] },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], caps: ['CAP_SYS_NICE'] },
  { names: ['pidfd_getfd'], caps: ['CAP_SYS_PTRACE'] },
];

/**
 * Applies Docker's stricter rules to the rules picked from a profile for one capability
 * set: the gates above, clone without namespace flags (clone3 ENOSYS, so that libc falls
 * back to clone, whose flags seccomp can read), and socket without AF_ALG and AF_VSOCK.
 */
export function withDockerParity(rules: readonly OciSyscallRule[], caps: readonly string[]): OciSyscallRule[] {
  const refused = new Set<string>();
  const granted = new Set<string>();
  for (const g of DOCKER_GATES) for (const n of g.names) (g.caps.some((c) => caps.includes(c)) ? granted : refused).add(n);
  const namespaces = !caps.includes('CAP_SYS_ADMIN');
  if (namespaces) for (const n of ['clone', 'clone3']) refused.add(n);

  let out = rules.map((r) => ({ ...r, names: r.names.filter((n) => !refused.has(n)) }));
  out = restrictSocketFamilies(out);
  const mentioned = new Set(out.flatMap((r) => r.names));
  const missing = [...granted].filter((n) => !mentioned.has(n));
  if (missing.length > 0) out.push({ names: missing, action: ALLOW });

  const gated = [...refused].filter((n) => n !== 'clone' && n !== 'clone3').sort();
  if (gated.length > 0) out.push({ names: gated, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM });
  if (namespaces) {
    // MASKED_EQ can test "all these bits clear" in one rule but "any set" only bit by bit.
    out.push({ names: ['clone'], action: ALLOW, args: [arg(0, 'SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_MASK, 0)] });
    for (const flag of NAMESPACE_FLAGS) out.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [arg(0, 'SCMP_CMP_MASKED_EQ', flag, flag)] });
    out.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return out.filter((r) => r.names.length > 0);
}

/**
 * socket(2) is allowed for every family but AF_ALG and AF_VSOCK, which get EPERM. Each
 * allow rule for socket is split in three (family below AF_ALG, between, above AF_VSOCK),
 * its own argument checks kept. libseccomp takes one comparison per argument in a rule,
 * so an allow rule that already tests the family is left out instead (Debian's profile has
 * one, `family != AF_NETLINK`, for containers without CAP_AUDIT_WRITE: such a container
 * then gets ENOSYS for a non-netlink socket whose protocol number is NETLINK_AUDIT's 9).
 */
function restrictSocketFamilies(rules: OciSyscallRule[]): OciSyscallRule[] {
  const out: OciSyscallRule[] = [];
  let hadSocket = false;
  for (const r of rules) {
    if (r.action !== ALLOW || !r.names.includes('socket')) {
      out.push(r);
      continue;
    }
    hadSocket = true;
    const rest = r.names.filter((n) => n !== 'socket');
    if (rest.length > 0) out.push({ ...r, names: rest });
    const own = r.args ?? [];
    if (own.some((a) => a.index === 0)) continue;
    for (const family of [arg(0, 'SCMP_CMP_LT', AF_ALG), arg(0, 'SCMP_CMP_EQ', AF_ALG + 1), arg(0, 'SCMP_CMP_GT', AF_VSOCK)]) {
      out.push({ names: ['socket'], action: ALLOW, args: [...own, family] });
    }
  }
  if (hadSocket) {
    for (const family of [AF_ALG, AF_VSOCK]) out.push({ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [arg(0, 'SCMP_CMP_EQ', family)] });
  }
  return out;
}

function arg(index: number, op: string, value: number, valueTwo = 0): OciSyscallArg {
  return { index, value, valueTwo, op };
}
