/**
 * Reads what the spec builder needs to know about the agent's own process and host:
 * rlimits, oom_score_adj, bounding capabilities, resolv.conf, the init binary, and the
 * seccomp profile (converted once per capability set, then cached).
 */

import { readFileSync, existsSync } from 'node:fs';
import { ociArchitecture } from '../../oci/media-types.ts';
import { capabilitiesFromMask } from './capabilities.ts';
import { RuntimeUnavailableError } from './errors.ts';
import type { OciSeccomp } from './oci-spec.ts';
import type { HostRlimit } from './resources.ts';
import { convertSeccompProfile } from './seccomp.ts';
import type { HostFacts } from './spec-input.ts';

/** Debian's copy of the containers seccomp profile (package golang-github-containers-common). */
export const SECCOMP_PROFILE_PATH = '/usr/share/containers/seccomp.json';
/** Where Debian's catatonit package puts its static binary; the second is podman's path for it. */
export const INIT_BINARY_CANDIDATES: readonly string[] = ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit'];

/** /proc/self/limits row titles → OCI rlimit types. */
const LIMIT_ROWS: Readonly<Record<string, string>> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Parses /proc/<pid>/limits (Node has no getrlimit). */
export function parseProcLimits(text: string): Record<string, HostRlimit> {
  const out: Record<string, HostRlimit> = {};
  for (const line of text.split('\n')) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const type = m && LIMIT_ROWS[m[1]!];
    if (!m || !type) continue;
    const value = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    out[type] = { soft: value(m[2]!), hard: value(m[3]!) };
  }
  return out;
}

/** The host's /etc/resolv.conf text ('' when there is none: the fallback servers apply). */
export function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

export function readHostFacts(): HostFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
  return {
    rlimits: parseProcLimits(readFileSync('/proc/self/limits', 'utf8')),
    oomScoreAdj: Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()),
    capabilityBounding: capabilitiesFromMask(capBnd),
    resolvConf: readResolvConf(),
    initBinary: INIT_BINARY_CANDIDATES.find((p) => existsSync(p)),
    arch: ociArchitecture(process.arch),
  };
}

/**
 * A seccomp converter over the profile at `path`, memoized by capability set (conversion
 * walks ~400 names; most containers share the default set). Throws a
 * {@link RuntimeUnavailableError} naming the package when the profile is missing:
 * containers never silently run without a filter.
 */
export function seccompConverter(arch: string, path = SECCOMP_PROFILE_PATH, compatArchitectures = process.env.BERTH_SECCOMP_COMPAT_ARCHES === '1'): (caps: readonly string[]) => OciSeccomp {
  let profile: unknown;
  const cache = new Map<string, OciSeccomp>();
  return (caps) => {
    if (profile === undefined) {
      if (!existsSync(path)) throw new RuntimeUnavailableError(`the seccomp profile ${path}`, 'golang-github-containers-common');
      profile = JSON.parse(readFileSync(path, 'utf8'));
    }
    const key = [...caps].sort().join(',');
    let filter = cache.get(key);
    if (filter === undefined) {
      filter = convertSeccompProfile(profile, { arch, capabilities: caps, compatArchitectures });
      cache.set(key, filter);
    }
    return filter;
  };
}
