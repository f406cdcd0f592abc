/**
 * Converts a containers/Docker seccomp profile (Debian's /usr/share/containers/seccomp.json,
 * package golang-github-containers-common) into an OCI `linux.seccomp` filter for one
 * architecture and one capability set.
 *
 * The profile format has `archMap` and per-rule `includes`/`excludes` by capability and
 * architecture; OCI has neither, so the rules that apply are picked here (runtime-notes §4).
 * Then, wherever Docker's default profile is stricter, its rule replaces Debian's
 * (seccomp-parity.ts, compared in seccomp.md): among others keyctl, add_key and
 * request_key are refused (the host's keyrings are not namespaced), and without
 * CAP_SYS_ADMIN unshare and mount are refused and clone may make no namespace (Debian's
 * profile allows a default container to make a user namespace and hold every capability
 * inside it). clone3 then gets ENOSYS: seccomp cannot look inside clone3's struct, and
 * ENOSYS makes libc fall back to clone.
 *
 * The filter covers the native architecture only, unless asked for the profile's
 * compatibility ones too (x86 and x32 beside x86_64, arm beside aarch64). libseccomp
 * compiles the filter at every container create, and the two extra x86 tables cost
 * ~12 ms of CPU per create on top of ~3 ms (measured: 40 `crun run` of /bin/true, 24.5
 * against 12.8 ms each, 10 ms with no filter): a fifth of the CPU of a whole task start.
 * Without them a 32-bit syscall kills the process (libseccomp's bad-architecture action),
 * which is also the stricter choice: the 32-bit syscall ABI is attack surface most images
 * never use. An agent that must run 32-bit binaries sets BERTH_SECCOMP_COMPAT_ARCHES=1.
 */

import type { OciSeccomp, OciSyscallArg, OciSyscallRule } from './oci-spec.ts';
import { withDockerParity } from './seccomp-parity.ts';

export { CLONE_NEWUSER } from './seccomp-parity.ts';

/** Go architecture names (as the profile's `includes.arches` uses them) → libseccomp's name of the native arch. */
const SECCOMP_ARCH: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
};

interface ProfileRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: OciSyscallArg[] | null;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string } | null;
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string } | null;
}

interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls: ProfileRule[];
}

export interface SeccompOptions {
  /** Go architecture name (`amd64`, `arm64`): see `ociArchitecture` in src/oci. */
  readonly arch: string;
  /** The container's capability set, CAP_ names. */
  readonly capabilities: readonly string[];
  /** Also allow the profile's compatibility architectures (32-bit x86 and x32 on x86_64). */
  readonly compatArchitectures?: boolean;
}

/** The OCI filter for a container: the profile's rules that apply, with Docker's stricter ones in their place. Throws on a profile that is not in the containers/Docker format. */
export function convertSeccompProfile(raw: unknown, options: SeccompOptions): OciSeccomp {
  const picked = selectProfileRules(raw, options);
  return { ...picked, syscalls: withDockerParity(picked.syscalls, options.capabilities) };
}

/** The profile's rules that apply to the architecture and capabilities, as they are (for comparing profiles). */
export function selectProfileRules(raw: unknown, options: SeccompOptions): OciSeccomp {
  const profile = checkProfile(raw);
  const native = SECCOMP_ARCH[options.arch];
  if (native === undefined) throw new Error(`no seccomp architecture known for ${options.arch} (known: ${Object.keys(SECCOMP_ARCH).join(', ')})`);
  const entry = (profile.archMap ?? []).find((a) => a.architecture === native);
  const architectures = [native, ...(options.compatArchitectures ? entry?.subArchitectures ?? [] : [])];
  const caps = options.capabilities;
  const applies = (r: ProfileRule): boolean => {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if ((inc.arches ?? []).length > 0 && !inc.arches!.includes(options.arch)) return false;
    if ((exc.arches ?? []).includes(options.arch)) return false;
    if (!(inc.caps ?? []).every((c) => caps.includes(c))) return false;
    if ((exc.caps ?? []).some((c) => caps.includes(c))) return false;
    return true;
  };
  const syscalls: OciSyscallRule[] = profile.syscalls.filter(applies).map((r) => {
    const rule: OciSyscallRule = { names: r.names ?? (r.name ? [r.name] : []), action: r.action };
    if (typeof r.errnoRet === 'number') rule.errnoRet = r.errnoRet;
    const args = (r.args ?? []).map(({ index, value, valueTwo, op }) => ({ index, value, valueTwo: valueTwo ?? 0, op }));
    if (args.length > 0) rule.args = args;
    return rule;
  });
  return {
    defaultAction: profile.defaultAction,
    ...(typeof profile.defaultErrnoRet === 'number' ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    syscalls: syscalls.filter((r) => r.names.length > 0),
  };
}

function checkProfile(raw: unknown): Profile {
  const p = raw as Partial<Profile> | null;
  if (p === null || typeof p !== 'object' || typeof p.defaultAction !== 'string' || !Array.isArray(p.syscalls)) {
    throw new Error('not a containers/Docker seccomp profile: defaultAction and syscalls are required');
  }
  for (const r of p.syscalls) {
    if (typeof r !== 'object' || r === null || typeof r.action !== 'string' || !(Array.isArray(r.names) || typeof r.name === 'string')) {
      throw new Error(`not a containers/Docker seccomp profile: a syscall rule lacks names or action: ${JSON.stringify(r).slice(0, 200)}`);
    }
  }
  return p as Profile;
}
