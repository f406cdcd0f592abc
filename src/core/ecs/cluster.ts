import { ApiError } from '../errors.ts';
import { parseArn } from '../arn.ts';
import type { CapacityProviderStrategyItem } from './service.ts';
import type { Tag } from './tags.ts';
import { ecsArn, type Scope } from './scope.ts';

export interface ClusterSetting {
  name: 'containerInsights';
  value: string;
}

/** A cluster as stored. Counts are not stored: they are derived from instances, tasks and services. */
export interface ClusterRecord {
  clusterArn: string;
  clusterName: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  settings: ClusterSetting[];
  configuration?: Record<string, unknown>;
  serviceConnectDefaults?: { namespace: string };
  /** Short names, in the order PutClusterCapacityProviders gave them. */
  capacityProviders: string[];
  /** With base and weight filled in (0 when not given), as AWS answers it. */
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  /** Epoch seconds. */
  createdAt: number;
}

export interface ClusterCounts {
  registeredContainerInstancesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
  /** Of the counts above, the Fargate tasks' and services' (DescribeClusters' STATISTICS split them by launch type). */
  runningFargateTasksCount: number;
  pendingFargateTasksCount: number;
  activeFargateServicesCount: number;
  /** Services being deleted (DRAINING), all and Fargate. */
  drainingServicesCount: number;
  drainingFargateServicesCount: number;
}

/** A cluster with nothing in it. */
export const NO_COUNTS: Readonly<ClusterCounts> = {
  registeredContainerInstancesCount: 0, runningTasksCount: 0, pendingTasksCount: 0, activeServicesCount: 0,
  runningFargateTasksCount: 0, pendingFargateTasksCount: 0, activeFargateServicesCount: 0, drainingServicesCount: 0, drainingFargateServicesCount: 0,
};

export type ClusterField = 'ATTACHMENTS' | 'CONFIGURATIONS' | 'SETTINGS' | 'STATISTICS' | 'TAGS';

export const DEFAULT_CLUSTER = 'default';
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const INSIGHTS_VALUES = ['enabled', 'disabled', 'enhanced'];

export function validateClusterName(name: string): void {
  if (!NAME.test(name)) {
    throw new ApiError('InvalidParameterException', `Cluster name '${name}' is not valid: use 1 to 255 letters, numbers, hyphens and underscores.`);
  }
}

export function validateClusterSettings(settings: readonly { name: string; value: string }[]): ClusterSetting[] {
  return settings.map((s) => {
    if (s.name !== 'containerInsights') throw new ApiError('InvalidParameterException', `Cluster setting '${s.name}' is not valid: the only cluster setting is containerInsights.`);
    if (!INSIGHTS_VALUES.includes(s.value)) throw new ApiError('InvalidParameterException', `containerInsights must be one of ${INSIGHTS_VALUES.join(', ')}; it was '${s.value}'.`);
    return { name: 'containerInsights', value: s.value };
  });
}

/**
 * The cluster name a request refers to. Requests may give a name or a full ARN; an
 * omitted cluster means `default`, as in every ECS operation whose cluster is optional.
 */
export function clusterNameOf(ref: string | undefined): string {
  if (ref === undefined || ref === '') return DEFAULT_CLUSTER;
  const arn = parseArn(ref);
  if (!arn) return ref;
  const m = /^cluster\/(.+)$/.exec(arn.resource);
  if (arn.service !== 'ecs' || !m) throw new ApiError('InvalidParameterException', `'${ref}' is not a cluster ARN: expected arn:aws:ecs:<region>:<account>:cluster/<name>.`);
  return m[1]!;
}

export function newCluster(scope: Scope, input: {
  clusterName: string; tags: Tag[]; settings: ClusterSetting[]; configuration?: Record<string, unknown>;
  serviceConnectDefaults?: { namespace: string }; capacityProviders?: string[]; defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
}, nowSeconds: number): ClusterRecord {
  return {
    clusterArn: ecsArn(scope, `cluster/${input.clusterName}`),
    clusterName: input.clusterName,
    status: 'ACTIVE',
    tags: input.tags,
    settings: input.settings,
    ...(input.configuration && { configuration: input.configuration }),
    ...(input.serviceConnectDefaults && { serviceConnectDefaults: input.serviceConnectDefaults }),
    capacityProviders: input.capacityProviders ?? [],
    defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
    createdAt: nowSeconds,
  };
}

/**
 * The Cluster shape of the ECS API, as AWS answers it.
 * - DescribeClusters (`include` the fields asked for): statistics, tags and settings are
 *   empty lists unless asked for; configuration and attachments only when asked for;
 *   capacityProviders and defaultCapacityProviderStrategy always.
 * - Create/Update/Delete (`'answer'`): the cluster's tags, settings and configuration;
 *   statistics an empty list; capacity providers only when the cluster has some.
 * (AWS CLI examples of create-cluster, update-cluster-settings, delete-cluster and
 * describe-clusters --include ATTACHMENTS, which show AWS's own answers.)
 */
export function clusterView(c: ClusterRecord, counts: ClusterCounts, include: readonly ClusterField[] | 'answer') {
  const answer = include === 'answer';
  const has = (f: ClusterField) => !answer && include.includes(f);
  return {
    clusterArn: c.clusterArn,
    clusterName: c.clusterName,
    ...((answer || has('CONFIGURATIONS')) && c.configuration && { configuration: c.configuration }),
    status: c.status,
    registeredContainerInstancesCount: counts.registeredContainerInstancesCount,
    runningTasksCount: counts.runningTasksCount,
    pendingTasksCount: counts.pendingTasksCount,
    activeServicesCount: counts.activeServicesCount,
    statistics: has('STATISTICS') ? statistics(counts) : [],
    tags: answer || has('TAGS') ? c.tags : [],
    settings: answer || has('SETTINGS') ? c.settings : [],
    ...((!answer || c.capacityProviders.length > 0) && { capacityProviders: c.capacityProviders }),
    ...((!answer || c.defaultCapacityProviderStrategy.length > 0) && { defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy }),
    ...(has('ATTACHMENTS') && { attachments: [] }),
    ...(c.serviceConnectDefaults && { serviceConnectDefaults: c.serviceConnectDefaults }),
  };
}

function statistics(c: ClusterCounts): { name: string; value: string }[] {
  // The names and order of AWS's answers (External, ECS Anywhere, since 2021). Berth has no
  // EXTERNAL instances, so their counts are 0.
  const stat = (name: string, value: number) => ({ name, value: String(value) });
  return [
    stat('runningEC2TasksCount', c.runningTasksCount - c.runningFargateTasksCount),
    stat('runningFargateTasksCount', c.runningFargateTasksCount),
    stat('pendingEC2TasksCount', c.pendingTasksCount - c.pendingFargateTasksCount),
    stat('pendingFargateTasksCount', c.pendingFargateTasksCount),
    stat('runningExternalTasksCount', 0),
    stat('pendingExternalTasksCount', 0),
    stat('activeEC2ServiceCount', c.activeServicesCount - c.activeFargateServicesCount),
    stat('activeFargateServiceCount', c.activeFargateServicesCount),
    stat('drainingEC2ServiceCount', c.drainingServicesCount - c.drainingFargateServicesCount),
    stat('drainingFargateServiceCount', c.drainingFargateServicesCount),
    stat('activeExternalServiceCount', 0),
    stat('drainingExternalServiceCount', 0),
  ];
}
