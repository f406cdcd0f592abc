import { ApiError } from '../errors.ts';
import { parseArn } from '../arn.ts';
import type { Tag } from './tags.ts';
import { ecsArn, type Scope } from './scope.ts';
import { checkTaskDefinition } from './task-definition-rules.ts';
import { isFargateCompatible } from './fargate-rules.ts';
import { parseTaskCpu, parseTaskMemory } from './task-size.ts';

// The request's shapes: task-definition-input.ts, which the rules read too.
export type { Compatibility, ContainerDefinition, NetworkMode, PortMapping, RegisterInput } from './task-definition-input.ts';
import type { Compatibility, ContainerDefinition, NetworkMode, RegisterInput } from './task-definition-input.ts';

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';

/** A task definition revision as stored: the TaskDefinition shape of the API, plus its tags. */
export interface TaskDefinitionRecord {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: TaskDefinitionStatus;
  containerDefinitions: ContainerDefinition[];
  volumes: Record<string, unknown>[];
  placementConstraints: Record<string, unknown>[];
  requiresAttributes: { name: string; value?: string }[];
  compatibilities: Compatibility[];
  requiresCompatibilities?: Compatibility[];
  networkMode?: NetworkMode;
  cpu?: string;
  memory?: string;
  registeredAt: number;
  registeredBy: string;
  deregisteredAt?: number;
  tags: Tag[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  [field: string]: unknown;
}

/** Health check defaults and bounds, seconds (ECS HealthCheck reference). */
export const HEALTH_CHECK = {
  interval: { dflt: 30, min: 5, max: 300 },
  timeout: { dflt: 5, min: 2, max: 120 },
  retries: { dflt: 3, min: 1, max: 10 },
  startPeriod: { dflt: 0, min: 0, max: 300 },
} as const;

/**
 * Checks a registration and builds the revision ECS would store: task cpu/memory in units
 * and MiB, container defaults filled in (essential, cpu 0, empty lists, port protocol,
 * awsvpc/host host ports, health check timings), compatibilities and required attributes
 * derived. Pure: the revision number, time and caller come in as arguments.
 */
export function buildTaskDefinition(scope: Scope, input: RegisterInput, revision: number, nowSeconds: number, registeredBy: string): TaskDefinitionRecord {
  const cpu = input.cpu === undefined ? undefined : parseTaskCpu(input.cpu);
  const memory = input.memory === undefined ? undefined : parseTaskMemory(input.memory);
  checkTaskDefinition(input, cpu, memory);
  const mode = input.networkMode;
  const containers = input.containerDefinitions.map((c) => withContainerDefaults(c, mode));
  const record: TaskDefinitionRecord = {
    taskDefinitionArn: ecsArn(scope, `task-definition/${input.family}:${revision}`),
    containerDefinitions: containers,
    family: input.family,
    ...(input.taskRoleArn !== undefined && { taskRoleArn: input.taskRoleArn }),
    ...(input.executionRoleArn !== undefined && { executionRoleArn: input.executionRoleArn }),
    ...(mode !== undefined && { networkMode: mode }),
    revision,
    volumes: input.volumes ?? [],
    status: 'ACTIVE',
    requiresAttributes: requiredAttributes(input, containers),
    placementConstraints: input.placementConstraints ?? [],
    compatibilities: compatibilities(input, cpu, memory),
    ...(input.runtimePlatform !== undefined && { runtimePlatform: input.runtimePlatform }),
    ...(input.requiresCompatibilities !== undefined && { requiresCompatibilities: input.requiresCompatibilities }),
    ...(cpu !== undefined && { cpu: String(cpu) }),
    ...(memory !== undefined && { memory: String(memory) }),
    ...(input.inferenceAccelerators !== undefined && { inferenceAccelerators: input.inferenceAccelerators }),
    ...(input.pidMode !== undefined && { pidMode: input.pidMode }),
    ...(input.ipcMode !== undefined && { ipcMode: input.ipcMode }),
    ...(input.proxyConfiguration !== undefined && { proxyConfiguration: input.proxyConfiguration }),
    ...(input.ephemeralStorage !== undefined && { ephemeralStorage: input.ephemeralStorage }),
    ...(input.enableFaultInjection !== undefined && { enableFaultInjection: input.enableFaultInjection }),
    registeredAt: nowSeconds,
    registeredBy,
    tags: input.tags ?? [],
  };
  return record;
}

function withContainerDefaults(c: ContainerDefinition, mode: NetworkMode | undefined): ContainerDefinition {
  const out: ContainerDefinition = {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: (c.portMappings ?? []).map((p) => ({
      ...p,
      ...((mode === 'awsvpc' || mode === 'host') && p.containerPort !== undefined && { hostPort: p.hostPort ?? p.containerPort }),
      protocol: p.protocol ?? 'tcp',
    })),
    essential: c.essential ?? true,
    environment: (c.environment as unknown[] | undefined) ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: (c.systemControls as unknown[] | undefined) ?? [],
  };
  if (c.healthCheck) {
    out.healthCheck = {
      ...c.healthCheck,
      interval: c.healthCheck.interval ?? HEALTH_CHECK.interval.dflt,
      timeout: c.healthCheck.timeout ?? HEALTH_CHECK.timeout.dflt,
      retries: c.healthCheck.retries ?? HEALTH_CHECK.retries.dflt,
      ...(c.healthCheck.startPeriod !== undefined && { startPeriod: c.healthCheck.startPeriod }),
    };
  }
  return out;
}

/** Launch types this definition can run on: what ECS reports as `compatibilities`. */
function compatibilities(input: RegisterInput, cpu: number | undefined, memory: number | undefined): Compatibility[] {
  const out: Compatibility[] = [];
  if (input.networkMode !== 'awsvpc') out.push('EXTERNAL');
  out.push('EC2');
  // FARGATE when the definition meets every Fargate rule, whether or not it asked for it.
  if (isFargateCompatible(input, cpu, memory)) out.push('FARGATE');
  return out;
}

/** Agent capabilities a container instance must have to run this definition. */
function requiredAttributes(input: RegisterInput, containers: readonly ContainerDefinition[]): { name: string; value?: string }[] {
  const names = new Set<string>();
  if (input.networkMode === 'awsvpc') names.add('ecs.capability.task-eni');
  if (input.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role');
  for (const c of containers) {
    if (c.memoryReservation !== undefined) names.add('com.amazonaws.ecs.capability.docker-remote-api.1.21');
    if (c.healthCheck) names.add('ecs.capability.container-health-check');
    if (c.dependsOn?.length) names.add('ecs.capability.container-ordering');
    const driver = (c.logConfiguration as { logDriver?: string } | undefined)?.logDriver;
    if (driver) names.add(`com.amazonaws.ecs.capability.logging-driver.${driver}`);
  }
  const out: { name: string; value?: string }[] = [...names].sort().map((name) => ({ name }));
  // An ARM64 definition runs only where the CPU is arm64: its tasks are placed on such hosts
  // (EC2 instances, or Fargate pool hosts), and on none where no host is (an x86 Berth host
  // answers RunTask with an ATTRIBUTE failure rather than start a task it cannot run).
  if ((input.runtimePlatform as { cpuArchitecture?: string } | undefined)?.cpuArchitecture === 'ARM64') out.push({ name: 'ecs.cpu-architecture', value: 'arm64' });
  return out;
}

/** The TaskDefinition shape of the API (the record without its tags). */
export function taskDefinitionView(r: TaskDefinitionRecord): Omit<TaskDefinitionRecord, 'tags'> {
  const { tags: _tags, ...view } = r;
  return view;
}

export const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;

/** What a request names: a family (latest ACTIVE revision), family:revision, or a full ARN. */
export interface TaskDefinitionRef {
  family: string;
  revision?: number;
}

export function parseTaskDefinitionRef(ref: string): TaskDefinitionRef {
  let s = ref;
  const arn = parseArn(ref);
  if (arn) {
    const m = /^task-definition\/(.+)$/.exec(arn.resource);
    if (arn.service !== 'ecs' || !m) throw new ApiError('ClientException', `'${ref}' is not a task definition ARN: expected arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.`);
    s = m[1]!;
  }
  const colon = s.lastIndexOf(':');
  const family = colon < 0 ? s : s.slice(0, colon);
  if (!FAMILY.test(family)) throw new ApiError('ClientException', `'${ref}' is not a valid task definition: give family, family:revision or the task definition ARN.`);
  if (colon < 0) {
    if (arn) throw new ApiError('ClientException', `The task definition ARN '${ref}' has no revision: end it with :<revision>.`);
    return { family };
  }
  const rev = s.slice(colon + 1);
  if (!/^[1-9]\d{0,9}$/.test(rev)) throw new ApiError('ClientException', `Invalid revision number '${rev}' in '${ref}': revisions are whole numbers from 1.`);
  return { family, revision: Number(rev) };
}
