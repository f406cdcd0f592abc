/**
 * What the OCI spec builder is given. Everything the host or the image contributes comes
 * in as data (read by bundle.ts), so the builder itself is pure.
 */

import type { ContainerConfig } from '../../oci/media-types.ts';
import type { BindMount, TmpfsMount } from './mounts.ts';
import type { HostRlimit, Ulimit } from './resources.ts';
import type { OciDevice, OciSeccomp } from './oci-spec.ts';
import type { UserDatabase } from './user.ts';

/**
 * The ECS container definition fields the runtime reads (names and shapes as in the ECS
 * API reference). `ContainerDefinition` from src/core/ecs is accepted as is.
 */
export interface ContainerFields {
  readonly entryPoint?: readonly string[];
  readonly command?: readonly string[];
  readonly environment?: readonly { name?: string; value?: string }[];
  readonly workingDirectory?: string;
  readonly user?: string;
  readonly cpu?: number;
  /** Not ECS's: CPU units the container may use at most, a CFS quota (Kubernetes limits.cpu). */
  readonly cpuLimit?: number;
  readonly memory?: number;
  readonly memoryReservation?: number;
  readonly readonlyRootFilesystem?: boolean;
  readonly privileged?: boolean;
  readonly disableNetworking?: boolean;
  readonly linuxParameters?: LinuxParameters;
  readonly ulimits?: readonly Ulimit[];
  readonly hostname?: string;
  readonly extraHosts?: readonly { hostname?: string; ipAddress?: string }[];
  readonly dnsServers?: readonly string[];
  readonly dnsSearchDomains?: readonly string[];
  /** resolv.conf options (Berth's own, for pods: `ndots:5`); absent: the host's. */
  readonly dnsOptions?: readonly string[];
  readonly dockerLabels?: Readonly<Record<string, string>>;
  readonly dockerSecurityOptions?: readonly string[];
  readonly systemControls?: readonly { namespace?: string; value?: string }[];
  readonly pseudoTerminal?: boolean;
  /** Open the container's stdin (conmon -i): `kubectl attach -i`, the agent's attach, writes to it. */
  readonly interactive?: boolean;
  /** Not ECS's: with `interactive`, the first attach that ends its input closes stdin (Kubernetes stdinOnce); otherwise it stays open across attaches (conmon --leave-stdin-open). */
  readonly stdinOnce?: boolean;
}

export interface LinuxParameters {
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly devices?: readonly { hostPath?: string; containerPath?: string; permissions?: readonly string[] }[];
  readonly initProcessEnabled?: boolean;
  readonly sharedMemorySize?: number;
  readonly tmpfs?: readonly TmpfsMount[];
  readonly maxSwap?: number;
  readonly swappiness?: number;
}

/** How the container is networked; the network namespace itself is made elsewhere. */
export type NetworkSetting =
  | { readonly mode: 'namespace'; readonly path: string; readonly addresses?: readonly string[] }
  | { readonly mode: 'host' }
  /** A fresh network namespace with only a loopback device (ECS `none`, `disableNetworking`). */
  | { readonly mode: 'none' };

/** Facts about the agent's own process and host, read once (host-facts.ts). */
export interface HostFacts {
  /** getrlimit of the agent, by OCI type (RLIMIT_NOFILE, ...). */
  readonly rlimits: Readonly<Record<string, HostRlimit>>;
  /** The agent's own /proc/self/oom_score_adj. */
  readonly oomScoreAdj: number;
  /** The agent's bounding capability set (CAP_ names). */
  readonly capabilityBounding: readonly string[];
  /** The host's /etc/resolv.conf text. */
  readonly resolvConf: string;
  /** Host path of a static init (catatonit), when installed. */
  readonly initBinary?: string | undefined;
  /** Go architecture name of the host (amd64, arm64). */
  readonly arch: string;
}

/** A host device from `linuxParameters.devices`, with its node type and numbers (stat'ed by bundle.ts). */
export interface ResolvedDevice extends OciDevice {
  /** cgroup access: some of r, w, m. */
  readonly access: string;
}

export interface SpecInput {
  /** The runtime's container id. */
  readonly id: string;
  readonly rootfsPath: string;
  /** The image's config (`config` of the image configuration blob). */
  readonly image?: ContainerConfig | undefined;
  readonly definition: ContainerFields;
  /** Absolute cgroup path such as `/berth/<task>/<container>` (runtime-notes §1: relative paths differ between runtimes). */
  readonly cgroupsPath: string;
  readonly network: NetworkSetting;
  /** Hostname when the definition sets none. */
  readonly defaultHostname: string;
  readonly mounts?: readonly BindMount[] | undefined;
  readonly devices?: readonly ResolvedDevice[] | undefined;
  /** Host directory the generated hosts, hostname and resolv.conf are written to. */
  readonly etcDir: string;
  readonly host: HostFacts;
  /** The image's /etc/passwd and /etc/group. */
  readonly users: UserDatabase;
  /**
   * Run the container in its own user namespace: ids 0..size-1 inside are hostId.. outside
   * (runtime-notes §3; the userns boundary of a Fargate task where runsc cannot run).
   */
  readonly userNamespace?: { readonly hostId: number; readonly size: number } | undefined;
  /** The seccomp filter for a capability set (a memoized {@link convertSeccompProfile}). */
  readonly seccomp: (capabilities: readonly string[]) => OciSeccomp;
}
