/**
 * Resource settings from an ECS container definition: cpu units → cpu.shares, memory
 * (hard) and memoryReservation (soft) → memory cgroup, ulimits → rlimits clamped to what
 * the agent itself may grant, and the device cgroup allow list.
 */

import { ContainerConfigError } from './errors.ts';
import type { OciDeviceRule, OciResources, OciRlimit } from './oci-spec.ts';

/**
 * cpu.shares for a container without cpu units (or 0, or 1): the ECS agent gives 2, the
 * kernel's minimum (cgroup v1 `MIN_SHARES`), so such containers yield to any with a reservation.
 */
export const MIN_CPU_SHARES = 2;
/** The kernel's maximum for cpu.shares (cgroup v1 `MAX_SHARES`). */
export const MAX_CPU_SHARES = 262144;
/** Docker refuses memory limits under 6 MiB ("Minimum memory limit allowed is 6MB"): the runtime itself needs that much. */
export const MIN_MEMORY_MIB = 6;
const MIB = 1024 * 1024;

/** ECS ulimit names → OCI rlimit types. */
export const ULIMIT_TYPES: Readonly<Record<string, string>> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS', memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/**
 * Open files when the definition sets no `nofile` ulimit: Fargate's documented default
 * (soft and hard 65535). Clamped like any other ulimit.
 */
export const DEFAULT_NOFILE = 65535;

/** A limit pair as getrlimit reports it; `Infinity` for unlimited. */
export interface HostRlimit { readonly soft: number; readonly hard: number }

export interface Ulimit { readonly name: string; readonly softLimit: number; readonly hardLimit: number }

/** The CFS period a CPU limit is expressed in (the kernel's default, and the kubelet's: 100 ms). */
export const CPU_PERIOD_US = 100_000;
/** CPU units per CPU, as ECS counts them (Kubernetes' 1000m = 1024 units). */
export const CPU_UNITS_PER_CPU = 1024;
/** The kernel's least CFS quota (1 ms): a smaller one is refused. */
export const MIN_CPU_QUOTA_US = 1000;

/**
 * A CPU limit in units as a CFS quota over {@link CPU_PERIOD_US}: units/1024 CPUs' worth
 * of each period, never under the kernel's least (as the kubelet's milliCPUToQuota).
 */
export function cpuQuota(cpuUnits: number): { quota: number; period: number } {
  if (!Number.isInteger(cpuUnits) || cpuUnits <= 0) throw new ContainerConfigError(`cpu limit ${cpuUnits} must be a whole number of CPU units above 0 (1024 per core)`);
  return { quota: Math.max(MIN_CPU_QUOTA_US, Math.round((cpuUnits / CPU_UNITS_PER_CPU) * CPU_PERIOD_US)), period: CPU_PERIOD_US };
}

export function cpuShares(cpuUnits: number | undefined): number {
  const units = cpuUnits ?? 0;
  if (!Number.isInteger(units) || units < 0) throw new ContainerConfigError(`cpu ${cpuUnits} must be a whole number of CPU units (1024 per core)`);
  return Math.min(Math.max(units, MIN_CPU_SHARES), MAX_CPU_SHARES);
}

export function memoryLimits(memory: number | undefined, reservation: number | undefined): OciResources['memory'] {
  const check = (v: number | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v < MIN_MEMORY_MIB) throw new ContainerConfigError(`${field} ${v} must be a whole number of MiB, at least ${MIN_MEMORY_MIB}`);
    return v * MIB;
  };
  const limit = check(memory, 'memory');
  const soft = check(reservation, 'memoryReservation');
  if (limit !== undefined && soft !== undefined && soft > limit) {
    throw new ContainerConfigError(`memoryReservation ${reservation} MiB is above memory ${memory} MiB: the soft limit must not exceed the hard limit`);
  }
  if (limit === undefined && soft === undefined) return undefined;
  return { ...(limit !== undefined ? { limit } : {}), ...(soft !== undefined ? { reservation: soft } : {}) };
}

/**
 * rlimits for the container. A value above the agent's own hard limit would make the
 * runtime fail to start the container (setrlimit needs CAP_SYS_RESOURCE, which the agent
 * may lack: runtime-notes §0), so each value is clamped to it and a warning says so.
 */
export function rlimits(ulimits: readonly Ulimit[] | undefined, host: Readonly<Record<string, HostRlimit>>, warnings: string[]): OciRlimit[] {
  const wanted = new Map<string, { soft: number; hard: number; asked: boolean }>();
  wanted.set('RLIMIT_NOFILE', { soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE, asked: false });
  for (const u of ulimits ?? []) {
    const type = ULIMIT_TYPES[u.name];
    if (type === undefined) throw new ContainerConfigError(`unknown ulimit ${JSON.stringify(u.name)}: use one of ${Object.keys(ULIMIT_TYPES).join(', ')}`);
    for (const v of [u.softLimit, u.hardLimit]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new ContainerConfigError(`ulimit ${u.name}: limits must be whole numbers from 0 to ${Number.MAX_SAFE_INTEGER}, got ${v}`);
    }
    if (u.softLimit > u.hardLimit) throw new ContainerConfigError(`ulimit ${u.name}: softLimit ${u.softLimit} is above hardLimit ${u.hardLimit}`);
    wanted.set(type, { soft: u.softLimit, hard: u.hardLimit, asked: true });
  }
  const out: OciRlimit[] = [];
  for (const [type, w] of wanted) {
    const ceiling = host[type]?.hard ?? Infinity;
    const hard = Math.min(w.hard, ceiling);
    const soft = Math.min(w.soft, hard);
    // Only what the definition asked for is worth a warning; the default is clamped quietly.
    if (hard < w.hard && w.asked) warnings.push(`${type} lowered from ${w.soft}:${w.hard} to ${soft}:${hard}, the agent's own hard limit (raising it needs CAP_SYS_RESOURCE)`);
    out.push({ type, soft, hard });
  }
  return out;
}

/**
 * Device cgroup rules: deny everything, then allow what Docker allows by default —
 * mknod of any node (using one still needs an allow rule), the standard character
 * devices, pseudo-terminals and /dev/net/tun.
 */
export function defaultDeviceRules(): OciDeviceRule[] {
  const c = (major: number, minor: number | undefined): OciDeviceRule => ({ allow: true, type: 'c', major, ...(minor !== undefined ? { minor } : {}), access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), c(1, 5), c(1, 7), c(1, 8), c(1, 9), // null zero full random urandom
    c(5, 0), c(5, 1), c(5, 2), // tty console ptmx
    c(136, undefined), // pts/*
    c(10, 200), // net/tun
  ];
}
