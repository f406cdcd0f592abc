/**
 * Linux capabilities: names, Docker's default set, and ECS `linuxParameters.capabilities`
 * (add/drop, "ALL") applied the way Docker applies `--cap-add`/`--cap-drop`, which is
 * what ECS hands them to.
 */

import { ContainerConfigError } from './errors.ts';

/** Every capability by its bit number (linux/capability.h, up to 6.x). */
export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/**
 * Docker's default set (moby `oci/caps/defaults.go`), the set ECS containers get on EC2.
 * As a `CapEff` mask: 00000000a80425fb.
 */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';

/** `sys_admin`, `SYS_ADMIN` and `CAP_SYS_ADMIN` all name CAP_SYS_ADMIN; "ALL" stays "ALL". */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === ALL) return ALL;
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!CAPABILITIES.includes(full)) {
    throw new ContainerConfigError(`unknown capability ${JSON.stringify(name)} in linuxParameters.capabilities: use a Linux capability name such as NET_ADMIN or SYS_PTRACE, or ALL`);
  }
  return full;
}

export interface CapabilityChanges {
  readonly add?: readonly string[];
  readonly drop?: readonly string[];
}

/**
 * The capability set of a container, sorted by bit number:
 * - add contains ALL: every capability except those dropped;
 * - drop contains ALL: exactly the added ones;
 * - otherwise: the defaults less the dropped ones, plus the added ones.
 * Then anything the agent itself does not hold (`hostBounding`) is left out, since no
 * runtime can grant it; each such omission is reported in `missing`.
 */
export function resolveCapabilities(changes: CapabilityChanges, privileged: boolean, hostBounding: readonly string[]): { caps: string[]; missing: string[] } {
  const add = (changes.add ?? []).map(normalizeCapability);
  const drop = (changes.drop ?? []).map(normalizeCapability);
  let wanted: Set<string>;
  if (privileged || add.includes(ALL)) {
    wanted = new Set(CAPABILITIES.filter((c) => privileged || !drop.includes(c)));
  } else if (drop.includes(ALL)) {
    wanted = new Set(add);
  } else {
    wanted = new Set([...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add]);
  }
  const caps = CAPABILITIES.filter((c) => wanted.has(c) && hostBounding.includes(c));
  // Privileged or ALL means "everything the host can give"; only explicit asks are reported.
  const explicit = privileged || add.includes(ALL) ? [] : [...wanted];
  return { caps, missing: explicit.filter((c) => !hostBounding.includes(c)) };
}

/** Capability names from a `/proc/<pid>/status` mask line value such as `000001fffeffffff`. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim()}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The `/proc/<pid>/status` mask of a set of capability names (16 hex digits). */
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = CAPABILITIES.indexOf(c);
    if (bit < 0) throw new Error(`unknown capability ${c}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}
