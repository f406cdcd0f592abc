import type { Tag } from './tags.ts';
import { ecsArn, type Scope } from './scope.ts';
import type { ContainerDefinition, TaskDefinitionRecord } from './task-definition.ts';
import { stoppedStopCode, type ContainerStatus, type StopCode, type TaskStatus } from './task-lifecycle.ts';
import { ISOLATION_ATTRIBUTE, type Isolation } from './fargate.ts';
import { managedAgentsOf } from './managed-agents.ts';

export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** One container of a task: the Container shape of the ECS API. */
export interface ContainerRecord {
  containerArn: string;
  taskArn: string;
  name: string;
  image: string;
  imageDigest?: string;
  runtimeId?: string;
  lastStatus: ContainerStatus;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  networkInterfaces: { attachmentId: string; privateIpv4Address: string }[];
  healthStatus: HealthStatus;
  cpu: string;
  memory?: string;
  memoryReservation?: string;
}

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: { name: string; value: string }[];
  environmentFiles?: unknown[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  resourceRequirements?: unknown[];
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  ephemeralStorage?: { sizeInGiB: number };
  inferenceAcceleratorOverrides?: unknown[];
}

export interface Attachment {
  id: string;
  type: string;
  status: string;
  details: { name: string; value: string }[];
}

/** A task as stored: the Task shape of the ECS API. */
export interface TaskRecord {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /**
   * The instance that runs it. A Fargate task's is a host of the Fargate pool (fargate.ts),
   * kept for the agent and the pool's usage; its view omits it, as AWS's has none.
   */
  containerInstanceArn?: string;
  overrides: TaskOverride;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  cpu?: string;
  memory?: string;
  containers: ContainerRecord[];
  startedBy?: string;
  version: number;
  stoppedReason?: string;
  stopCode?: StopCode;
  connectivity?: 'CONNECTED' | 'DISCONNECTED';
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  group: string;
  launchType: 'EC2' | 'FARGATE' | 'EXTERNAL';
  availabilityZone?: string;
  attachments: Attachment[];
  healthStatus: HealthStatus;
  tags: Tag[];
  enableExecuteCommand: boolean;
  platformFamily?: string;
  /** What the task inherits from its instance: ECS reports the CPU architecture. */
  attributes?: { name: string; value?: string }[];
  /** The effective network mode, so the agent need not look it up. (Berth's own; not in the API.) */
  networkMode?: string;
  /** Static host ports the task holds on its instance, "port/protocol". (Berth's own; not in the API.) */
  reservedPorts?: string[];
  /**
   * Some container of its definition has a health check, so the task counts healthy only
   * once ECS says HEALTHY (else once RUNNING). Set when the task is built, so a reader of
   * tasks never needs the definition. (Berth's own; not in the API.)
   */
  healthChecked?: boolean;
  /** The capacity provider whose instance runs it (Task reference). */
  capacityProviderName?: string;
  /** Fargate: the platform version it runs on ('1.4.0'; LATEST resolved). */
  platformVersion?: string;
  /** Fargate: the task's ephemeral storage (20 GiB unless the definition or an override asks for more). */
  ephemeralStorage?: { sizeInGiB: number };
  /** The boundary its containers got, as the agent reported it (fargate.ts). (Berth's own; a task attribute in the view.) */
  isolation?: Isolation;
  /**
   * Scale-in protection: epoch seconds until which the service scheduler will not choose it
   * to stop (task-protection.ts). Absent: not protected. (GetTaskProtection's; not in the Task view.)
   */
  protectedUntil?: number;
}

/** What a task needs from an instance to be placed there. */
export interface Demand {
  /** CPU units. */
  cpu: number;
  /** MiB. */
  memory: number;
  /** Host ports that must be free (static mappings), "port/protocol". */
  ports: string[];
}

export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** The container definitions with a task's overrides applied: what the agent runs. */
export function effectiveContainers(td: TaskDefinitionRecord, overrides: TaskOverride): ContainerDefinition[] {
  return td.containerDefinitions.map((c) => {
    const o = overrides.containerOverrides?.find((x) => x.name === c.name);
    if (!o) return c;
    const env = new Map(((c.environment as { name: string; value: string }[] | undefined) ?? []).map((e) => [e.name, e.value]));
    for (const e of o.environment ?? []) env.set(e.name, e.value);
    return {
      ...c,
      ...(o.command && { command: o.command }),
      ...(o.cpu !== undefined && { cpu: o.cpu }),
      ...(o.memory !== undefined && { memory: o.memory }),
      ...(o.memoryReservation !== undefined && { memoryReservation: o.memoryReservation }),
      // An override's environmentFiles replace the definition's (ContainerOverride reference).
      ...(o.environmentFiles && { environmentFiles: o.environmentFiles }),
      environment: [...env].map(([name, value]) => ({ name, value })),
    };
  });
}

/**
 * The resources a task reserves: task-level cpu/memory when the definition (or an
 * override) sets them, else the sum over containers (memoryReservation before memory,
 * as ECS places on the soft limit). Static host ports as "port/protocol".
 */
export function demandOf(td: TaskDefinitionRecord, overrides: TaskOverride, containers: readonly ContainerDefinition[] = effectiveContainers(td, overrides)): Demand {
  const cpu = Number(overrides.cpu ?? td.cpu ?? containers.reduce((s, c) => s + (c.cpu ?? 0), 0));
  const memory = Number(overrides.memory ?? td.memory ?? containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0));
  const ports: string[] = [];
  for (const c of containers) {
    for (const p of c.portMappings ?? []) {
      const host = td.networkMode === 'host' ? (p.hostPort ?? p.containerPort) : p.hostPort;
      if (td.networkMode !== 'awsvpc' && host) ports.push(`${host}/${p.protocol ?? 'tcp'}`);
    }
  }
  return { cpu, memory, ports };
}

export interface NewTaskInput {
  scope: Scope;
  clusterName: string;
  id: string;
  /** One id per container, for container ARNs. */
  containerIds: readonly string[];
  taskDefinition: TaskDefinitionRecord;
  overrides: TaskOverride;
  /** Absent: a FARGATE_SPOT task waiting for spot capacity (PROVISIONING, no host yet). */
  containerInstanceArn?: string;
  availabilityZone?: string;
  /** The instance's `ecs.cpu-architecture`, when it registered one. */
  cpuArchitecture?: string;
  /** The capacity provider whose instance it was placed on. */
  capacityProviderName?: string;
  startedBy?: string;
  group?: string;
  tags: Tag[];
  launchType: TaskRecord['launchType'];
  enableExecuteCommand: boolean;
  attachments: Attachment[];
  nowSeconds: number;
}

/**
 * A task as RunTask/StartTask creates it: desired RUNNING, placed, and PROVISIONING when
 * it needs a network interface first (awsvpc), else PENDING, as ECS starts them (run-task
 * in the AWS CLI examples: an EC2 bridge task answers PENDING). Pure.
 */
export function newTask(i: NewTaskInput): TaskRecord {
  const td = i.taskDefinition;
  const taskArn = ecsArn(i.scope, `task/${i.clusterName}/${i.id}`);
  // Once per task: the record's containers and its demand read the same effective definitions.
  const effective = effectiveContainers(td, i.overrides);
  const containers = effective.map((c, n): ContainerRecord => ({
    containerArn: ecsArn(i.scope, `container/${i.clusterName}/${i.id}/${i.containerIds[n]}`),
    taskArn,
    name: c.name,
    image: c.image,
    lastStatus: 'PENDING',
    networkBindings: [],
    networkInterfaces: [],
    healthStatus: 'UNKNOWN',
    cpu: String(c.cpu ?? 0),
    ...(c.memory !== undefined && { memory: String(c.memory) }),
    ...(c.memoryReservation !== undefined && { memoryReservation: String(c.memoryReservation) }),
  }));
  const demand = demandOf(td, i.overrides, effective);
  return {
    taskArn,
    clusterArn: ecsArn(i.scope, `cluster/${i.clusterName}`),
    taskDefinitionArn: td.taskDefinitionArn,
    ...(i.containerInstanceArn !== undefined && { containerInstanceArn: i.containerInstanceArn }),
    overrides: {
      ...i.overrides,
      // ECS lists every container, by name alone when the request did not override it.
      containerOverrides: td.containerDefinitions.map((c) => ({ ...i.overrides.containerOverrides?.find((o) => o.name === c.name), name: c.name })),
      inferenceAcceleratorOverrides: i.overrides.inferenceAcceleratorOverrides ?? [],
    },
    lastStatus: td.networkMode === 'awsvpc' ? 'PROVISIONING' : 'PENDING',
    desiredStatus: 'RUNNING',
    cpu: String(demand.cpu),
    memory: String(demand.memory),
    containers,
    ...(i.startedBy !== undefined && { startedBy: i.startedBy }),
    version: 1,
    connectivity: 'CONNECTED',
    connectivityAt: i.nowSeconds,
    createdAt: i.nowSeconds,
    group: i.group ?? `family:${td.family}`,
    launchType: i.launchType,
    ...(i.availabilityZone !== undefined && { availabilityZone: i.availabilityZone }),
    attachments: i.attachments,
    healthStatus: 'UNKNOWN',
    tags: i.tags,
    enableExecuteCommand: i.enableExecuteCommand,
    // AWS names a platform family for Fargate tasks only (Task reference).
    ...(i.launchType === 'FARGATE' && { platformFamily: 'Linux' }),
    ...(i.cpuArchitecture !== undefined && { attributes: [{ name: 'ecs.cpu-architecture', value: i.cpuArchitecture }] }),
    ...(td.networkMode !== undefined && { networkMode: td.networkMode }),
    reservedPorts: demand.ports,
    healthChecked: td.containerDefinitions.some((c) => c.healthCheck !== undefined),
    ...(i.capacityProviderName !== undefined && { capacityProviderName: i.capacityProviderName }),
  };
}

/**
 * The Task shape of the API, with the members AWS sends at each point of the task's life:
 * - `tags` always, empty unless asked for (`include: ["TAGS"]`; describe-tasks in the AWS
 *   CLI examples); RunTask, StartTask and StopTask answer with them.
 * - until an agent reports the task, no `connectivity`, `connectivityAt` or `healthStatus`,
 *   and its PENDING containers no `networkBindings` or `healthStatus` (run-task answers in
 *   the AWS CLI examples, EC2 and Fargate).
 */
export function taskView(t: TaskRecord, includeTags: boolean) {
  const {
    tags, networkMode: _mode, reservedPorts: _ports, healthChecked: _checked, protectedUntil: _protected, isolation, containerInstanceArn, attributes,
    connectivity, connectivityAt, healthStatus, containers, ...rest
  } = t;
  const reported = !NOT_YET_REPORTED.has(t.lastStatus) || t.containers.some((c) => c.lastStatus !== 'PENDING');
  // The boundary the agent reported is a task attribute (fargate.ts), after ECS's own.
  const allAttributes = [...(attributes ?? []), ...(isolation !== undefined ? [{ name: ISOLATION_ATTRIBUTE, value: isolation }] : [])];
  return {
    ...rest,
    // A Fargate task has no container instance (its pool host is Berth's own), as on AWS.
    ...(containerInstanceArn !== undefined && t.launchType !== 'FARGATE' && { containerInstanceArn }),
    ...(allAttributes.length > 0 && { attributes: allAttributes }),
    ...(reported && { connectivity, connectivityAt, healthStatus }),
    containers: containers.map(({ networkBindings, healthStatus: health, ...c }): ContainerView => {
      // A task run with execute command enabled shows its exec agent in each container, as AWS does.
      const managedAgents = managedAgentsOf(t, c);
      const shown = managedAgents ? { ...c, managedAgents } : c;
      return c.lastStatus === 'PENDING' && networkBindings.length === 0 ? shown : { ...shown, networkBindings, healthStatus: health };
    }),
    tags: includeTags ? tags : [],
  };
}

/** A task as the API answers it. */
export type TaskView = ReturnType<typeof taskView>;
/** A container as the API answers it: what only a reporting agent gives may be absent. */
export type ContainerView = Omit<ContainerRecord, 'networkBindings' | 'healthStatus'> & Partial<Pick<ContainerRecord, 'networkBindings' | 'healthStatus'>>
  & { managedAgents?: ReturnType<typeof managedAgentsOf> };

/** The statuses a task has before its agent first reports it. */
const NOT_YET_REPORTED: ReadonlySet<TaskStatus> = new Set(['PROVISIONING', 'PENDING']);

/**
 * A task the control plane itself records STOPPED (its agent cannot: it never got it, or is
 * gone), at `seconds`: every container STOPPED, the timestamps it has not reached set, a
 * stop code and reason already given kept (a Spot warning's becomes SpotInterruption).
 */
export function stoppedByControlPlane(task: TaskRecord, seconds: number, fallback: { stopCode: StopCode; stoppedReason: string }): TaskRecord {
  return {
    ...task,
    desiredStatus: 'STOPPED',
    lastStatus: 'STOPPED',
    stopCode: stoppedStopCode(task.stopCode) ?? fallback.stopCode,
    stoppedReason: task.stoppedReason ?? fallback.stoppedReason,
    stoppingAt: task.stoppingAt ?? seconds,
    executionStoppedAt: task.executionStoppedAt ?? seconds,
    stoppedAt: seconds,
    containers: task.containers.map((c) => ({ ...c, lastStatus: 'STOPPED' as const })),
    version: task.version + 1,
  };
}
