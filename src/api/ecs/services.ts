import { randomInt } from 'node:crypto';
import { fail } from '../../core/errors.ts';
import { checkPlatformVersion } from '../../core/ecs/fargate-rules.ts';
import { strategyLaunchType } from '../../scheduler/capacity-strategy.ts';
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { ServiceRecord } from '../../core/ecs/service.ts';
import { drainService, newService, serviceArn, serviceNameOf, updateService, type ServiceChange } from '../../core/ecs/service-lifecycle.ts';
import { checkDaemon, checkExternalUpdate, checkNetworkConfiguration, checkStrategyChange, resolveDeploymentConfiguration } from '../../core/ecs/service-rules.ts';
import { serviceView } from '../../core/ecs/service-view.ts';
import { decodeToken, encodeToken, pageSize } from '../../core/pagination.ts';
import { getJson, type Versioned } from '../../store/json.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { clusterStateServiceCounts, type ServiceCountsSource } from './service-counts.ts';
import { randomServiceDeploymentIds, withServiceDeployment, type ServiceDeploymentIds } from './service-deployments.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import {
  canonicalRequest, checkCapacityProviders, checkConstraintsWith, checkCreateInput, checkLaunchRules, checkUpdateInput, createSpec, serviceTaskDefinition,
  type CreateServiceInput, type UpdateServiceInput,
} from './service-input.ts';

/** The launch type of a service's tasks: its strategy's, else its launch type (EC2 when it has neither). */
function launchTypeOf(s: ServiceRecord): 'EC2' | 'FARGATE' | 'EXTERNAL' {
  return s.capacityProviderStrategy?.length ? strategyLaunchType(s.capacityProviderStrategy) : s.launchType ?? 'EC2';
}

/** DescribeServices takes at most 10 services (API reference). */
const MAX_DESCRIBE = 10;
/** ListServices: maxResults 1-100, 10 when not given (API reference). */
const MAX_LIST = 100;
const DEFAULT_LIST = 10;

/** Where new deployment ids come from: injected, so tests can name them. */
export interface ServiceIds extends Partial<ServiceDeploymentIds> {
  /** "ecs-svc/" and 19 digits, as ECS's deployment ids. */
  deploymentId(): string;
}

export const randomServiceIds: ServiceIds = {
  deploymentId: () => `ecs-svc/${randomInt(1, 10).toString()}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`,
};

export function serviceOperations({ store, state }: Pick<EcsDeps, 'store' | 'state'>, ids: ServiceIds = randomServiceIds, countsOf: ServiceCountsSource = clusterStateServiceCounts(state)) {
  const sdIds: ServiceDeploymentIds = {
    serviceDeploymentId: ids.serviceDeploymentId ?? randomServiceDeploymentIds.serviceDeploymentId,
    serviceRevisionId: ids.serviceRevisionId ?? randomServiceDeploymentIds.serviceRevisionId,
  };
  const answer = async (scope: Scope, cluster: string, s: ServiceRecord) => ({ service: serviceView(s, await countsOf(scope, cluster, s.serviceName), 'answer') });

  /** The service a request names in an ACTIVE cluster, or ServiceNotFoundException. */
  const requireService = async (scope: Scope, cluster: string, ref: string): Promise<Versioned<ServiceRecord>> => {
    const name = serviceNameOf(ref, cluster);
    const s = name === undefined ? undefined : await getJson<ServiceRecord>(store, keys.service(scope, cluster, name));
    if (!s) fail('ServiceNotFoundException', `Service not found. No service '${ref}' in cluster ${cluster}: list them with ListServices.`);
    return s;
  };

  /**
   * Compare-and-set loop on one service; `fn` may throw to refuse, and then nothing is
   * written. A change that starts a deployment opens its service deployment and revision.
   */
  const change = async (scope: Scope, cluster: string, ref: string, fn: (s: ServiceRecord) => Promise<ServiceRecord> | ServiceRecord, now: number): Promise<ServiceRecord> => {
    for (;;) {
      const cur = await requireService(scope, cluster, ref);
      const changed = await fn(cur.value);
      if (changed === cur.value) return changed;
      const { record: next, ops } = await withServiceDeployment(store, scope, cluster, cur.value, changed, sdIds, now);
      const key = keys.service(scope, cluster, cur.value.serviceName);
      if ((await store.txn({ if: [{ key, modRevision: cur.modRevision }], ops: [...ops, { type: 'put', key, value: JSON.stringify(next) }] })).ok) return next;
    }
  };

  return {
    async CreateService(input: CreateServiceInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const strategy = checkCreateInput(input);
      const cluster = (await requireCluster(store, scope, input.cluster)).value;
      const td = input.taskDefinition === undefined ? undefined : await serviceTaskDefinition(store, scope, input.taskDefinition);
      await checkCapacityProviders(store, scope, cluster, input.capacityProviderStrategy ?? []);
      const spec = createSpec(input, strategy, td, cluster);
      const request = canonicalRequest(input);
      const key = keys.service(scope, cluster.clusterName, input.serviceName);
      for (;;) {
        const existing = await getJson<ServiceRecord>(store, key);
        if (existing?.value.status === 'ACTIVE') {
          // ECS's create is idempotent: the same request answers the service it made.
          if (existing.value.creationRequest === request) return answer(scope, cluster.clusterName, existing.value);
          fail('InvalidParameterException', `Creation of service was not idempotent. Service ${input.serviceName} already exists in cluster ${cluster.clusterName} with other parameters: change it with UpdateService, or choose another name.`);
        }
        if (existing?.value.status === 'DRAINING') {
          fail('InvalidParameterException', `Unable to Start a service that is still Draining. Wait until ${input.serviceName} is INACTIVE (aws ecs wait services-inactive), or choose another name.`);
        }
        const now = seconds(ctx);
        const { record: service, ops } = await withServiceDeployment(store, scope, cluster.clusterName, undefined, newService(scope, cluster.clusterName, spec, ids.deploymentId(), now, request), sdIds, now);
        const r = await store.txn({ if: [{ key, modRevision: existing?.modRevision ?? 0 }], ops: [...ops, { type: 'put', key, value: JSON.stringify(service) }] });
        if (r.ok) return answer(scope, cluster.clusterName, service);
      }
    },

    async UpdateService(input: UpdateServiceInput, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      checkUpdateInput(input);
      const cluster = (await requireCluster(store, scope, input.cluster)).value;
      const name = cluster.clusterName;
      const updated = await change(scope, name, input.service, async (s) => {
        // The service is looked up before the task definition it is to run.
        if (s.status !== 'ACTIVE') fail('ServiceNotActiveException', `Service was not ACTIVE. ${s.serviceName} is ${s.status}: create it again to run it.`);
        if (s.deploymentController.type === 'EXTERNAL') checkExternalUpdate(input);
        const td = input.taskDefinition === undefined ? undefined : await serviceTaskDefinition(store, scope, input.taskDefinition);
        if (s.schedulingStrategy === 'DAEMON') checkDaemon({ ...(input.desiredCount !== undefined && { desiredCount: input.desiredCount }), ...(input.placementStrategy && { placementStrategy: input.placementStrategy }), ...(input.capacityProviderStrategy && { capacityProviderStrategy: input.capacityProviderStrategy }) });
        const runs = td ?? (await serviceTaskDefinition(store, scope, s.taskDefinition).catch(() => undefined));
        const net = input.networkConfiguration ?? s.networkConfiguration;
        if (runs && (td || input.networkConfiguration)) checkNetworkConfiguration(net, runs);
        if (runs && (td || input.placementConstraints)) checkConstraintsWith(input.placementConstraints ?? s.placementConstraints, runs);
        checkStrategyChange(s, input.capacityProviderStrategy, input.forceNewDeployment);
        if (input.capacityProviderStrategy?.length) await checkCapacityProviders(store, scope, cluster, input.capacityProviderStrategy);
        // The launch type after the update: a new strategy's; an empty strategy takes the service
        // back to the launch type of the capacity it used (UpdateService reference); else as it was.
        const launchType = input.capacityProviderStrategy?.length ? strategyLaunchType(input.capacityProviderStrategy) : launchTypeOf(s);
        if (runs) {
          checkLaunchRules(launchType, {
            ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
            placementConstraints: input.placementConstraints ?? s.placementConstraints,
            placementStrategy: input.placementStrategy ?? s.placementStrategy,
            ...(net && { networkConfiguration: net }),
          }, runs);
        } else if (launchType !== 'FARGATE') {
          checkPlatformVersion(launchType, input.platformVersion);
        }
        const c: ServiceChange = {
          ...(input.desiredCount !== undefined && { desiredCount: input.desiredCount }),
          ...(td && { taskDefinitionArn: td.taskDefinitionArn }),
          ...(input.capacityProviderStrategy !== undefined && { capacityProviderStrategy: input.capacityProviderStrategy, launchType }),
          ...(s.deploymentController.type !== 'EXTERNAL' && { fargate: launchType === 'FARGATE' }),
          ...(input.deploymentConfiguration && { deploymentConfiguration: resolveDeploymentConfiguration(input.deploymentConfiguration, s.schedulingStrategy, s.deploymentConfiguration) }),
          ...(input.networkConfiguration && { networkConfiguration: input.networkConfiguration }),
          ...(input.placementConstraints && { placementConstraints: input.placementConstraints }),
          ...(input.placementStrategy && { placementStrategy: input.placementStrategy }),
          ...(input.platformVersion !== undefined && { platformVersion: input.platformVersion }),
          ...(input.forceNewDeployment !== undefined && { forceNewDeployment: input.forceNewDeployment }),
          ...(input.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds }),
          ...(input.enableExecuteCommand !== undefined && { enableExecuteCommand: input.enableExecuteCommand }),
          ...(input.enableECSManagedTags !== undefined && { enableECSManagedTags: input.enableECSManagedTags }),
          ...(input.propagateTags !== undefined && { propagateTags: input.propagateTags }),
          ...(input.availabilityZoneRebalancing !== undefined && { availabilityZoneRebalancing: input.availabilityZoneRebalancing }),
        };
        const next = updateService(s, c, () => ids.deploymentId(), seconds(ctx));
        return JSON.stringify(next) === JSON.stringify(s) ? s : next;
      }, seconds(ctx));
      return answer(scope, name, updated);
    },

    async DeleteService(input: { cluster?: string; service: string; force?: boolean }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const name = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const deleted = await change(scope, name, input.service, (s) => drainService(s, input.force ?? false, seconds(ctx)), seconds(ctx));
      return answer(scope, name, deleted);
    },

    async DescribeServices(input: { cluster?: string; services: string[]; include?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      if (input.services.length < 1 || input.services.length > MAX_DESCRIBE) {
        fail('InvalidParameterException', `DescribeServices takes 1 to ${MAX_DESCRIBE} services; ${input.services.length} were given.`);
      }
      const name = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const tags = input.include?.includes('TAGS') ? 'include' : 'omit';
      const services = [];
      const failures = [];
      for (const ref of input.services) {
        const svc = serviceNameOf(ref, name);
        const s = svc === undefined ? undefined : await getJson<ServiceRecord>(store, keys.service(scope, name, svc));
        // Each service's own counts (kept per group), never a walk over the cluster's tasks.
        if (s) services.push(serviceView(s.value, await countsOf(scope, name, s.value.serviceName), tags));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : serviceArn(scope, name, ref), reason: 'MISSING' });
      }
      return { services, failures };
    },

    async ListServices(input: { cluster?: string; nextToken?: string; maxResults?: number; launchType?: string; schedulingStrategy?: string; resourceManagementType?: string }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const limit = pageSize(input.maxResults, MAX_LIST, DEFAULT_LIST);
      const name = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      const prefix = keys.services(scope, name);
      // DRAINING and INACTIVE services are not listed (DeleteService reference); every Berth service is customer-managed.
      const match = (s: ServiceRecord) => s.status === 'ACTIVE'
        && (input.launchType === undefined || s.launchType === input.launchType)
        && (input.schedulingStrategy === undefined || s.schedulingStrategy === input.schedulingStrategy)
        && (input.resourceManagementType === undefined || input.resourceManagementType === 'CUSTOMER');
      const serviceArns: string[] = [];
      let after = decodeToken(input.nextToken, prefix);
      for (;;) {
        const page = await store.list(prefix, { limit: 200, ...(after !== undefined && { after }) });
        for (const kv of page.items) {
          const s = JSON.parse(kv.value) as ServiceRecord;
          if (!match(s)) continue;
          serviceArns.push(s.serviceArn);
          if (serviceArns.length === limit) {
            const more = kv !== page.items[page.items.length - 1] || page.more;
            return { serviceArns, ...(more && { nextToken: encodeToken(kv.key) }) };
          }
        }
        if (!page.more) return { serviceArns };
        after = page.items[page.items.length - 1]!.key;
      }
    },

    /** Berth has no AWS Cloud Map namespaces yet, so every namespace is unknown. */
    async ListServicesByNamespace(input: { namespace: string; nextToken?: string; maxResults?: number }) {
      pageSize(input.maxResults, MAX_LIST, DEFAULT_LIST);
      fail('NamespaceNotFoundException', `Namespace not found: '${input.namespace}'. Berth has no AWS Cloud Map namespaces (Service Connect) yet.`);
    },
  };
}

