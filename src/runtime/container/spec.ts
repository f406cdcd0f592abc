/**
 * Builds the OCI runtime config (config.json) of one container from its image config and
 * ECS container definition. Pure: the host's facts, the image's user database and the
 * seccomp converter come in through {@link SpecInput}.
 *
 * Security defaults are Docker's or stricter: Docker's capability set, no_new_privs, the
 * containers seccomp profile made as strict as Docker's default (seccomp-parity.ts),
 * Docker's masked and read-only /proc paths, read-only /sys, a device allow list.
 * `privileged` lifts all of them, as in Docker.
 */

import { posix } from 'node:path';
import { resolveCapabilities } from './capabilities.ts';
import { ContainerConfigError } from './errors.ts';
import { etcFiles, type EtcFiles } from './etc-files.ts';
import { bindMounts, etcMounts, initMount, INIT_PATH_IN_CONTAINER, shmSize, standardMounts, tmpfsMounts } from './mounts.ts';
import { OCI_VERSION, type OciDeviceRule, type OciNamespace, type OciSpec } from './oci-spec.ts';
import { cpuQuota, cpuShares, defaultDeviceRules, memoryLimits, rlimits } from './resources.ts';
import { normalizeSignal } from './signals.ts';
import type { ContainerFields, SpecInput } from './spec-input.ts';
import { resolveUser } from './user.ts';

/** Docker's PATH for images that set none. */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's masked paths (moby `oci/defaults.go`): kernel state a container must not read. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
/**
 * Masked beyond Docker's list: /proc/key-users counts the keys and key bytes of every
 * user on the host (root's included), which keyrings, not being namespaced, would show
 * from any container.
 */
export const BERTH_MASKED_PATHS: readonly string[] = ['/proc/key-users'];
/** Docker's read-only paths: kernel tunables a container must not change. */
export const READONLY_PATHS: readonly string[] = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Sysctls that belong to a container's own namespaces (Docker's `ValidateSysctl` list). */
const NAMESPACED_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
const NAMESPACED_SYSCTL_PREFIXES = ['fs.mqueue.', 'net.'];

/** The container's OOM score never goes below Docker's 0, nor below the agent's own (lowering it needs CAP_SYS_RESOURCE: runtime-notes §0). */
export const MIN_OOM_SCORE_ADJ = 0;

export interface BuiltSpec {
  readonly spec: OciSpec;
  /** Files to write into `etcDir` before the container is created. */
  readonly etc: EtcFiles;
  /** The signal `stop` sends first (the image's StopSignal, else SIGTERM). */
  readonly stopSignal: string;
  /** Settings that were adjusted or ignored, each with its reason. */
  readonly warnings: string[];
}

export function buildSpec(input: SpecInput): BuiltSpec {
  const def = input.definition;
  const image = input.image ?? {};
  const lp = def.linuxParameters ?? {};
  const privileged = def.privileged === true;
  const warnings: string[] = [];
  if (!input.cgroupsPath.startsWith('/')) throw new ContainerConfigError(`cgroupsPath ${input.cgroupsPath} must be absolute: runc and crun place relative paths differently`);

  const user = resolveUser(def.user ?? image.User, input.users);
  const hostname = def.hostname ?? input.defaultHostname;
  const terminal = def.pseudoTerminal === true;
  const env = environment(image.Env ?? [], def.environment ?? [], hostname, user.home, terminal);
  let args = commandLine(image.Entrypoint, image.Cmd, def);
  const mounts = [...standardMounts({ privileged, shmMib: shmSize(lp.sharedMemorySize) })];
  if (lp.initProcessEnabled) {
    if (input.host.initBinary === undefined) throw new ContainerConfigError('initProcessEnabled needs an init binary: install the Debian package catatonit (apt-get install catatonit)');
    mounts.push(initMount(input.host.initBinary));
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
  }
  mounts.push(...tmpfsMounts(lp.tmpfs), ...etcMounts(input.etcDir, def.readonlyRootFilesystem === true), ...bindMounts(input.mounts));

  const { caps, missing } = resolveCapabilities(lp.capabilities ?? {}, privileged, input.host.capabilityBounding);
  if (missing.length > 0) warnings.push(`capabilities ${missing.join(', ')} left out: the agent itself does not hold them`);
  if (lp.maxSwap !== undefined || lp.swappiness !== undefined) warnings.push('maxSwap and swappiness ignored: this host has no swap, and containers get none');
  for (const o of def.dockerSecurityOptions ?? []) {
    if (o !== 'no-new-privileges') warnings.push(`dockerSecurityOptions ${JSON.stringify(o)} ignored: only no-new-privileges is supported (and is always on)`);
  }

  const network = def.disableNetworking ? { mode: 'none' as const } : input.network;
  const namespaces: OciNamespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (network.mode === 'namespace') namespaces.push({ type: 'network', path: network.path });
  else if (network.mode === 'none') namespaces.push({ type: 'network' });
  const userns = input.userNamespace;
  if (userns) namespaces.push({ type: 'user' });
  const idMap = userns && [{ containerID: 0, hostID: userns.hostId, size: userns.size }];

  const deviceRules: OciDeviceRule[] = privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules();
  for (const d of input.devices ?? []) {
    if (d.type === 'b' || d.type === 'c') deviceRules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access });
  }
  const memory = memoryLimits(def.memory, def.memoryReservation);

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      // On a terminal conmon (-t) receives the pty's master side from the runtime over its console socket.
      terminal,
      user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: [...user.additionalGids] } : {}) },
      args,
      env,
      cwd: workingDirectory(def.workingDirectory ?? image.WorkingDir),
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(def.ulimits, input.host.rlimits, warnings),
      noNewPrivileges: !privileged,
      oomScoreAdj: Math.max(MIN_OOM_SCORE_ADJ, input.host.oomScoreAdj),
    },
    root: { path: input.rootfsPath, readonly: def.readonlyRootFilesystem === true },
    hostname,
    mounts,
    linux: {
      namespaces,
      ...(idMap && { uidMappings: idMap, gidMappings: idMap.map((m) => ({ ...m })) }),
      cgroupsPath: input.cgroupsPath,
      resources: { devices: deviceRules, cpu: { shares: cpuShares(def.cpu), ...(def.cpuLimit !== undefined && cpuQuota(def.cpuLimit)) }, ...(memory ? { memory } : {}) },
      ...(input.devices && input.devices.length > 0 ? { devices: input.devices.map(({ access: _, ...d }) => d) } : {}),
      ...(privileged ? {} : { seccomp: input.seccomp(caps), maskedPaths: [...MASKED_PATHS, ...BERTH_MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
      ...sysctls(def.systemControls, network.mode === 'host'),
    },
  };
  const labels = def.dockerLabels ?? {};
  if (Object.keys(labels).length > 0) spec.annotations = { ...labels };

  const etc = etcFiles({
    hostname,
    addresses: network.mode === 'namespace' ? network.addresses : undefined,
    extraHosts: def.extraHosts,
    dnsServers: def.dnsServers,
    dnsSearchDomains: def.dnsSearchDomains,
    dnsOptions: def.dnsOptions,
    hostResolvConf: input.host.resolvConf,
    hostNetwork: network.mode === 'host',
  });
  return { spec, etc, stopSignal: normalizeSignal(image.StopSignal), warnings };
}

/**
 * Docker's rule, which ECS inherits: an `entryPoint` replaces the image's Entrypoint and
 * drops its Cmd; a `command` replaces the Cmd. Empty lists count as unset.
 */
export function commandLine(imageEntrypoint: readonly string[] | null | undefined, imageCmd: readonly string[] | null | undefined, def: Pick<ContainerFields, 'entryPoint' | 'command'>): string[] {
  const entryOverride = def.entryPoint !== undefined && def.entryPoint.length > 0;
  const entry = entryOverride ? def.entryPoint! : imageEntrypoint ?? [];
  const cmd = def.command !== undefined && def.command.length > 0 ? def.command : entryOverride ? [] : imageCmd ?? [];
  const args = [...entry, ...cmd];
  if (args.length === 0) throw new ContainerConfigError('no command to run: the image has no Entrypoint or Cmd, and the container definition sets neither entryPoint nor command');
  return args;
}

/** What a container on a terminal gets as TERM when its image and definition set none: Docker's and containerd's `xterm`. */
export const DEFAULT_TERM = 'xterm';

/** Image Env, overridden by the definition's `environment` by name; PATH, HOSTNAME and HOME when missing, and TERM on a terminal. */
export function environment(imageEnv: readonly string[], defEnv: readonly { name?: string; value?: string }[], hostname: string, home: string, terminal = false): string[] {
  const vars = new Map<string, string>();
  const set = (name: string, value: string) => {
    if (name === '' || name.includes('=') || name.includes('\0') || value.includes('\0')) throw new ContainerConfigError(`environment variable ${JSON.stringify(name)} has an invalid name or value`);
    vars.set(name, value);
  };
  for (const e of imageEnv) {
    const i = e.indexOf('=');
    set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1));
  }
  for (const e of defEnv) set(e.name ?? '', e.value ?? '');
  const out = [...vars].map(([k, v]) => `${k}=${v}`);
  if (!vars.has('PATH')) out.unshift(DEFAULT_PATH);
  if (!vars.has('HOSTNAME')) out.push(`HOSTNAME=${hostname}`);
  if (!vars.has('HOME')) out.push(`HOME=${home}`);
  if (terminal && !vars.has('TERM')) out.push(`TERM=${DEFAULT_TERM}`);
  return out;
}

function workingDirectory(dir: string | undefined): string {
  if (dir === undefined || dir === '') return '/';
  if (!dir.startsWith('/')) throw new ContainerConfigError(`workingDirectory ${JSON.stringify(dir)} must be an absolute path`);
  return posix.normalize(dir).replace(/(.)\/+$/, '$1');
}

function sysctls(controls: ContainerFields['systemControls'], hostNetwork: boolean): { sysctl?: Record<string, string> } {
  if (!controls || controls.length === 0) return {};
  const out: Record<string, string> = {};
  for (const c of controls) {
    const name = c.namespace ?? '';
    const namespaced = NAMESPACED_SYSCTLS.includes(name) || NAMESPACED_SYSCTL_PREFIXES.some((p) => name.startsWith(p));
    if (!namespaced) throw new ContainerConfigError(`systemControls ${JSON.stringify(name)} is not namespaced: only ${[...NAMESPACED_SYSCTLS, ...NAMESPACED_SYSCTL_PREFIXES.map((p) => `${p}*`)].join(', ')} can be set per container`);
    if (hostNetwork && name.startsWith('net.')) throw new ContainerConfigError(`systemControls ${name}: net.* cannot be set in host network mode, it would change the host`);
    out[name] = c.value ?? '';
  }
  return { sysctl: out };
}
