/**
 * What the task set operations write (CreateTaskSet, UpdateTaskSet,
 * UpdateServicePrimaryTaskSet, DeleteTaskSet): each takes the service record and answers
 * the next one, or throws AWS's exception and changes nothing. Pure: ids and `now` are
 * arguments. The outcome (tasks started and stopped, stabilityStatus, a drained set
 * dropped) is the service reconciler's (src/controllers/service/task-sets.ts).
 */
import { fail } from '../errors.ts';
import type { Scope } from './scope.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration, ServiceRecord } from './service.ts';
import type { Tag } from './tags.ts';
import { DEFAULT_SCALE, MAX_TASK_SETS_PER_SERVICE, taskSetArn, type Scale, type TaskSetRecord } from './task-set.ts';

/** CreateTaskSet after its rules: the task definition resolved to an ACTIVE revision's ARN. */
export interface TaskSetSpec {
  taskDefinitionArn: string;
  externalId?: string;
  networkConfiguration?: NetworkConfiguration;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  scale?: Scale;
  clientToken?: string;
  tags: Tag[];
}

/** The message ECS answers when a task set operation names a service of another controller. */
export const NOT_EXTERNAL = 'Amazon ECS only supports task set management on services configured to use external deployment controllers.';

/** Task set operations need an ACTIVE service of the EXTERNAL deployment controller. */
export function requireExternal(s: ServiceRecord): void {
  if (s.status !== 'ACTIVE') fail('ServiceNotActiveException', `Service was not ACTIVE. ${s.serviceName} is ${s.status}: create it again to run it.`);
  if (s.deploymentController.type !== 'EXTERNAL') {
    fail('InvalidParameterException', `${NOT_EXTERNAL} ${s.serviceName} uses the ${s.deploymentController.type} controller: create a service with --deployment-controller type=EXTERNAL.`);
  }
}

/** Scale: a percentage from 0 to 100 (Scale.value in the API reference); PERCENT is the only unit. */
export function validateScale(scale: { value?: number; unit?: string } | undefined): Scale {
  if (!scale) return DEFAULT_SCALE;
  const value = scale.value ?? 0;
  if (!Number.isFinite(value) || value < 0 || value > 100) fail('InvalidParameterException', `Scale value must be a number between 0 and 100 (a percentage of the service's desiredCount); it was ${scale.value}.`);
  if (scale.unit !== undefined && scale.unit !== 'PERCENT') fail('InvalidParameterException', `Scale unit must be PERCENT; it was ${scale.unit}.`);
  return { value, unit: 'PERCENT' };
}

function find(s: ServiceRecord, id: string): TaskSetRecord {
  const set = (s.taskSets ?? []).find((t) => t.id === id);
  if (!set) fail('TaskSetNotFoundException', `The specified task set does not exist. No task set '${id}' in service ${s.serviceName}: list them with DescribeTaskSets.`);
  return set;
}

function replace(s: ServiceRecord, sets: TaskSetRecord[]): ServiceRecord {
  return { ...s, taskSets: sets, steady: false };
}

/**
 * CreateTaskSet: a new ACTIVE set (the external controller makes it PRIMARY when it chooses).
 * A clientToken already used by a set of this service answers that set and writes nothing.
 */
export function addTaskSet(s: ServiceRecord, scope: Scope, cluster: string, spec: TaskSetSpec, id: string, now: number): { service: ServiceRecord; taskSet: TaskSetRecord } {
  requireExternal(s);
  const sets = s.taskSets ?? [];
  const same = spec.clientToken === undefined ? undefined : sets.find((t) => t.clientToken === spec.clientToken);
  if (same) return { service: s, taskSet: same };
  if (sets.length >= MAX_TASK_SETS_PER_SERVICE) {
    fail('LimitExceededException', `Service ${s.serviceName} already has ${sets.length} task sets, the most Berth keeps per service: delete one with DeleteTaskSet first.`);
  }
  const taskSet: TaskSetRecord = {
    id,
    taskSetArn: taskSetArn(scope, cluster, s.serviceName, id),
    status: 'ACTIVE',
    taskDefinition: spec.taskDefinitionArn,
    ...(spec.externalId !== undefined && { externalId: spec.externalId }),
    scale: spec.scale ?? DEFAULT_SCALE,
    createdAt: now,
    updatedAt: now,
    ...(spec.capacityProviderStrategy?.length ? { capacityProviderStrategy: spec.capacityProviderStrategy } : { launchType: spec.launchType ?? 'EC2' }),
    ...(spec.platformVersion !== undefined && { platformVersion: spec.platformVersion }),
    ...(spec.networkConfiguration !== undefined && { networkConfiguration: spec.networkConfiguration }),
    loadBalancers: [],
    serviceRegistries: [],
    tags: spec.tags,
    stabilityStatus: 'STABILIZING',
    stabilityStatusAt: now,
    ...(spec.clientToken !== undefined && { clientToken: spec.clientToken }),
  };
  return { service: replace(s, [...sets, taskSet]), taskSet };
}

/** UpdateTaskSet: a new scale. A DRAINING set is on its way out and takes none. */
export function scaleTaskSet(s: ServiceRecord, id: string, scale: Scale, now: number): ServiceRecord {
  requireExternal(s);
  const set = find(s, id);
  if (set.status === 'DRAINING') fail('InvalidParameterException', `Task set ${id} is DRAINING (deleted) and can no longer be scaled: create a new task set.`);
  if (set.scale.value === scale.value) return s;
  return replace(s, (s.taskSets ?? []).map((t) => (t.id === id ? { ...t, scale, updatedAt: now } : t)));
}

/**
 * UpdateServicePrimaryTaskSet: `id` becomes PRIMARY and the previous PRIMARY ACTIVE; the
 * service takes the new primary's task set fields ("any task set parameter values that
 * exist on the new primary task set ... are updated", developer guide, external deployment).
 */
export function makePrimary(s: ServiceRecord, id: string, now: number): ServiceRecord {
  requireExternal(s);
  const set = find(s, id);
  if (set.status === 'DRAINING') fail('InvalidParameterException', `Task set ${id} is DRAINING (deleted) and cannot become the primary task set: choose an ACTIVE one.`);
  if (set.status === 'PRIMARY') return s;
  const sets = (s.taskSets ?? []).map((t): TaskSetRecord => {
    if (t.id === id) return { ...t, status: 'PRIMARY', updatedAt: now };
    return t.status === 'PRIMARY' ? { ...t, status: 'ACTIVE', updatedAt: now } : t;
  });
  return withPrimaryFields(replace(s, sets), set);
}

/**
 * DeleteTaskSet: DRAINING; the reconciler stops its tasks and drops it. A set still scaled
 * above 0 is refused unless `force` (DeleteTaskSet.force). A set already DRAINING answers as it is.
 */
export function drainTaskSet(s: ServiceRecord, id: string, force: boolean, now: number): ServiceRecord {
  requireExternal(s);
  const set = find(s, id);
  if (set.status === 'DRAINING') return s;
  if (!force && set.scale.value > 0) {
    fail('InvalidParameterException', `The task set cannot be deleted while it is scaled above 0 (${set.scale.value} percent). Scale it to 0 with UpdateTaskSet first, or delete it with force.`);
  }
  const next = replace(s, (s.taskSets ?? []).map((t): TaskSetRecord => (t.id === id ? { ...t, status: 'DRAINING', updatedAt: now, stabilityStatus: 'STABILIZING', stabilityStatusAt: now } : t)));
  return set.status === 'PRIMARY' ? withPrimaryFields(next, undefined) : next;
}

/** The service's task set fields: the primary's, or none ("If no primary task set is defined ... the task set fields are null"). */
function withPrimaryFields(s: ServiceRecord, primary: TaskSetRecord | undefined): ServiceRecord {
  const next: ServiceRecord = { ...s, taskDefinition: primary?.taskDefinition ?? '' };
  delete next.networkConfiguration;
  delete next.platformVersion;
  if (!primary) return next;
  if (primary.networkConfiguration) next.networkConfiguration = primary.networkConfiguration;
  if (primary.platformVersion !== undefined) next.platformVersion = primary.platformVersion;
  if (primary.capacityProviderStrategy?.length) {
    delete next.launchType;
    next.capacityProviderStrategy = primary.capacityProviderStrategy;
  } else if (primary.launchType) {
    delete next.capacityProviderStrategy;
    next.launchType = primary.launchType;
  }
  return next;
}
