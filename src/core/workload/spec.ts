/**
 * A task's spec: what should run. Written by the control plane only (the API, the placer,
 * the controllers); the agent receives it as its assignment and never writes it. Neutral:
 * ECS task definitions (with a run's overrides) and, next, Kubernetes pod specs both map
 * into it, so the agent runs either without knowing which front door made it. What only the
 * ECS views need is kept in the spec's `ecs` part (ecs.ts), not spread through it.
 *
 * Units are the runtime's: CPU in units (1024 to a CPU, ECS's and cgroup shares'), memory
 * in MiB, durations in seconds, times in epoch seconds.
 */
import type { EcsTaskFacts } from './ecs.ts';
import type { KubePodFacts } from './kube.ts';
import type { StopCode } from '../ecs/task-lifecycle.ts';

/** Where a task runs, chosen by the placer. */
export interface Placement {
  /** The container instance (worker node) that runs it; absent while it waits for capacity (Fargate Spot). */
  instanceArn?: string;
  availabilityZone?: string;
  /** The capacity provider whose instance runs it. */
  capacityProviderName?: string;
}

/**
 * How the task is networked (ECS network modes; a pod is `awsvpc`: its own address, every
 * container in one namespace, or `host` with hostNetwork).
 */
export interface NetworkSpec {
  mode: 'bridge' | 'host' | 'awsvpc' | 'none';
  /** Static host ports the task holds on its instance, "port/protocol" (placement reserved them). */
  reservedPorts: string[];
}

/** A task's size: what it reserves and what its boundary (a sandbox) is given. */
export interface TaskResources {
  /** What the placer reserved: CPU units and MiB (declared task size, else the containers' sum). */
  reserved: { cpu: number; memory: number };
  /** The task size as declared (definition or overrides), which the metadata endpoint reports; absent when none was. */
  declared?: { cpu?: number; memory?: number };
  /** The task's writable disk (Fargate's ephemeral storage), GiB. */
  ephemeralStorageGiB?: number;
}

/** One task volume, named by containers' mounts. */
export type VolumeSpec =
  /** A host directory, bound as it is (ECS `host.sourcePath`, Kubernetes `hostPath`). */
  | { name: string; hostPath: { path: string } }
  /**
   * A directory made for the task, shared by its containers and removed with it (an ECS
   * volume without a host path, its efs/docker configurations included, as Berth runs them
   * today; Kubernetes `emptyDir`).
   */
  | { name: string; scratch: Record<string, never> }
  /**
   * Files the control plane provides (Kubernetes configMap, secret, projected service
   * account token): written into a task directory before any container starts.
   */
  | { name: string; files: { items: FileItem[] } };

export interface FileItem {
  /** Relative path inside the volume (no `..`). */
  path: string;
  /** The file's bytes, base64. */
  content: string;
  /** Octal permission bits (Kubernetes defaultMode / mode); 0o644 when absent. */
  mode?: number;
  /**
   * A downwardAPI resourceFieldRef only a placed pod can answer (a limit the container does not
   * set reads as its node's allocatable): `content` is empty until the agent fills it in when the
   * container starts (core/kube/pod/placed-env.ts placedVolumes), as a kubelet writes it.
   */
  resourceField?: { container: string; resource: string; divisor?: string };
}

/** A mount of one of the task's volumes into a container (ECS mountPoints and volumesFrom, resolved; Kubernetes volumeMounts). */
export interface MountSpec {
  volume: string;
  path: string;
  readOnly: boolean;
  /** A path inside the volume to mount instead of its root (Kubernetes subPath). */
  subPath?: string;
}

export interface PortSpec {
  /** Absent only for an ECS port range (`containerPortRange`). */
  containerPort?: number;
  /** The host port it is published on (bridge: absent for a dynamic one). */
  hostPort?: number;
  protocol: 'tcp' | 'udp';
  name?: string;
  /** An ECS port range ("8000-8010"), kept as given. */
  containerPortRange?: string;
  appProtocol?: string;
}

/** Container resources: CPU units (1024 to a CPU) and MiB. */
export interface ContainerResources {
  /** CPU units reserved: cgroup shares (ECS `cpu`; Kubernetes requests.cpu, 1000m = 1024). */
  cpu: number;
  /** CPU units it may use at most, a CFS quota (Kubernetes limits.cpu; ECS has none per container). */
  cpuLimit?: number;
  /** Hard memory limit, MiB (ECS `memory`; Kubernetes limits.memory, rounded up to MiB). */
  memory?: number;
  /** Soft memory limit, MiB (ECS `memoryReservation`; Kubernetes requests.memory). */
  memoryReservation?: number;
}

/** The ECS (Docker) health check: `CMD`/`CMD-SHELL` argv, seconds; its result is the container's healthStatus. */
export interface HealthCheckSpec {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

/** What a Kubernetes probe runs. */
export type ProbeHandler =
  | { exec: { command: string[] } }
  | { httpGet: { path: string; port: number; host?: string; scheme: 'HTTP' | 'HTTPS'; headers: { name: string; value: string }[] } }
  | { tcpSocket: { port: number; host?: string } }
  | { grpc: { port: number; service?: string } };

/** A Kubernetes probe, with the API server's defaults filled in by the control plane. Seconds. */
export interface ProbeSpec {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** A liveness or startup probe's own grace period before the kill. */
  terminationGracePeriodSeconds?: number;
}

/** The subset of a security context Berth's runtime applies. */
export interface SecurityContext {
  /** "uid", "uid:gid", "name" or "name:group" as ECS takes it (Kubernetes runAsUser/runAsGroup become "uid:gid"). */
  user?: string;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  /** ECS dockerSecurityOptions as given ("no-new-privileges" is always in force; Kubernetes allowPrivilegeEscalation: false). */
  securityOptions?: string[];
}

/**
 * When a container that exits is started again, in place (ECS container restartPolicy;
 * Kubernetes restartPolicy). ECS's enabled policy is `Always` with its ignored exit codes and
 * attempt period; a Kubernetes one has no attempt period and backs off exponentially
 * instead (src/agent/restart-policy.ts).
 */
export interface RestartSpec {
  policy: 'Never' | 'OnFailure' | 'Always';
  /** Exit codes after which it is not restarted (ECS ignoredExitCodes). */
  ignoredExitCodes?: number[];
  /** ECS restartAttemptPeriod (300 when the definition gives none): it must run this long, since its start or last restart, to be restarted. */
  attemptPeriodSeconds?: number;
}

/**
 * Linux settings the runtime applies as given (ECS linuxParameters, ulimits, systemControls,
 * dockerLabels and the container's /etc files; Kubernetes sysctls and hostAliases map here).
 */
export interface LinuxSettings {
  initProcessEnabled?: boolean;
  sharedMemorySize?: number;
  tmpfs?: { containerPath: string; size: number; mountOptions?: string[] }[];
  devices?: { hostPath?: string; containerPath?: string; permissions?: string[] }[];
  maxSwap?: number;
  swappiness?: number;
  ulimits?: { name: string; softLimit: number; hardLimit: number }[];
  sysctls?: { namespace?: string; value?: string }[];
  labels?: Record<string, string>;
  hostname?: string;
  extraHosts?: { hostname?: string; ipAddress?: string }[];
  dnsServers?: string[];
  dnsSearchDomains?: string[];
  /** resolv.conf `options` (a pod's `ndots:5`, its dnsConfig.options); absent: the host's. Berth's own: ECS has none. */
  dnsOptions?: string[];
  /** No network at all, not even the task's (ECS disableNetworking). */
  disableNetworking?: boolean;
}

/** A log driver and its options (ECS logConfiguration; Kubernetes containers log to their file only). */
export interface LogSpec {
  driver: string;
  options?: Record<string, string>;
}

/** One container the agent runs: Berth's own neutral description of it. */
export interface ContainerSpec {
  name: string;
  image: string;
  /**
   * A Kubernetes init container: runs to completion before the task's other containers
   * (its order is expressed with `dependsOn` SUCCESS, as ECS would). ECS has none.
   */
  init?: boolean;
  /** Its exit stops the task (ECS essential). */
  essential: boolean;
  /** Replaces the image's ENTRYPOINT (ECS entryPoint; Kubernetes command). */
  entrypoint?: string[];
  /** Replaces the image's CMD (ECS command; Kubernetes args). */
  command?: string[];
  workingDir?: string;
  /** Values resolved by the control plane (overrides applied; Kubernetes valueFrom read). */
  env: { name: string; value: string }[];
  /** ECS environmentFiles: S3 objects the agent reads at start, merged under `env`. */
  envFiles?: { value: string; type: string }[];
  ports: PortSpec[];
  resources: ContainerResources;
  /** When it may start: other containers reaching START, COMPLETE, SUCCESS or HEALTHY (ECS dependsOn). */
  dependsOn?: { containerName: string; condition: string }[];
  healthCheck?: HealthCheckSpec;
  probes?: { liveness?: ProbeSpec; readiness?: ProbeSpec; startup?: ProbeSpec };
  restart?: RestartSpec;
  mounts: MountSpec[];
  security?: SecurityContext;
  linux?: LinuxSettings;
  /** Seconds between the stop signal and SIGKILL (ECS stopTimeout; Kubernetes terminationGracePeriodSeconds). */
  stopTimeout?: number;
  log?: LogSpec;
  /** Keep stdin open / allocate a terminal (ECS interactive / pseudoTerminal; Kubernetes stdin / tty). */
  stdin?: boolean;
  /** With `stdin`: the first attach that ends its input closes the container's stdin for good (Kubernetes stdinOnce); otherwise stdin stays open across attaches. */
  stdinOnce?: boolean;
  tty?: boolean;
}

/** What should run, and where. */
export interface TaskSpec {
  /** The task's id (32 hex digits): the ECS task id, the pod's uid. */
  id: string;
  /** +1 with each change of the spec. */
  generation: number;
  desiredStatus: 'RUNNING' | 'STOPPED';
  /** Why the control plane wants it stopped (StopTask, the service scheduler, a Spot interruption). */
  stop?: { code?: StopCode; reason?: string };
  /** Epoch seconds. */
  createdAt: number;
  /** ECS launch type; a Kubernetes pod matched by a Fargate profile is FARGATE (its own sandbox). */
  launchType: 'EC2' | 'FARGATE' | 'EXTERNAL';
  placement: Placement;
  network: NetworkSpec;
  resources: TaskResources;
  volumes: VolumeSpec[];
  containers: ContainerSpec[];
  /** Interactive commands may be run in its containers (ECS enableExecuteCommand; Kubernetes pods/exec is always allowed). */
  execEnabled: boolean;
  /** The ECS-only facts: its ARNs, definition, overrides, tags (ecs.ts). */
  ecs: EcsTaskFacts;
  /** A pod's metadata and spec as the Kubernetes API stored them (kube.ts); absent for an ECS task. */
  kube?: KubePodFacts;
}
