/**
 * Pure: the OCI specs of a gVisor sandbox (runsc's multi-container mode, as CRI runtimes
 * drive it): a pause container that IS the sandbox (its process: catatonit -P, its
 * cgroup: the task's, with the task's cpu and memory), and the task's containers added
 * to it by annotation. Also the runsc command lines.
 */

import type { OciResources, OciSpec } from '../container/oci-spec.ts';
import { OCI_VERSION } from '../container/oci-spec.ts';
import { cpuQuota } from '../container/resources.ts';
import type { SandboxTask } from './types.ts';

/** runsc's multi-container annotations (the CRI's names, which runsc reads). */
export const CONTAINER_TYPE_ANNOTATION = 'io.kubernetes.cri.container-type';
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

/** Where the pause process is inside its own root filesystem. */
export const PAUSE_BINARY = '/catatonit';

/** The sandbox's id: the pause container's runtime id. */
export function sandboxId(taskId: string): string {
  return `${taskId}-sandbox`;
}

/** Task-level cpu and memory as cgroup limits on the whole sandbox (the Fargate task size). */
export function taskResources(cpuUnits: number | undefined, memoryMiB: number | undefined): OciResources {
  const r: OciResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (memoryMiB !== undefined && memoryMiB > 0) r.memory = { limit: memoryMiB * 1024 * 1024 };
  if (cpuUnits !== undefined && cpuUnits > 0) {
    r.cpu = { ...cpuQuota(cpuUnits), shares: cpuUnits };
  }
  return r;
}

/**
 * The task's CPU quota (its size in vCPUs over the container module's CPU_PERIOD_US), undefined when it
 * has no CPU size. The sandbox gets it once its first container runs (gvisor.ts), not at
 * create: the sandbox's own boot (its kernel, its file proxies, the first container's
 * mounts) is the platform's work, as a Fargate microVM's boot is AWS's; charged to a
 * 0.25 vCPU task it took half of the start in throttled waits (bench/README.md).
 */
export function taskCpuQuota(cpuUnits: number | undefined): { quotaUs: number; periodUs: number } | undefined {
  const cpu = taskResources(cpuUnits, undefined).cpu;
  return cpu?.quota !== undefined && cpu.period !== undefined ? { quotaUs: cpu.quota, periodUs: cpu.period } : undefined;
}

/** The CPU units the sandbox's quota is made from: the task size, or its containers' summed limits when lower. */
export function sandboxCpuUnits(task: Pick<SandboxTask, 'cpuUnits' | 'cpuLimitUnits'>): number | undefined {
  if (task.cpuLimitUnits === undefined) return task.cpuUnits;
  return task.cpuUnits === undefined || task.cpuUnits <= 0 ? task.cpuLimitUnits : Math.min(task.cpuUnits, task.cpuLimitUnits);
}

/** The sandbox's limits while it boots: the task's, less the CPU quota. */
function bootResources(cpuUnits: number | undefined, memoryMiB: number | undefined): OciResources {
  const r = taskResources(cpuUnits, memoryMiB);
  if (r.cpu) r.cpu = { shares: r.cpu.shares };
  return r;
}

/** What the pause spec takes of its task: the sandbox's input (types.ts), less what only the backend uses. */
export type PauseTask = Pick<SandboxTask, 'taskId' | 'cgroupPath' | 'netnsPath' | 'cpuUnits' | 'memoryMiB' | 'hostname'>;

/**
 * The sandbox's own container: nothing but a reaper, holding the task's namespaces and
 * limits. `rootfsPath`: the pause root filesystem (holds {@link PAUSE_BINARY}), read-only.
 */
export function pauseSpec(i: PauseTask, rootfsPath: string): OciSpec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [PAUSE_BINARY, '-P'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
      capabilities: { bounding: [], effective: [], permitted: [] },
      rlimits: [],
      noNewPrivileges: true,
    },
    root: { path: rootfsPath, readonly: true },
    hostname: i.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: [] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    annotations: { [CONTAINER_TYPE_ANNOTATION]: 'sandbox', [SANDBOX_ID_ANNOTATION]: sandboxId(i.taskId) },
    linux: {
      namespaces: [
        { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' },
        i.netnsPath ? { type: 'network', path: i.netnsPath } : { type: 'network' },
      ],
      cgroupsPath: i.cgroupPath,
      // The task's memory and CPU shares from the start; its CPU quota once it runs (taskCpuQuota).
      resources: bootResources(i.cpuUnits, i.memoryMiB),
    },
  };
}

/**
 * A task container's spec (from the container module's builder) made a member of the
 * sandbox: annotated, and in the sandbox's network namespace. Its own cgroup stays (runsc
 * makes it; the limits that count are the sandbox's). The seccomp filter is gVisor's
 * business (the Sentry filters the host syscalls it makes itself), so it is dropped rather
 * than ignored with a warning at every create. A `pseudoTerminal` / `tty: true` container runs
 * without one here (runsc would hand the pty's master to a console socket, and the sandbox's
 * containers have no conmon to take it); `kubectl attach` to it is refused by the agent.
 */
export function memberSpec(spec: OciSpec, taskId: string, netnsPath: string | undefined): OciSpec {
  const namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network' && n.type !== 'user');
  namespaces.push(netnsPath ? { type: 'network', path: netnsPath } : { type: 'network' });
  const { seccomp: _seccomp, ...linux } = spec.linux;
  return {
    ...spec,
    // No terminal in the sandbox: its members are not under conmon, so nothing would take
    // the pty's master side from runsc's console socket (the container runs on the log).
    process: { ...spec.process, terminal: false },
    annotations: { ...spec.annotations, [CONTAINER_TYPE_ANNOTATION]: 'container', [SANDBOX_ID_ANNOTATION]: sandboxId(taskId) },
    linux: { ...linux, namespaces },
  };
}

export interface RunscSettings {
  readonly binary: string;
  /** runsc's state directory (`--root`). */
  readonly root: string;
  /** systrap where the kernel allows (no ptrace cost); ptrace otherwise. */
  readonly platform: 'systrap' | 'ptrace';
}

/**
 * runsc's global flags for a task's create and start. `--network=sandbox`: gVisor's own
 * network stack, fed by the task's eth0 through a packet socket (the host never routes
 * the task's sockets). `--overlay2=root:dir=…`: the root filesystems' writable layers
 * live in a file store on the task's ephemeral disk, so its size bounds what they write.
 */
export function runscFlags(s: RunscSettings, ephemeralDir: string | undefined): string[] {
  return [
    '--root', s.root, `--platform=${s.platform}`, '--network=sandbox',
    ephemeralDir ? `--overlay2=root:dir=${ephemeralDir}` : '--overlay2=root:memory',
  ];
}

/**
 * The command that runs runsc where its root-namespace check passes. runsc 20240729 decides
 * "this is the host's network namespace" by whether /proc/sys/net/core/rmem_default
 * exists; since Linux made that sysctl per namespace it exists in every one, and runsc
 * refuses (`cannot run with network enabled in root network namespace`) whatever
 * namespace the task has. In a private mount namespace with an empty tmpfs over
 * /proc/sys/net the check sees no file. Only that one runsc process sees it; the
 * sandbox makes its own mount namespace and never reads the host's /proc/sys/net.
 */
export function hiddenNetSysctlCommand(unshare: string, runsc: string): string[] {
  return [unshare, '--mount', '--propagation', 'private', '/bin/sh', '-c',
    'mount -t tmpfs -o size=4k,mode=555 berth-no-net-sysctl /proc/sys/net && exec "$0" "$@"', runsc];
}
