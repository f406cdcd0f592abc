/**
 * Task sets (issue 14, part 4): CreateTaskSet, UpdateTaskSet, UpdateServicePrimaryTaskSet,
 * DeleteTaskSet, DescribeTaskSets, for services of the EXTERNAL deployment controller.
 * Thin: parse, check, change the service record (which holds its task sets) with
 * compare-and-set, shape the answer. The tasks are started and stopped by the service
 * reconciler (src/controllers/service/task-sets.ts).
 */
import { fail } from '../../core/errors.ts';
import { checkPlatformVersion } from '../../core/ecs/fargate-rules.ts';
import type { ClusterRecord } from '../../core/ecs/cluster.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { CapacityProviderStrategyItem, NetworkConfiguration, ServiceRecord } from '../../core/ecs/service.ts';
import { serviceNameOf } from '../../core/ecs/service-lifecycle.ts';
import {
  checkLaunchTypeAndStrategy, checkNetworkConfiguration, checkUnsupported, validateCapacityProviderStrategy, validateClientToken,
} from '../../core/ecs/service-rules.ts';
import { validateTags, type Tag } from '../../core/ecs/tags.ts';
import { taskSetArn, taskSetIdOf, type TaskSetRecord } from '../../core/ecs/task-set.ts';
import { addTaskSet, drainTaskSet, makePrimary, requireExternal, scaleTaskSet, validateScale } from '../../core/ecs/task-set-lifecycle.ts';
import { taskSetView } from '../../core/ecs/task-set-view.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import { checkCapacityProviders, checkLaunchRules, serviceTaskDefinition } from './service-input.ts';
import { strategyLaunchType } from '../../scheduler/capacity-strategy.ts';
import { clusterStateServiceCounts, type ServiceCountsSource } from './service-counts.ts';
import { randomServiceIds, type ServiceIds } from './services.ts';

export interface CreateTaskSetInput {
  cluster: string;
  service: string;
  taskDefinition: string;
  externalId?: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers?: unknown[];
  serviceRegistries?: unknown[];
  launchType?: 'EC2' | 'FARGATE' | 'EXTERNAL';
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  scale?: { value?: number; unit?: string };
  clientToken?: string;
  tags?: Tag[];
}

interface TaskSetRef {
  cluster: string;
  service: string;
  taskSet: string;
}

/** `ids.deploymentId()` makes task set ids too: ECS's are the same "ecs-svc/" and 19 digits as deployments'. */
export function taskSetOperations({ store, state }: Pick<EcsDeps, 'store' | 'state'>, ids: ServiceIds = randomServiceIds, countsOf: ServiceCountsSource = clusterStateServiceCounts(state)) {

  const requireService = async (scope: Scope, cluster: string, ref: string): Promise<Versioned<ServiceRecord>> => {
    const name = serviceNameOf(ref, cluster);
    const s = name === undefined ? undefined : await getJson<ServiceRecord>(store, keys.service(scope, cluster, name));
    if (!s) fail('ServiceNotFoundException', `Service not found. No service '${ref}' in cluster ${cluster}: list them with ListServices.`);
    return s;
  };

  /** Compare-and-set loop on one service; `fn` may throw to refuse, and then nothing is written. */
  const change = async <T>(scope: Scope, cluster: ClusterRecord, ref: string, fn: (s: ServiceRecord) => Promise<{ service: ServiceRecord; out: T }> | { service: ServiceRecord; out: T }): Promise<{ service: ServiceRecord; out: T }> => {
    for (;;) {
      const cur = await requireService(scope, cluster.clusterName, ref);
      const r = await fn(cur.value);
      if (r.service === cur.value) return r;
      const key = keys.service(scope, cluster.clusterName, cur.value.serviceName);
      if ((await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [{ type: 'put', key, value: JSON.stringify(r.service) }] })).ok) return r;
    }
  };

  const idIn = (s: ServiceRecord, cluster: string, ref: string): string => {
    const id = taskSetIdOf(ref, cluster, s.serviceName);
    if (id === undefined) fail('TaskSetNotFoundException', `The specified task set does not exist. '${ref}' names no task set of service ${s.serviceName} in cluster ${cluster}: list them with DescribeTaskSets.`);
    return id;
  };

  const answer = async (scope: Scope, cluster: string, s: ServiceRecord, id: string) => {
    const set = (s.taskSets ?? []).find((t) => t.id === id) as TaskSetRecord;
    return { taskSet: taskSetView(set, s, await countsOf(scope, cluster, s.serviceName), 'answer') };
  };

  /** The operations that change one set: find the service, the set, apply `fn`, answer the set. */
  const changeSet = async (input: TaskSetRef, ctx: RequestContext, fn: (s: ServiceRecord, id: string, now: number) => ServiceRecord) => {
    const scope = scopeOf(ctx);
    const cluster = (await requireCluster(store, scope, input.cluster)).value;
    const r = await change(scope, cluster, input.service, (s) => {
      requireExternal(s);
      const id = idIn(s, cluster.clusterName, input.taskSet);
      return { service: fn(s, id, seconds(ctx)), out: id };
    });
    return answer(scope, cluster.clusterName, r.service, r.out);
  };

  return {
    async CreateTaskSet(input: CreateTaskSetInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.clientToken !== undefined) validateClientToken(input.clientToken);
      checkLaunchTypeAndStrategy(input.launchType, input.capacityProviderStrategy);
      if (input.launchType !== 'FARGATE') checkPlatformVersion(input.launchType, input.platformVersion);
      validateCapacityProviderStrategy(input.capacityProviderStrategy ?? []);
      checkUnsupported({ ...(input.loadBalancers && { loadBalancers: input.loadBalancers }), ...(input.serviceRegistries && { serviceRegistries: input.serviceRegistries }) });
      const scale = validateScale(input.scale);
      validateTags(input.tags ?? []);
      const cluster = (await requireCluster(store, scope, input.cluster)).value;
      // The service is looked up (and must be EXTERNAL) before the task definition it names.
      requireExternal((await requireService(scope, cluster.clusterName, input.service)).value);
      const td = await serviceTaskDefinition(store, scope, input.taskDefinition);
      checkNetworkConfiguration(input.networkConfiguration, td);
      await checkCapacityProviders(store, scope, cluster, input.capacityProviderStrategy ?? []);
      // Neither a launch type nor a strategy: the cluster's default strategy, else EC2 (CreateTaskSet reference).
      const clusterDefault = cluster.defaultCapacityProviderStrategy as unknown as CapacityProviderStrategyItem[];
      const strategy = input.capacityProviderStrategy?.length ? input.capacityProviderStrategy : input.launchType === undefined && clusterDefault.length ? clusterDefault : undefined;
      const launchType = strategy ? strategyLaunchType(strategy) : input.launchType ?? 'EC2';
      checkLaunchRules(launchType, { ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }), ...(input.networkConfiguration && { networkConfiguration: input.networkConfiguration }) }, td);
      // A Fargate task set shows the platform version asked for, LATEST when none (as a service does).
      const platformVersion = launchType === 'FARGATE' ? input.platformVersion ?? 'LATEST' : input.platformVersion;
      const id = ids.deploymentId();
      const r = await change(scope, cluster, input.service, (s) => {
        const made = addTaskSet(s, scope, cluster.clusterName, {
          taskDefinitionArn: td.taskDefinitionArn,
          ...(input.externalId !== undefined && { externalId: input.externalId }),
          ...(input.networkConfiguration !== undefined && { networkConfiguration: input.networkConfiguration }),
          ...(strategy ? { capacityProviderStrategy: strategy } : input.launchType !== undefined ? { launchType: input.launchType } : {}),
          ...(platformVersion !== undefined && { platformVersion }),
          scale,
          ...(input.clientToken !== undefined && { clientToken: input.clientToken }),
          tags: input.tags ?? [],
        }, id, seconds(ctx));
        return { service: made.service, out: made.taskSet.id };
      });
      return answer(scope, cluster.clusterName, r.service, r.out);
    },

    async UpdateTaskSet(input: TaskSetRef & { scale: { value?: number; unit?: string } }, ctx: RequestContext) {
      const scale = validateScale(input.scale);
      return changeSet(input, ctx, (s, id, now) => scaleTaskSet(s, id, scale, now));
    },

    async UpdateServicePrimaryTaskSet(input: { cluster: string; service: string; primaryTaskSet: string }, ctx: RequestContext) {
      return changeSet({ cluster: input.cluster, service: input.service, taskSet: input.primaryTaskSet }, ctx, (s, id, now) => makePrimary(s, id, now));
    },

    async DeleteTaskSet(input: TaskSetRef & { force?: boolean }, ctx: RequestContext) {
      return changeSet(input, ctx, (s, id, now) => drainTaskSet(s, id, input.force ?? false, now));
    },

    async DescribeTaskSets(input: { cluster: string; service: string; taskSets?: string[]; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const s = (await requireService(scope, cluster, input.service)).value;
      requireExternal(s);
      const counts = await countsOf(scope, cluster, s.serviceName);
      const tags = input.include?.includes('TAGS') ? 'include' : 'omit';
      const sets = s.taskSets ?? [];
      if (input.taskSets === undefined) return { taskSets: sets.map((t) => taskSetView(t, s, counts, tags)), failures: [] };
      const taskSets = [];
      const failures = [];
      for (const ref of input.taskSets) {
        const id = taskSetIdOf(ref, cluster, s.serviceName);
        const set = id === undefined ? undefined : sets.find((t) => t.id === id);
        if (set) taskSets.push(taskSetView(set, s, counts, tags));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : taskSetArn(scope, cluster, s.serviceName, ref), reason: 'MISSING' });
      }
      return { taskSets, failures };
    },
  };
}
