/**
 * Writes a container's bundle into its state directory: gathers what the pure spec
 * builder needs from the host and the image (users, devices, host facts), builds the
 * spec, and writes config.json and the generated /etc files.
 */

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerConfigError } from './errors.ts';
import { readHostFacts, readResolvConf, seccompConverter } from './host-facts.ts';
import type { OciSeccomp } from './oci-spec.ts';
import { readRootfsFile } from './rootfs-read.ts';
import { buildSpec, type BuiltSpec } from './spec.ts';
import type { HostFacts, LinuxParameters, ResolvedDevice, SpecInput } from './spec-input.ts';
import { statePaths, writeJsonAtomic } from './state-dir.ts';

let hostFacts: HostFacts | undefined;
let seccomp: ((caps: readonly string[]) => OciSeccomp) | undefined;

/**
 * Host facts and the seccomp converter, read once per process: the agent's limits and
 * capabilities do not change while it runs. resolv.conf can (DHCP, VPN), so it is read
 * for every container.
 */
export function hostContext(): { host: HostFacts; seccomp: (caps: readonly string[]) => OciSeccomp } {
  hostFacts ??= readHostFacts();
  seccomp ??= seccompConverter(hostFacts.arch);
  return { host: { ...hostFacts, resolvConf: readResolvConf() }, seccomp };
}

export type BundleInput = Omit<SpecInput, 'etcDir' | 'host' | 'users' | 'seccomp' | 'devices'>;

export function writeBundle(stateDir: string, input: BundleInput): BuiltSpec {
  const paths = statePaths(stateDir, input.id);
  const { host, seccomp } = hostContext();
  const built = buildSpec({
    ...input,
    etcDir: paths.etcDir,
    host,
    seccomp,
    users: { passwd: readRootfsFile(input.rootfsPath, '/etc/passwd'), group: readRootfsFile(input.rootfsPath, '/etc/group') },
    devices: resolveDevices(input.definition.linuxParameters?.devices),
  });
  mkdirSync(paths.etcDir, { recursive: true });
  writeFileSync(join(paths.etcDir, 'hosts'), built.etc.hosts);
  writeFileSync(join(paths.etcDir, 'hostname'), built.etc.hostname);
  writeFileSync(join(paths.etcDir, 'resolv.conf'), built.etc.resolvConf);
  writeJsonAtomic(paths.config, built.spec);
  return built;
}

const ACCESS: Readonly<Record<string, string>> = { read: 'r', write: 'w', mknod: 'm' };

/** ECS `linuxParameters.devices` → device nodes with their numbers, from stat of the host path. */
export function resolveDevices(devices: LinuxParameters['devices']): ResolvedDevice[] {
  return (devices ?? []).map((d) => {
    const hostPath = d.hostPath ?? '';
    let st;
    try {
      st = statSync(hostPath, { bigint: true });
    } catch {
      throw new ContainerConfigError(`device ${JSON.stringify(hostPath)} does not exist on this host`);
    }
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (type === undefined) throw new ContainerConfigError(`device ${JSON.stringify(hostPath)} is not a character or block device`);
    const access = (d.permissions ?? ['read', 'write', 'mknod']).map((p) => {
      const a = ACCESS[p];
      if (a === undefined) throw new ContainerConfigError(`device ${hostPath}: permission ${JSON.stringify(p)} must be read, write or mknod`);
      return a;
    }).join('');
    const containerPath = d.containerPath ?? hostPath;
    if (!containerPath.startsWith('/dev/')) throw new ContainerConfigError(`device containerPath ${JSON.stringify(containerPath)} must be under /dev/`);
    return {
      path: containerPath, type, access,
      ...deviceNumbers(st.rdev),
      fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid),
    };
  });
}

/** glibc's major()/minor() of a dev_t. */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}
