/**
 * The task metadata endpoint's answers (v4 and v3): a view of the task the agent runs, as
 * the ECS container agent shapes it (developer guide, "Task metadata v4 JSON response",
 * "Task metadata v4 examples", and their v3 and Fargate pages). Field names and casing are
 * AWS's, PascalCase, unlike the ECS API's. Pure: every fact comes in as an argument.
 */
import type { ContainerSpec, TaskSpec } from '../../core/workload/spec.ts';
import type { TaskStatus } from '../../core/ecs/task-lifecycle.ts';
import type { ContainerNetwork, NetworkMode } from '../../runtime/network/types.ts';
import { streamName } from '../awslogs/options.ts';

export type MetadataVersion = 'v3' | 'v4';

/** One container as the runner knows it. */
export interface MetadataContainer {
  readonly spec: ContainerSpec;
  /** The ECS API's container ARN; absent only for a container the control plane never listed. */
  readonly containerArn?: string;
  /** The runtime's id of the container (Berth's DockerId and DockerName). */
  readonly runtimeId: string;
  /** The image config's digest (`sha256:…`): Docker's image id. */
  readonly imageId?: string;
  readonly knownStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  readonly exitCode?: number;
  /** Epoch ms. */
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly health?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  /** Times it was restarted: only for a container with a restart policy (v4's RestartCount). */
  readonly restartCount?: number;
  /** Its network as the network manager set it up; absent in host mode or before setup. */
  readonly network?: ContainerNetwork;
}

/** The network a task's awsvpc interface sits on (the host's vpc subnet). */
export interface SubnetFacts {
  readonly cidr: string;
  /** `172.30.224.1`. */
  readonly gateway: string;
  readonly prefixLength: number;
  readonly region: string;
}

/** The host's clock as the agent last measured it (ClockDrift). */
export interface ClockFacts {
  /** Milliseconds: the kernel's maximum error of the system clock. */
  readonly errorBoundMs: number;
  /** Epoch ms of the measurement. */
  readonly measuredAt: number;
  readonly synchronized: boolean;
}

export interface MetadataTask {
  readonly spec: TaskSpec;
  readonly family: string;
  readonly revision: number;
  /** Task-level cpu and memory of the definition (or overrides): CPU units and MiB. */
  readonly cpuUnits?: number;
  readonly memoryMiB?: number;
  readonly networkMode: NetworkMode;
  /** The status the agent has reached, not the one the control plane last recorded. */
  readonly knownStatus: TaskStatus;
  /** Epoch seconds, as the runner records them. */
  readonly pullStartedAt?: number;
  readonly pullStoppedAt?: number;
  readonly containers: readonly MetadataContainer[];
  readonly subnet?: SubnetFacts;
  /** awsvpc: the ENI attachment the network manager made (its MAC and private DNS name). */
  readonly eni?: { readonly details: readonly { readonly name: string; readonly value: string }[] };
  /** An EC2 host's VPC id (VPCID); Fargate tasks have none. */
  readonly vpcId?: string;
  readonly clock?: ClockFacts;
  /** Fargate: the task's ephemeral disk, MiB. */
  readonly ephemeral?: { readonly utilizedMiB: number; readonly reservedMiB: number };
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
/** `{ ...defined(x) }` drops members whose value is undefined, as the agent's JSON omits them. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The cluster as the agent names it: the short name on EC2, the ARN on Fargate (both v4 examples). */
function clusterOf(t: TaskSpec): string {
  const arn = t.ecs.clusterArn;
  return t.launchType === 'FARGATE' ? arn : arn.slice(arn.lastIndexOf('/') + 1);
}

/** `${ECS_CONTAINER_METADATA_URI_V4}`: one container. */
export function containerMetadata(m: MetadataTask, c: MetadataContainer, version: MetadataVersion): Record<string, unknown> {
  const def = c.spec;
  const log = def.log;
  const labels: Record<string, string> = {
    ...def.linux?.labels,
    'com.amazonaws.ecs.cluster': clusterOf(m.spec),
    'com.amazonaws.ecs.container-name': def.name,
    'com.amazonaws.ecs.task-arn': m.spec.ecs.taskArn,
    'com.amazonaws.ecs.task-definition-family': m.family,
    'com.amazonaws.ecs.task-definition-version': String(m.revision),
  };
  const ports = portsOf(m, c);
  const v4 = version === 'v4';
  return defined({
    DockerId: c.runtimeId,
    Name: def.name,
    DockerName: c.runtimeId,
    Image: def.image,
    ImageID: c.imageId,
    Ports: ports.length > 0 ? ports : undefined,
    Labels: labels,
    DesiredStatus: m.spec.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    KnownStatus: c.knownStatus,
    ExitCode: c.exitCode,
    Limits: defined({ CPU: def.resources.cpu, Memory: def.resources.memory ?? def.resources.memoryReservation }),
    CreatedAt: iso(c.createdAt),
    StartedAt: iso(c.startedAt),
    FinishedAt: iso(c.finishedAt),
    Type: 'NORMAL',
    ...(v4 && {
      LogDriver: log?.driver,
      LogOptions: logOptionsOf(m, c),
      ContainerARN: c.containerArn,
      Health: def.healthCheck !== undefined ? { status: c.health ?? 'UNKNOWN' } : undefined,
      // "Only present if a restart policy is enabled for the container" (task metadata v4).
      RestartCount: c.restartCount,
    }),
    Networks: networksOf(m, c, version),
  });
}

/** `${ECS_CONTAINER_METADATA_URI_V4}/task`: the task and every container. */
export function taskMetadata(m: MetadataTask, version: MetadataVersion): Record<string, unknown> {
  const t = m.spec;
  const v4 = version === 'v4';
  const fargate = t.launchType === 'FARGATE';
  const group = t.ecs.group;
  const service = group.startsWith('service:') ? group.slice('service:'.length) : undefined;
  const limits = defined({
    // Task-level CPU is in vCPUs here, not units ("Limits" in the v4 response).
    CPU: m.cpuUnits !== undefined ? m.cpuUnits / 1024 : undefined,
    Memory: m.memoryMiB,
  });
  return defined({
    Cluster: clusterOf(t),
    ...(v4 && { ServiceName: fargate ? undefined : service, VPCID: fargate ? undefined : m.vpcId }),
    TaskARN: t.ecs.taskArn,
    Family: m.family,
    Revision: String(m.revision),
    DesiredStatus: t.desiredStatus,
    KnownStatus: m.knownStatus,
    Limits: Object.keys(limits).length > 0 ? limits : undefined,
    PullStartedAt: iso(m.pullStartedAt === undefined ? undefined : m.pullStartedAt * 1000),
    PullStoppedAt: iso(m.pullStoppedAt === undefined ? undefined : m.pullStoppedAt * 1000),
    AvailabilityZone: t.placement.availabilityZone,
    ...(v4 && { LaunchType: t.launchType }),
    Containers: m.containers.map((c) => containerMetadata(m, c, version)),
    ...(v4 && {
      ClockDrift: m.clock && {
        ClockErrorBound: m.clock.errorBoundMs,
        ReferenceTimestamp: iso(m.clock.measuredAt),
        ClockSynchronizationStatus: m.clock.synchronized ? 'SYNCHRONIZED' : 'NOT_SYNCHRONIZED',
      },
      EphemeralStorageMetrics: fargate && m.ephemeral ? { Utilized: m.ephemeral.utilizedMiB, Reserved: m.ephemeral.reservedMiB } : undefined,
    }),
  });
}

/**
 * LogOptions as the ECS agent hands them to Docker: for awslogs it replaces
 * `awslogs-stream-prefix` with the stream the prefix names, `awslogs-stream`
 * (`prefix/container-name/task-id`, the stream the driver writes: the v4 examples show
 * it so). Software finds its own log stream there: OpenTelemetry's ECS detector reads
 * aws.log.stream.names from `awslogs-stream`. Without a prefix the options are as given.
 */
function logOptionsOf(m: MetadataTask, c: MetadataContainer): Readonly<Record<string, string>> | undefined {
  const log = c.spec.log;
  const prefix = log?.options?.['awslogs-stream-prefix'];
  if (log?.driver !== 'awslogs' || !prefix) return log?.options;
  const { 'awslogs-stream-prefix': _prefix, ...rest } = log.options!;
  const arn = m.spec.ecs.taskArn;
  return { ...rest, 'awslogs-stream': streamName(prefix, c.spec.name, arn.slice(arn.lastIndexOf('/') + 1), c.runtimeId) };
}

function portsOf(m: MetadataTask, c: MetadataContainer): Record<string, unknown>[] {
  if (m.networkMode === 'awsvpc' || m.networkMode === 'host') {
    // On the task's own address (or the host's), the container port is the host port.
    return c.spec.ports.map((p) => ({ ContainerPort: p.containerPort, Protocol: p.protocol, HostPort: p.hostPort ?? p.containerPort, HostIp: m.networkMode === 'awsvpc' ? c.network?.ip : '0.0.0.0' }))
      .map((p) => defined(p));
  }
  return (c.network?.networkBindings ?? []).map((b) => ({ ContainerPort: b.containerPort, Protocol: b.protocol, HostPort: b.hostPort, HostIp: b.bindIP }));
}

function networksOf(m: MetadataTask, c: MetadataContainer, version: MetadataVersion): Record<string, unknown>[] | undefined {
  if (m.networkMode === 'none') return undefined;
  if (m.networkMode === 'host') return [{ NetworkMode: 'host' }];
  const ip = c.network?.ip;
  if (ip === undefined) return undefined;
  const base = { NetworkMode: m.networkMode, IPv4Addresses: [ip] };
  if (version === 'v3' || m.networkMode !== 'awsvpc') return [base];
  const detail = (name: string) => m.eni?.details.find((d) => d.name === name)?.value;
  return [defined({
    ...base,
    AttachmentIndex: 0,
    MACAddress: detail('macAddress'),
    IPv4SubnetCIDRBlock: m.subnet?.cidr,
    PrivateDNSName: detail('privateDnsName'),
    SubnetGatewayIpv4Address: m.subnet && `${m.subnet.gateway}/${m.subnet.prefixLength}`,
  })];
}
