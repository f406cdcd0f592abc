/**
 * The placer's pure steps: a {@link Launch} turned into a {@link PlacementRequest}; a plan's
 * placements taken out of the snapshot (so the next launch of the same batch sees them);
 * the tasks a plan starts, with ECS's tags. No I/O: ids come in as arguments.
 */
import { DEFAULT_EPHEMERAL_STORAGE_GIB, FARGATE_PLATFORM_FAMILY } from '../core/ecs/fargate.ts';
import { resolvePlatformVersion } from '../core/ecs/fargate-rules.ts';
import type { Tag } from '../core/ecs/tags.ts';
import { demandOf, newTask, type Attachment, type TaskRecord } from '../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import type { Launch } from './launch.ts';
import { DEFAULT_SERVICE_STRATEGY } from './place.ts';
import type { PlacementConstraint, PlacementInstance, PlacementRequest, PlacementSnapshot } from './types.ts';

/** What placement needs of a launch; the task definition's constraints follow the request's. */
export function requestOf(l: Launch, td: TaskDefinitionRecord): PlacementRequest {
  const d = demandOf(td, l.overrides ?? {});
  const own = (td.placementConstraints as { type?: string; expression?: string }[])
    .filter((c) => c.type === 'memberOf' || c.type === 'distinctInstance')
    .map((c): PlacementConstraint => ({ type: c.type as PlacementConstraint['type'], ...(c.expression !== undefined && { expression: c.expression }) }));
  return {
    count: l.targets ? l.targets.length : l.count,
    demand: {
      cpu: d.cpu,
      memory: d.memory,
      ports: d.ports,
      requiredAttributes: td.requiresAttributes.map((a) => ({ name: a.name, ...((a as { value?: string }).value !== undefined && { value: (a as { value?: string }).value }) })),
      eni: td.networkMode === 'awsvpc',
    },
    group: groupOf(l, td),
    constraints: [...(l.placementConstraints ?? []), ...own],
    // No strategy given: a service's tasks spread over zones then instances, as ECS's
    // service scheduler does; RunTask's are placed at random (an empty list).
    strategy: l.placementStrategy?.length ? l.placementStrategy : groupOf(l, td).startsWith('service:') ? DEFAULT_SERVICE_STRATEGY : [],
    ...(l.targets && { targets: l.targets }),
  };
}

export function groupOf(l: Launch, td: TaskDefinitionRecord): string {
  return l.group ?? `family:${td.family}`;
}

/** The snapshot less what `placements` took: each placed task's resources, ports, ENI and group. */
export function consume(snap: PlacementSnapshot, r: PlacementRequest, placements: readonly string[]): PlacementSnapshot {
  if (placements.length === 0) return snap;
  const taken = new Map<string, number>();
  for (const arn of placements) taken.set(arn, (taken.get(arn) ?? 0) + 1);
  return {
    instances: snap.instances.map((i): PlacementInstance => {
      const k = taken.get(i.arn);
      if (!k) return i;
      const groups = new Map(i.groups);
      groups.set(r.group, (groups.get(r.group) ?? 0) + k);
      return {
        ...i,
        cpu: i.cpu - k * r.demand.cpu,
        memory: i.memory - k * r.demand.memory,
        eni: i.eni - (r.demand.eni ? k : 0),
        ...(r.demand.pod && { pods: (i.pods ?? 0) + k }),
        portsInUse: new Set([...i.portsInUse, ...r.demand.ports]),
        groups,
        taskCount: i.taskCount + k,
      };
    }),
  };
}

/**
 * A task's tags: the definition's when propagated from it, then the launch's own (a
 * service's, when propagated from the service), then ECS's managed tags when enabled.
 */
export function tagsOf(l: Launch, td: TaskDefinitionRecord, group: string): Tag[] {
  const tags: Tag[] = [...(l.propagateTags === 'TASK_DEFINITION' ? td.tags : []), ...(l.tags ?? [])];
  if (l.enableECSManagedTags) {
    tags.push({ key: 'aws:ecs:clusterName', value: l.cluster });
    if (group.startsWith('service:')) tags.push({ key: 'aws:ecs:serviceName', value: group.slice('service:'.length) });
  }
  return tags;
}

export interface Ids {
  /** A task id: 32 hex digits, as ECS's. */
  readonly taskId: () => string;
  /** A container or attachment id (a UUID). */
  readonly uuid: () => string;
}

/**
 * The task placed on `instance` by a launch (none: a FARGATE_SPOT task waiting for capacity,
 * in PROVISIONING with no host). `capacityProvider`: the provider of the strategy share it
 * was placed for (a Fargate task's FARGATE or FARGATE_SPOT); else the instance's own
 * provider names it (EC2).
 */
export function buildTask(l: Launch, td: TaskDefinitionRecord, instance: PlacementInstance | undefined, group: string, ids: Ids, capacityProvider?: string): TaskRecord {
  const subnet = l.networkConfiguration?.awsvpcConfiguration?.subnets[0];
  const attachments: Attachment[] = td.networkMode === 'awsvpc'
    ? [{ id: ids.uuid(), type: 'ElasticNetworkInterface', status: 'PRECREATED', details: subnet !== undefined ? [{ name: 'subnetId', value: subnet }] : [] }]
    : [];
  const az = instance?.attributes.get('ecs.availability-zone');
  const arch = instance?.attributes.get('ecs.cpu-architecture');
  const provider = l.launchType === 'FARGATE' ? capacityProvider : capacityProvider ?? instance?.capacityProvider;
  const task = newTask({
    scope: l.scope, clusterName: l.cluster, id: ids.taskId(), containerIds: td.containerDefinitions.map(() => ids.uuid()),
    taskDefinition: td, overrides: l.overrides ?? {}, ...(instance && { containerInstanceArn: instance.arn }),
    ...(az !== undefined && { availabilityZone: az }),
    ...(arch !== undefined && { cpuArchitecture: arch }),
    ...(provider !== undefined && { capacityProviderName: provider }),
    ...(l.startedBy !== undefined && { startedBy: l.startedBy }),
    group,
    tags: tagsOf(l, td, group), launchType: l.launchType ?? 'EC2', enableExecuteCommand: l.enableExecuteCommand ?? false,
    attachments, nowSeconds: l.now,
  });
  return l.launchType === 'FARGATE' ? { ...task, ...fargateFields(l, td, arch) } : task;
}

/**
 * What a Fargate task records beyond an EC2 one (Task reference; describe-tasks of a Fargate
 * task in the AWS CLI examples): the platform version it runs on (LATEST resolved), its
 * family, its ephemeral storage (the override's, else the definition's, else 20 GiB), and
 * its CPU architecture (the host's, else the definition's runtimePlatform). The task keeps
 * the pool host's containerInstanceArn; its view leaves it out (task.ts).
 */
export function fargateFields(l: Pick<Launch, 'platformVersion' | 'overrides'>, td: TaskDefinitionRecord, hostArchitecture?: string): Pick<TaskRecord, 'platformVersion' | 'platformFamily' | 'ephemeralStorage' | 'attributes'> {
  const size = l.overrides?.ephemeralStorage?.sizeInGiB ?? (td.ephemeralStorage as { sizeInGiB?: number } | undefined)?.sizeInGiB ?? DEFAULT_EPHEMERAL_STORAGE_GIB;
  const asked = (td.runtimePlatform as { cpuArchitecture?: string } | undefined)?.cpuArchitecture;
  return {
    platformVersion: resolvePlatformVersion(l.platformVersion),
    platformFamily: FARGATE_PLATFORM_FAMILY,
    ephemeralStorage: { sizeInGiB: size },
    attributes: [{ name: 'ecs.cpu-architecture', value: hostArchitecture ?? (asked === 'ARM64' ? 'arm64' : 'x86_64') }],
  };
}
