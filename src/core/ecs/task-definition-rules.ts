import { ApiError } from '../errors.ts';
import { checkEnvironmentFiles } from './environment-files.ts';
import type { ContainerDefinition, RegisterInput } from './task-definition-input.ts';
import { checkEphemeralStorage, checkFargateDefinition } from './fargate-rules.ts';
import { EC2_TASK_CPU } from './task-size.ts';

/** Containers per task definition (ECS service quotas). */
export const MAX_CONTAINERS = 10;
/** The smallest memory limit a container can have, MiB (Docker 20.10+, as ECS documents). */
export const MIN_CONTAINER_MEMORY = 6;
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const DEPENDENCY_CONDITIONS = ['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'];

const client = (message: string) => new ApiError('ClientException', message);

/**
 * The rules ECS applies when a task definition is registered, beyond the shape of the
 * request. Each failure is a ClientException that names the container and the setting.
 * `cpu` and `memory` are the task-level values already parsed to units and MiB.
 */
export function checkTaskDefinition(input: RegisterInput, cpu: number | undefined, memory: number | undefined): void {
  if (!NAME.test(input.family)) throw client(`Family '${input.family}' is not valid: use 1 to 255 letters, numbers, hyphens and underscores.`);
  const containers = input.containerDefinitions;
  if (containers.length === 0) throw client('Container list cannot be empty: a task definition needs at least one container definition.');
  if (containers.length > MAX_CONTAINERS) throw client(`A task definition can have at most ${MAX_CONTAINERS} containers; this one has ${containers.length}.`);
  const fargate = input.requiresCompatibilities?.includes('FARGATE') ?? false;
  const mode = input.networkMode ?? 'bridge';

  if (cpu !== undefined && !fargate && (cpu < EC2_TASK_CPU.min || cpu > EC2_TASK_CPU.max)) {
    throw client(`Invalid 'cpu' setting for task: ${cpu} units. Task CPU must be between ${EC2_TASK_CPU.min} and ${EC2_TASK_CPU.max} units.`);
  }
  if (memory !== undefined && memory < MIN_CONTAINER_MEMORY) throw client(`Invalid 'memory' setting for task: ${memory} MiB is below the minimum of ${MIN_CONTAINER_MEMORY}.`);
  checkEphemeralStorage(input.ephemeralStorage, 'ClientException');
  if (fargate) checkFargateDefinition(input, cpu, memory);

  const names = new Set<string>();
  for (const c of containers) {
    checkContainer(c, memory, mode);
    if (names.has(c.name)) throw client(`Duplicate container name '${c.name}': container names must be unique within a task definition.`);
    names.add(c.name);
  }
  if (!containers.some((c) => c.essential !== false)) throw client('A task definition must have at least one essential container: set "essential": true on one container.');
  checkSums(containers, cpu, memory);
  checkReferences(input, names);
}

function checkContainer(c: ContainerDefinition, taskMemory: number | undefined, mode: string): void {
  if (!c.name) throw client('Container.name should not be null or empty.');
  if (!NAME.test(c.name)) throw client(`Container name '${c.name}' is not valid: use 1 to 255 letters, numbers, hyphens and underscores.`);
  if (!c.image) throw client(`Container.image should not be null or empty (container '${c.name}').`);
  if (c.memory === undefined && c.memoryReservation === undefined && taskMemory === undefined) {
    throw client(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
  }
  if (c.memory !== undefined && c.memory < MIN_CONTAINER_MEMORY) throw client(`Invalid 'memory' setting for container '${c.name}': ${c.memory} MiB is below the minimum of ${MIN_CONTAINER_MEMORY}.`);
  if (c.memoryReservation !== undefined && c.memoryReservation < MIN_CONTAINER_MEMORY) throw client(`Invalid 'memoryReservation' setting for container '${c.name}': ${c.memoryReservation} MiB is below the minimum of ${MIN_CONTAINER_MEMORY}.`);
  if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
    throw client(`Invalid setting for container '${c.name}': 'memoryReservation' (${c.memoryReservation}) must not be greater than 'memory' (${c.memory}).`);
  }
  if (c.cpu !== undefined && c.cpu < 0) throw client(`Invalid 'cpu' setting for container '${c.name}': it must not be negative.`);
  if (c.links?.length && mode !== 'bridge') throw client(`Invalid setting for container '${c.name}': links are only supported when networkMode is bridge.`);
  if (c.stopTimeout !== undefined && c.stopTimeout < 0) throw client(`Invalid 'stopTimeout' for container '${c.name}': it must not be negative.`);
  if (c.healthCheck) checkHealthCheck(c.name, c.healthCheck);
  checkEnvironmentFiles(c.name, c.environmentFiles);
  const seen = new Set<string>();
  for (const p of c.portMappings ?? []) {
    if (p.containerPort === undefined && p.containerPortRange === undefined) throw client(`Invalid port mapping for container '${c.name}': give containerPort (or containerPortRange).`);
    for (const [field, port] of [['containerPort', p.containerPort], ['hostPort', p.hostPort]] as const) {
      if (port !== undefined && (port < 0 || port > 65535 || (field === 'containerPort' && port === 0))) throw client(`Invalid '${field}' ${port} for container '${c.name}': ports are 1 to 65535.`);
    }
    if ((mode === 'awsvpc' || mode === 'host') && p.hostPort !== undefined && p.containerPort !== undefined && p.hostPort !== p.containerPort) {
      throw client(`When networkMode=${mode}, the host ports and container ports in port mappings must match (container '${c.name}': ${p.hostPort} and ${p.containerPort}).`);
    }
    const id = `${p.containerPort ?? p.containerPortRange}/${p.protocol ?? 'tcp'}`;
    if (seen.has(id)) throw client(`Container '${c.name}' maps container port ${id} twice.`);
    seen.add(id);
  }
}

function checkHealthCheck(name: string, h: NonNullable<ContainerDefinition['healthCheck']>): void {
  if (!h.command?.length) throw client(`Invalid health check for container '${name}': give a command, e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"].`);
  if (h.command[0] !== 'CMD' && h.command[0] !== 'CMD-SHELL' && h.command[0] !== 'NONE') {
    throw client(`Invalid health check for container '${name}': the command must start with "CMD", "CMD-SHELL" or "NONE".`);
  }
  const bounds = { interval: [5, 300], timeout: [2, 120], retries: [1, 10], startPeriod: [0, 300] } as const;
  for (const [field, [min, max]] of Object.entries(bounds)) {
    const v = h[field as keyof typeof bounds];
    if (v !== undefined && (v < min || v > max)) throw client(`Invalid health check '${field}' for container '${name}': ${v} is outside ${min}-${max}.`);
  }
}

/** Containers' cpu and memory must fit in the task's. */
function checkSums(containers: readonly ContainerDefinition[], cpu: number | undefined, memory: number | undefined): void {
  if (cpu !== undefined) {
    const total = containers.reduce((s, c) => s + (c.cpu ?? 0), 0);
    if (total > cpu) throw client(`The containers' cpu (${total} units in all) is more than the task's cpu (${cpu}). Lower the container values or raise the task's.`);
  }
  if (memory !== undefined) {
    for (const c of containers) {
      if (c.memory !== undefined && c.memory > memory) throw client(`Invalid 'memory' setting for container '${c.name}': ${c.memory} MiB is more than the task's memory (${memory} MiB).`);
    }
    const reserved = containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0);
    if (reserved > memory) throw client(`The containers' memory (${reserved} MiB reserved in all) is more than the task's memory (${memory} MiB).`);
  }
}

/** dependsOn, volumesFrom and mountPoints must name things that exist; dependencies must not cycle. */
function checkReferences(input: RegisterInput, names: ReadonlySet<string>): void {
  const volumes = new Set<string>();
  for (const v of input.volumes ?? []) {
    if (!v.name) throw client('Every volume needs a name.');
    if (volumes.has(v.name)) throw client(`Duplicate volume name '${v.name}'.`);
    volumes.add(v.name);
  }
  const graph = new Map<string, string[]>();
  for (const c of input.containerDefinitions) {
    for (const d of c.dependsOn ?? []) {
      if (!names.has(d.containerName)) throw client(`Container '${c.name}' depends on container '${d.containerName}', which is not in this task definition.`);
      if (d.containerName === c.name) throw client(`Container '${c.name}' cannot depend on itself.`);
      if (!DEPENDENCY_CONDITIONS.includes(d.condition)) throw client(`Invalid dependency condition '${d.condition}' in container '${c.name}': use START, COMPLETE, SUCCESS or HEALTHY.`);
      const target = input.containerDefinitions.find((x) => x.name === d.containerName)!;
      if (d.condition === 'HEALTHY' && !target.healthCheck) throw client(`Container '${c.name}' waits for '${d.containerName}' to be HEALTHY, but '${d.containerName}' has no healthCheck.`);
      if ((d.condition === 'COMPLETE' || d.condition === 'SUCCESS') && target.essential !== false) {
        throw client(`Container '${c.name}' waits for '${d.containerName}' to ${d.condition === 'COMPLETE' ? 'complete' : 'succeed'}, so '${d.containerName}' must be non-essential ("essential": false).`);
      }
    }
    graph.set(c.name, (c.dependsOn ?? []).map((d) => d.containerName));
    for (const m of c.mountPoints ?? []) {
      if (m.sourceVolume === undefined || !volumes.has(m.sourceVolume)) throw client(`Invalid mount point in container '${c.name}': volume '${m.sourceVolume}' is not declared in the task definition's volumes.`);
      if (!m.containerPath) throw client(`Invalid mount point in container '${c.name}': containerPath is required.`);
    }
    for (const v of c.volumesFrom ?? []) {
      if (v.sourceContainer === undefined || !names.has(v.sourceContainer)) throw client(`Invalid volumesFrom in container '${c.name}': container '${v.sourceContainer}' is not in this task definition.`);
    }
  }
  const cycle = findCycle(graph);
  if (cycle) throw client(`Container dependencies form a cycle: ${cycle.join(' -> ')}.`);
}

function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'visiting');
    path.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
