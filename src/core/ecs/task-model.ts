/**
 * The ECS task as a view of the workload model (src/core/workload): a TaskRecord splits
 * into the spec the control plane writes and the status its agent reports (`specOf`,
 * `statusOf`, for migrating stored records), and joins back (`recordOf`), which is what
 * the Task view (`ecsTaskView`) and every reader of tasks see. Pure.
 *
 *   TaskRecord ──specOf(record, definition)──▶ TaskSpec ──┐
 *        │                                                  ├─recordOf─▶ TaskRecord ─taskView─▶ Task
 *        └────statusOf(record)─────────────▶ TaskStatus ──┘
 *
 * Who wrote what is not in a record: a stop code and reason on a task told to stop that its
 * agent has not yet begun stopping are taken as the control plane's (the spec's `stop`), any
 * other as its agent's.
 */
import type { TaskSpec } from '../workload/spec.ts';
import type { ContainerStatus, TaskStatus } from '../workload/status.ts';
import { containerSpecs, volumeSpecs } from './container-spec.ts';
import { rank, stoppedStopCode } from './task-lifecycle.ts';
import { taskSize } from './task-size.ts';
import { effectiveContainers, taskId, taskView, type ContainerRecord, type TaskRecord } from './task.ts';
import type { TaskDefinitionRecord } from './task-definition.ts';

/** The definition facts a task's spec is made from (its containers, volumes, family, revision, task size). */
export type DefinitionFacts = Pick<TaskDefinitionRecord, 'family' | 'revision' | 'containerDefinitions' | 'volumes' | 'cpu' | 'memory' | 'networkMode'>;

/**
 * The definition facts a stored task itself holds, for migrating a task whose definition
 * is gone (deleted revisions): its containers' names, images and sizes, no volumes. Its
 * ECS view is the same; an agent could not run it as it was, but such a task has stopped.
 */
export function definitionFactsOf(t: TaskRecord): DefinitionFacts {
  const ref = /task-definition\/([^:]+):(\d+)$/.exec(t.taskDefinitionArn);
  return {
    family: ref?.[1] ?? '',
    revision: Number(ref?.[2] ?? 0),
    containerDefinitions: t.containers.map((c) => ({
      name: c.name, image: c.image, cpu: Number(c.cpu),
      ...(c.memory !== undefined && { memory: Number(c.memory) }),
      ...(c.memoryReservation !== undefined && { memoryReservation: Number(c.memoryReservation) }),
    })),
    volumes: [],
    ...(t.networkMode !== undefined && { networkMode: t.networkMode as DefinitionFacts['networkMode'] }),
  };
}

/** The spec of a stored task, given its definition: what the control plane asked for. */
export function specOf(t: TaskRecord, td: DefinitionFacts): TaskSpec {
  const defs = effectiveContainers(td as TaskDefinitionRecord, t.overrides);
  const declaredCpu = taskSize(t.overrides.cpu ?? td.cpu);
  const declaredMemory = taskSize(t.overrides.memory ?? td.memory);
  const controlPlaneStop = t.desiredStatus === 'STOPPED' && rank(t.lastStatus) < rank('DEACTIVATING') && (t.stopCode !== undefined || t.stoppedReason !== undefined);
  return {
    id: taskId(t.taskArn),
    generation: 1,
    desiredStatus: t.desiredStatus,
    ...(controlPlaneStop && { stop: { ...(t.stopCode !== undefined && { code: t.stopCode }), ...(t.stoppedReason !== undefined && { reason: t.stoppedReason }) } }),
    createdAt: t.createdAt,
    launchType: t.launchType,
    placement: {
      ...(t.containerInstanceArn !== undefined && { instanceArn: t.containerInstanceArn }),
      ...(t.availabilityZone !== undefined && { availabilityZone: t.availabilityZone }),
      ...(t.capacityProviderName !== undefined && { capacityProviderName: t.capacityProviderName }),
    },
    network: { mode: (t.networkMode ?? td.networkMode ?? 'bridge') as TaskSpec['network']['mode'], reservedPorts: t.reservedPorts ?? [] },
    resources: {
      reserved: { cpu: taskSize(t.overrides.cpu ?? t.cpu) ?? 0, memory: taskSize(t.overrides.memory ?? t.memory) ?? 0 },
      ...((declaredCpu !== undefined || declaredMemory !== undefined) && {
        declared: { ...(declaredCpu !== undefined && { cpu: declaredCpu }), ...(declaredMemory !== undefined && { memory: declaredMemory }) },
      }),
      ...(t.ephemeralStorage !== undefined && { ephemeralStorageGiB: t.ephemeralStorage.sizeInGiB }),
    },
    volumes: volumeSpecs(td.volumes),
    containers: containerSpecs(defs),
    execEnabled: t.enableExecuteCommand,
    ecs: {
      taskArn: t.taskArn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      family: td.family,
      revision: td.revision,
      overrides: t.overrides,
      containerArns: t.containers.map((c) => c.containerArn),
      group: t.group,
      ...(t.startedBy !== undefined && { startedBy: t.startedBy }),
      tags: t.tags,
      ...(t.attributes !== undefined && { attributes: t.attributes }),
      ...(t.platformFamily !== undefined && { platformFamily: t.platformFamily }),
      ...(t.platformVersion !== undefined && { platformVersion: t.platformVersion }),
      ...(t.healthChecked !== undefined && { healthChecked: t.healthChecked }),
      ...(t.protectedUntil !== undefined && { protectedUntil: t.protectedUntil }),
    },
  };
}

/** The status of a stored task: what its agent (or the control plane for it) reported. */
export function statusOf(t: TaskRecord): TaskStatus {
  const controlPlaneStop = t.desiredStatus === 'STOPPED' && rank(t.lastStatus) < rank('DEACTIVATING');
  return {
    lastStatus: t.lastStatus,
    changes: t.version - 1,
    ...(t.connectivity !== undefined && { connectivity: t.connectivity }),
    ...(t.connectivityAt !== undefined && { connectivityAt: t.connectivityAt }),
    ...(t.pullStartedAt !== undefined && { pullStartedAt: t.pullStartedAt }),
    ...(t.pullStoppedAt !== undefined && { pullStoppedAt: t.pullStoppedAt }),
    ...(t.startedAt !== undefined && { startedAt: t.startedAt }),
    ...(t.stoppingAt !== undefined && { stoppingAt: t.stoppingAt }),
    ...(t.executionStoppedAt !== undefined && { executionStoppedAt: t.executionStoppedAt }),
    ...(t.stoppedAt !== undefined && { stoppedAt: t.stoppedAt }),
    ...(!controlPlaneStop && t.stopCode !== undefined && { stopCode: t.stopCode }),
    ...(!controlPlaneStop && t.stoppedReason !== undefined && { stoppedReason: t.stoppedReason }),
    healthStatus: t.healthStatus,
    attachments: t.attachments,
    ...(t.isolation !== undefined && { isolation: t.isolation }),
    containers: t.containers.map((c): ContainerStatus => ({
      name: c.name,
      lastStatus: c.lastStatus,
      ...(c.runtimeId !== undefined && { runtimeId: c.runtimeId }),
      ...(c.imageDigest !== undefined && { imageDigest: c.imageDigest }),
      ...(c.exitCode !== undefined && { exitCode: c.exitCode }),
      ...(c.reason !== undefined && { reason: c.reason }),
      networkBindings: c.networkBindings,
      networkInterfaces: c.networkInterfaces,
      healthStatus: c.healthStatus,
    })),
  };
}

/**
 * The task record of a spec and a status: desired STOPPED once either side says so (an agent
 * that began stopping it), the control plane's stop code and reason before its agent's, a
 * Spot warning's code become SpotInterruption once STOPPED, version = generation + changes.
 */
export function recordOf(spec: TaskSpec, status: TaskStatus): TaskRecord {
  const e = spec.ecs;
  const stopped = status.lastStatus === 'STOPPED';
  const desiredStatus = spec.desiredStatus === 'STOPPED' || rank(status.lastStatus) >= rank('DEACTIVATING') ? 'STOPPED' : 'RUNNING';
  const code = spec.stop?.code ?? status.stopCode;
  const stopCode = stopped ? stoppedStopCode(code) : code;
  const stoppedReason = spec.stop?.reason ?? status.stoppedReason;
  const containers = spec.containers.map((c, i): ContainerRecord => {
    const s = status.containers.find((x) => x.name === c.name);
    return {
      containerArn: e.containerArns[i]!,
      taskArn: e.taskArn,
      name: c.name,
      image: c.image,
      ...(s?.imageDigest !== undefined && { imageDigest: s.imageDigest }),
      ...(s?.runtimeId !== undefined && { runtimeId: s.runtimeId }),
      lastStatus: s?.lastStatus ?? 'PENDING',
      ...(s?.exitCode !== undefined && { exitCode: s.exitCode }),
      ...(s?.reason !== undefined && { reason: s.reason }),
      networkBindings: s?.networkBindings ?? [],
      networkInterfaces: s?.networkInterfaces ?? [],
      healthStatus: s?.healthStatus ?? 'UNKNOWN',
      cpu: String(c.resources.cpu),
      ...(c.resources.memory !== undefined && { memory: String(c.resources.memory) }),
      ...(c.resources.memoryReservation !== undefined && { memoryReservation: String(c.resources.memoryReservation) }),
    };
  });
  const p = spec.placement;
  return {
    taskArn: e.taskArn,
    clusterArn: e.clusterArn,
    taskDefinitionArn: e.taskDefinitionArn,
    ...(p.instanceArn !== undefined && { containerInstanceArn: p.instanceArn }),
    overrides: e.overrides,
    lastStatus: status.lastStatus,
    desiredStatus,
    cpu: String(spec.resources.reserved.cpu),
    memory: String(spec.resources.reserved.memory),
    containers,
    ...(e.startedBy !== undefined && { startedBy: e.startedBy }),
    version: spec.generation + status.changes,
    ...(stoppedReason !== undefined && { stoppedReason }),
    ...(stopCode !== undefined && { stopCode }),
    ...(status.connectivity !== undefined && { connectivity: status.connectivity }),
    ...(status.connectivityAt !== undefined && { connectivityAt: status.connectivityAt }),
    ...(status.pullStartedAt !== undefined && { pullStartedAt: status.pullStartedAt }),
    ...(status.pullStoppedAt !== undefined && { pullStoppedAt: status.pullStoppedAt }),
    ...(status.executionStoppedAt !== undefined && { executionStoppedAt: status.executionStoppedAt }),
    createdAt: spec.createdAt,
    ...(status.startedAt !== undefined && { startedAt: status.startedAt }),
    ...(status.stoppingAt !== undefined && { stoppingAt: status.stoppingAt }),
    ...(status.stoppedAt !== undefined && { stoppedAt: status.stoppedAt }),
    group: e.group,
    launchType: spec.launchType,
    ...(p.availabilityZone !== undefined && { availabilityZone: p.availabilityZone }),
    attachments: status.attachments,
    healthStatus: status.healthStatus,
    tags: e.tags,
    enableExecuteCommand: spec.execEnabled,
    ...(e.platformFamily !== undefined && { platformFamily: e.platformFamily }),
    ...(e.attributes !== undefined && { attributes: e.attributes }),
    networkMode: spec.network.mode,
    reservedPorts: spec.network.reservedPorts,
    ...(e.healthChecked !== undefined && { healthChecked: e.healthChecked }),
    ...(p.capacityProviderName !== undefined && { capacityProviderName: p.capacityProviderName }),
    ...(e.platformVersion !== undefined && { platformVersion: e.platformVersion }),
    ...(spec.resources.ephemeralStorageGiB !== undefined && { ephemeralStorage: { sizeInGiB: spec.resources.ephemeralStorageGiB } }),
    ...(status.isolation !== undefined && { isolation: status.isolation }),
    ...(e.protectedUntil !== undefined && { protectedUntil: e.protectedUntil }),
  };
}

/** Which half of a task a write changes (core/workload/task-store.ts TaskPart). */
export type WrittenPart = 'spec' | 'status' | 'both';

/**
 * A writer's change of a task's join (`before` → `after`, records as ECS shows them) kept in
 * the half it writes: the spec takes the control plane's fields (desired status, its stop,
 * tags, protection), the status what its agent reports (statusOf). The version's step goes
 * to the half written (the status when both are), so the joined version is `after`'s.
 */
export function writePart(spec: TaskSpec, status: TaskStatus, part: WrittenPart, before: TaskRecord, after: TaskRecord): { spec: TaskSpec; status: TaskStatus } {
  const step = after.version - before.version;
  return {
    spec: part === 'status' ? spec : specAfter(spec, after, part === 'spec' ? step : 0),
    status: part === 'spec' ? status : { ...statusOf(after), changes: status.changes + step },
  };
}

function specAfter(spec: TaskSpec, t: TaskRecord, step: number): TaskSpec {
  const controlPlaneStop = t.desiredStatus === 'STOPPED' && rank(t.lastStatus) < rank('DEACTIVATING') && (t.stopCode !== undefined || t.stoppedReason !== undefined);
  const { protectedUntil: _p, ...ecs } = spec.ecs;
  return {
    ...spec,
    generation: spec.generation + step,
    desiredStatus: t.desiredStatus,
    ...(controlPlaneStop && { stop: { ...(t.stopCode !== undefined && { code: t.stopCode }), ...(t.stoppedReason !== undefined && { reason: t.stoppedReason }) } }),
    ecs: { ...ecs, tags: t.tags, ...(t.protectedUntil !== undefined && { protectedUntil: t.protectedUntil }) },
  };
}

/** The ECS Task of a spec and a status, as DescribeTasks answers it (task.ts taskView). */
export function ecsTaskView(spec: TaskSpec, status: TaskStatus, includeTags: boolean) {
  return taskView(recordOf(spec, status), includeTags);
}
