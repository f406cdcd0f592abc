import { createHash } from 'node:crypto';
import type { TaskSummary } from '../../cluster/types.ts';
import { fail } from '../../core/errors.ts';
import { parseArn } from '../../core/arn.ts';
import { clusterNameOf } from '../../core/ecs/cluster.ts';
import { checkAssignPublicIp, checkFargateLaunch, checkPlatformVersion } from '../../core/ecs/fargate-rules.ts';
import { checkNetworkConfiguration } from '../../core/ecs/service-rules.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration } from '../../core/ecs/service.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import { taskView, type TaskOverride, type TaskRecord } from '../../core/ecs/task.ts';
import type { TaskDefinitionRecord } from '../../core/ecs/task-definition.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import type { Failure, PlacementConstraint, PlacementStrategy } from '../../scheduler/types.ts';
import { resolveStrategy, type LaunchType } from '../../scheduler/capacity-strategy.ts';
import { changeTask, clusterTasksPrefix, readTask } from '../../core/workload/task-store.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { findInstance } from './container-instances.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import { resolveTaskDefinition } from './task-definitions.ts';

/** RunTask starts 1 to 10 tasks per call; StartTask takes up to 10 instances (ECS API reference). */
const MAX_COUNT = 10;
/** DescribeTasks takes at most 100 tasks. */
const MAX_DESCRIBE = 100;
/** startedBy and group are at most this long. */
const MAX_TAG_LIKE = 128;
/** clientToken: up to 64 characters (RunTask reference). */
const MAX_CLIENT_TOKEN = 64;
/** Placement constraints per task, and strategies per request (ECS developer guide, task placement). */
const MAX_CONSTRAINTS = 10;
const MAX_STRATEGIES = 5;

interface RunInput {
  cluster?: string;
  taskDefinition: string;
  count?: number;
  overrides?: TaskOverride;
  startedBy?: string;
  group?: string;
  tags?: Tag[];
  clientToken?: string;
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  networkConfiguration?: { awsvpcConfiguration?: { subnets: string[]; securityGroups?: string[]; assignPublicIp?: string } };
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableECSManagedTags?: boolean;
  enableExecuteCommand?: boolean;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  placementConstraints?: unknown[];
  placementStrategy?: unknown[];
  platformVersion?: string;
}

export function taskOperations({ store, state, placer }: EcsDeps) {
  const prepare = async (ctx: RequestContext, input: RunInput, count: number) => {
    const scope = scopeOf(ctx);
    // The request's own parameters are checked before anything is looked up, as AWS does.
    if (count < 1 || count > MAX_COUNT) fail('InvalidParameterException', `count must be between 1 and ${MAX_COUNT}; it was ${count}.`);
    if (input.clientToken !== undefined && input.clientToken.length > MAX_CLIENT_TOKEN) fail('InvalidParameterException', `clientToken must be at most ${MAX_CLIENT_TOKEN} characters.`);
    const placement = placementOf(input);
    const clusterRecord = (await requireCluster(store, scope, input.cluster)).value;
    const cluster = clusterRecord.clusterName;
    const td = await resolveTaskDefinition(store, scope, input.taskDefinition);
    if (!td) fail('ClientException', `Unable to find task definition '${input.taskDefinition}': register it first, or check the family and revision.`);
    if (td.status !== 'ACTIVE') fail('ClientException', `TaskDefinition ${td.taskDefinitionArn} is ${td.status}: run an ACTIVE revision.`);
    // The strategy's own refusals (both a launch type and a strategy, a provider the cluster
    // lacks, all weights 0) before anything is placed; the placer splits by it. Its launch
    // type (a FARGATE / FARGATE_SPOT strategy's is FARGATE) decides the rules that apply.
    const { launchType } = resolveStrategy({ ...(input.launchType && { launchType: input.launchType }), ...(input.capacityProviderStrategy && { capacityProviderStrategy: input.capacityProviderStrategy }) }, clusterRecord);
    checkRunInput(input, td, launchType);
    return { scope, cluster, td, placement };
  };

  const submit = async (ctx: RequestContext, input: RunInput, count: number, targets?: string[]) => {
    const { scope, cluster, td, placement } = await prepare(ctx, input, count);
    const out = await placer.launch({
      scope, cluster, taskDefinitionArn: td.taskDefinitionArn, resolved: td, count,
      ...(input.overrides && { overrides: input.overrides }),
      ...(input.startedBy !== undefined && { startedBy: input.startedBy }),
      ...(input.group !== undefined && { group: input.group }),
      ...(input.tags && { tags: input.tags }),
      ...(input.propagateTags && { propagateTags: input.propagateTags }),
      ...(input.enableECSManagedTags !== undefined && { enableECSManagedTags: input.enableECSManagedTags }),
      ...(input.enableExecuteCommand !== undefined && { enableExecuteCommand: input.enableExecuteCommand }),
      ...(input.launchType && { launchType: input.launchType }),
      ...(input.capacityProviderStrategy && { capacityProviderStrategy: input.capacityProviderStrategy }),
      ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
      ...(input.networkConfiguration && { networkConfiguration: input.networkConfiguration as NetworkConfiguration }),
      ...placement,
      ...(targets && { targets }),
      ...(input.clientToken !== undefined && { clientToken: input.clientToken, fingerprint: fingerprint(input) }),
      now: seconds(ctx),
    });
    return { tasks: out.tasks.map((t) => taskView(t, true)), failures: out.failures.map(failureView) };
  };

  return {
    RunTask(input: RunInput, ctx: RequestContext) {
      return submit(ctx, input, input.count ?? 1);
    },

    async StartTask(input: RunInput & { containerInstances: string[] }, ctx: RequestContext) {
      if (input.containerInstances.length < 1 || input.containerInstances.length > MAX_COUNT) {
        fail('InvalidParameterException', `containerInstances must name 1 to ${MAX_COUNT} instances; ${input.containerInstances.length} were given.`);
      }
      // StartTask starts EC2 tasks on the instances it names (it has no launch type, strategy
      // or platform version): never a Fargate task, whose pool hosts are no instance of a cluster.
      const { clientToken: _token, placementConstraints: _c, placementStrategy: _s, capacityProviderStrategy: _p, platformVersion: _v, ...rest } = input;
      return submit(ctx, { ...rest, launchType: 'EC2' }, input.containerInstances.length, input.containerInstances);
    },

    async StopTask(input: { cluster?: string; task: string; reason?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const id = taskRefId(input.task, clusterNameOf(input.cluster));
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      // The stop is the spec's (the control plane's word): a report of its agent meanwhile does not refuse it.
      const w = await changeTask(store, { scope, cluster, id }, 'spec', (t): TaskRecord | undefined => t.desiredStatus === 'STOPPED' ? undefined : {
        ...t, desiredStatus: 'STOPPED', stopCode: t.stopCode ?? 'UserInitiated', stoppedReason: t.stoppedReason ?? input.reason ?? 'Task stopped by user', version: t.version + 1,
      });
      if (w.outcome === 'missing') fail('InvalidParameterException', `The referenced task was not found: '${input.task}' in cluster ${cluster}.`);
      if (w.outcome === 'conflict') fail('ServerException', `Task ${input.task} changed too often to be stopped: retry the request.`);
      return { task: taskView(w.task.record, true) };
    },

    async DescribeTasks(input: { cluster?: string; tasks: string[]; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      // ECS's own sentence for an empty list (reported by its users: aws/copilot-cli#3551 and others).
      if (input.tasks.length === 0) fail('InvalidParameterException', 'Tasks cannot be empty. Name at least one task (ListTasks lists them).');
      if (input.tasks.length > MAX_DESCRIBE) fail('InvalidParameterException', `DescribeTasks takes at most ${MAX_DESCRIBE} tasks; ${input.tasks.length} were given.`);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const tasks = [];
      const failures = [];
      for (const ref of input.tasks) {
        let id: string;
        try {
          id = taskRefId(ref, cluster);
        } catch {
          failures.push({ arn: ref, reason: 'MISSING' });
          continue;
        }
        const t = await readTask(store, { scope, cluster, id });
        if (t) tasks.push(taskView(t.record, input.include?.includes('TAGS') ?? false));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { tasks, failures };
    },

    async ListTasks(input: { cluster?: string; containerInstance?: string; family?: string; startedBy?: string; serviceName?: string; desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED'; launchType?: string; nextToken?: string; maxResults?: number }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const limit = pageSize(input.maxResults, 100);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const prefix = clusterTasksPrefix(scope, cluster);
      const instance = input.containerInstance && (await findInstance(store, scope, cluster, input.containerInstance));
      if (input.containerInstance && !instance) fail('InvalidParameterException', `Container instance ${input.containerInstance} is not in cluster ${cluster}.`);
      const after = decodeToken(input.nextToken, prefix)?.slice(prefix.length);
      // PENDING is accepted as a desiredStatus filter and means tasks desired RUNNING that are not yet (ECS API reference).
      const wanted = input.desiredStatus ?? 'RUNNING';
      const tasks = state.tasks({ scope, cluster }, {
        ...(instance && { instanceArn: instance.value.containerInstanceArn }),
        ...(input.family !== undefined && { family: input.family }),
        ...(input.startedBy !== undefined && { startedBy: input.startedBy }),
        ...(input.serviceName !== undefined && { group: `service:${input.serviceName}` }),
        desiredStatus: wanted === 'STOPPED' ? 'STOPPED' : 'RUNNING',
        ...(after !== undefined && { after }),
      });
      const taskArns: string[] = [];
      let last: TaskSummary | undefined;
      for (const t of tasks) {
        if (wanted === 'PENDING' ? t.desiredStatus !== 'RUNNING' || t.lastStatus === 'RUNNING' : t.desiredStatus !== wanted) continue;
        if (input.launchType !== undefined && t.launchType !== input.launchType) continue;
        // One match past a full page says there is a next page.
        if (taskArns.length === limit) return { taskArns, nextToken: encodeToken(last!.key) };
        taskArns.push(t.taskArn);
        last = t;
      }
      return { taskArns };
    },
  };
}

/** The rules RunTask applies to its input beyond its shape, for the tasks' launch type. */
function checkRunInput(input: RunInput, td: TaskDefinitionRecord, launchType: LaunchType): void {
  validateTags(input.tags ?? []);
  if (input.startedBy !== undefined && input.startedBy.length > MAX_TAG_LIKE) fail('InvalidParameterException', `startedBy must be at most ${MAX_TAG_LIKE} characters.`);
  if (input.group !== undefined && input.group.length > 255) fail('InvalidParameterException', 'group must be at most 255 characters.');
  if (launchType === 'FARGATE') {
    checkFargateLaunch({
      ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
      ...(input.placementConstraints && { placementConstraints: input.placementConstraints }),
      ...(input.placementStrategy && { placementStrategy: input.placementStrategy }),
      ...(input.overrides && { overrides: input.overrides }),
    }, td);
  } else {
    checkPlatformVersion(launchType, input.platformVersion);
  }
  checkNetworkConfiguration(input.networkConfiguration as NetworkConfiguration | undefined, td);
  checkAssignPublicIp(input.networkConfiguration as NetworkConfiguration | undefined, launchType);
  for (const o of input.overrides?.containerOverrides ?? []) {
    if (!td.containerDefinitions.some((c) => c.name === o.name)) {
      fail('InvalidParameterException', `Override for container named ${o.name} is not a container in the TaskDefinition.`);
    }
  }
}

/** The task id in a task ARN (old or new format) or the id itself. */
export function taskRefId(ref: string, cluster: string): string {
  const arn = parseArn(ref);
  if (!arn) {
    if (!/^[a-f0-9]{32}$/.test(ref)) fail('InvalidParameterException', `'${ref}' is not a task id or ARN.`);
    return ref;
  }
  const m = /^task\/(?:([^/]+)\/)?([a-f0-9]{32})$/.exec(arn.resource);
  if (arn.service !== 'ecs' || !m || (m[1] !== undefined && m[1] !== cluster)) fail('InvalidParameterException', `'${ref}' is not a task of cluster ${cluster}.`);
  return m[2]!;
}

/** What makes two RunTask requests the same one, for a clientToken used again. */
function fingerprint(input: RunInput): string {
  const { clientToken: _t, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** A placement failure as the API answers it (`detail` only when there is one). */
function failureView(f: Failure) {
  return { arn: f.arn, reason: f.reason, ...(f.detail !== undefined && { detail: f.detail }) };
}

/** The request's placement constraints and strategy, checked against ECS's limits. */
function placementOf(input: RunInput): { placementConstraints?: PlacementConstraint[]; placementStrategy?: PlacementStrategy[] } {
  const constraints = (input.placementConstraints ?? []) as { type?: string; expression?: string }[];
  const strategy = (input.placementStrategy ?? []) as { type?: string; field?: string }[];
  if (constraints.length > MAX_CONSTRAINTS) fail('InvalidParameterException', `At most ${MAX_CONSTRAINTS} placement constraints can be given; ${constraints.length} were.`);
  if (strategy.length > MAX_STRATEGIES) fail('InvalidParameterException', `At most ${MAX_STRATEGIES} placement strategies can be given; ${strategy.length} were.`);
  for (const c of constraints) {
    if (c.type !== 'distinctInstance' && c.type !== 'memberOf') fail('InvalidParameterException', `Placement constraint type '${c.type}' is not valid: use distinctInstance or memberOf.`);
  }
  for (const x of strategy) {
    if (x.type !== 'random' && x.type !== 'spread' && x.type !== 'binpack') fail('InvalidParameterException', `Placement strategy type '${x.type}' is not valid: use random, spread or binpack.`);
  }
  return {
    ...(constraints.length > 0 && { placementConstraints: constraints as PlacementConstraint[] }),
    ...(strategy.length > 0 && { placementStrategy: strategy as PlacementStrategy[] }),
  };
}
