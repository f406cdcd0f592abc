/**
 * Capacity provider strategies at launch, pure.
 *
 *   request (launchType | capacityProviderStrategy | neither) + cluster
 *     ──resolveStrategy──▶ launch type + strategy (checked against the cluster)
 *     ──splitLaunch(strategy, count, running)──▶ [{ capacityProvider, count }]
 *     ──▶ one place() per provider, its PlacementRequest.capacityProvider set
 *
 * ECS's order (RunTask / CreateService reference): a request gives a launch type or a
 * strategy, never both; with neither, the cluster's default strategy; with no default,
 * launch type EC2 on any instance.
 */
import {
  failUnassociated, normaliseStrategy, unassociated, type StrategyItem,
} from '../core/ecs/capacity-provider-strategy.ts';
import { kindOf, PROVIDER_KINDS } from '../core/ecs/capacity-provider.ts';
import { fail } from '../core/errors.ts';
import type { CapacityProviderStrategyItem } from '../core/ecs/service.ts';

export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

export interface StrategyRequest {
  readonly launchType?: LaunchType;
  readonly capacityProviderStrategy?: readonly CapacityProviderStrategyItem[];
}

/** What of the cluster record decides: its associated providers and default strategy. */
export interface StrategyCluster {
  readonly capacityProviders: readonly string[];
  readonly defaultCapacityProviderStrategy: readonly CapacityProviderStrategyItem[];
}

export type ResolvedStrategy =
  | { readonly kind: 'launchType'; readonly launchType: LaunchType }
  /** `launchType` is the tasks' launch type (EC2 for EC2 providers), as ECS answers it on a task. */
  | { readonly kind: 'strategy'; readonly launchType: LaunchType; readonly strategy: readonly StrategyItem[]; readonly fromDefault: boolean };

/**
 * Decides how a RunTask or CreateService request gets capacity. Throws
 * InvalidParameterException, as ECS does, for both a launch type and a strategy, a
 * provider the cluster does not have (FARGATE and FARGATE_SPOT too: a cluster uses them
 * once they are associated with it), a strategy whose weights are all 0, and a mix of
 * Fargate and EC2 providers. A launch type FARGATE needs no association.
 */
export function resolveStrategy(request: StrategyRequest, cluster: StrategyCluster): ResolvedStrategy {
  const given = request.capacityProviderStrategy ?? [];
  if (request.launchType !== undefined && given.length > 0) {
    fail('InvalidParameterException', 'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
  if (given.length > 0) return checked(normaliseStrategy(given), cluster, false);
  if (request.launchType !== undefined) return { kind: 'launchType', launchType: request.launchType };
  if (cluster.defaultCapacityProviderStrategy.length > 0) return checked(normaliseStrategy(cluster.defaultCapacityProviderStrategy), cluster, true);
  return { kind: 'launchType', launchType: 'EC2' };
}

function checked(strategy: StrategyItem[], cluster: StrategyCluster, fromDefault: boolean): ResolvedStrategy {
  if (unassociated(strategy, cluster.capacityProviders).length > 0) failUnassociated();
  if (!strategy.some((i) => i.weight > 0)) {
    const which = fromDefault ? 'the default capacity provider strategy' : 'the capacity provider strategy';
    const fix = fromDefault ? "Update the cluster's default capacity provider strategy or specify a valid capacity provider strategy and try again." : 'Give at least one capacity provider a weight greater than zero and try again.';
    fail('InvalidParameterException', `There are no capacity providers with a weight value greater than zero defined in ${which}. At least one capacity provider must have a weight value greater than zero specified. ${fix}`);
  }
  return { kind: 'strategy', launchType: strategyLaunchType(strategy), strategy, fromDefault };
}

/**
 * The launch type of a strategy's tasks: FARGATE for FARGATE / FARGATE_SPOT, EC2 for
 * providers of Auto Scaling groups. A strategy mixing the two is refused, as ECS refuses it.
 */
export function strategyLaunchType(strategy: readonly { readonly capacityProvider: string }[]): 'EC2' | 'FARGATE' {
  const kinds = strategy.map((i) => kindOf(i.capacityProvider) ?? PROVIDER_KINDS.EC2_AUTOSCALING);
  if (new Set(kinds.map((k) => k.launchType)).size > 1) {
    fail('InvalidParameterException', 'The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.');
  }
  return kinds[0]?.launchType ?? 'EC2';
}

export interface ProviderShare {
  readonly capacityProvider: string;
  readonly count: number;
}

/**
 * How many of `count` new tasks each provider of `strategy` gets, as ECS splits them:
 * first the provider with a base until it runs `base` tasks (counting the ones it already
 * runs of this service or group, `running`), then the rest by weight, "for every one task
 * on a provider of weight 1, four on one of weight 4" (CapacityProviderStrategyItem,
 * ECS API reference). A provider of weight 0 gets nothing beyond its base.
 *
 * The rest go one task at a time, each to the provider with the most weight per task it
 * would then run beyond its base (weight ÷ (tasks beyond base + 1); the larger weight
 * first on a tie, then strategy order): the highest-averages (D'Hondt) order. So a lighter
 * provider never runs ahead of its ratio: with weights 1 and 3 the tasks beyond the base go
 * 3, 3, 3, 1, 3, 3, 3, 1, … and every count that is a multiple of the weights' sum is split
 * exactly. AWS publishes only exact splits (its guides' 1:3 and 1:4 examples); for the
 * counts between them this order gives FARGATE base 1 weight 1 / FARGATE_SPOT weight 3 a
 * service of 4 as 1 + 3, the split issue 15 expects. Placing n then m tasks (a service
 * scaled or its tasks replaced one by one) ends where placing n + m at once does.
 *
 * `strategy` is a resolved one (resolveStrategy): some weight is above 0. The answer lists
 * the providers that get tasks, in strategy order; the counts add up to `count`.
 */
export function splitLaunch(strategy: readonly StrategyItem[], count: number, running: ReadonlyMap<string, number> = new Map()): ProviderShare[] {
  const have = strategy.map((i) => running.get(i.capacityProvider) ?? 0);
  const add = strategy.map(() => 0);
  let left = count;
  // Bases first.
  strategy.forEach((i, n) => {
    const need = Math.min(left, Math.max(0, i.base - have[n]!));
    add[n]! += need;
    left -= need;
  });
  const weighted = strategy.map((i, n) => n).filter((n) => strategy[n]!.weight > 0);
  if (left > 0 && weighted.length === 0) throw new Error('splitLaunch needs a strategy with a weight above 0 (resolveStrategy refuses the others)');
  // Tasks beyond a provider's base count against its weight.
  const beyond = strategy.map((i, n) => Math.max(0, have[n]! + add[n]! - i.base));
  for (; left > 0; left--) {
    // weight[n] / (beyond[n] + 1) > weight[best] / (beyond[best] + 1), in integers.
    const ahead = (n: number, best: number) => strategy[n]!.weight * (beyond[best]! + 1) - strategy[best]!.weight * (beyond[n]! + 1);
    let best = weighted[0]!;
    for (const n of weighted.slice(1)) {
      const d = ahead(n, best);
      if (d > 0 || (d === 0 && strategy[n]!.weight > strategy[best]!.weight)) best = n;
    }
    add[best]! += 1;
    beyond[best]! += 1;
  }
  return strategy.flatMap((i, n) => (add[n]! > 0 ? [{ capacityProvider: i.capacityProvider, count: add[n]! }] : []));
}

/** What splitLaunch needs to know of a task: its group, its provider, whether it still counts. */
export interface ProviderTask {
  readonly group: string;
  readonly capacityProviderName?: string;
  readonly lastStatus: string;
  readonly desiredStatus: string;
}

/**
 * How many tasks of `group` each provider runs now: the `running` of splitLaunch. A task
 * counts until it is STOPPED or told to stop (it is on its way out; its replacement is
 * what is being placed).
 */
export function runningByProvider(tasks: Iterable<ProviderTask>, group: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    if (t.group !== group || t.capacityProviderName === undefined || t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED') continue;
    out.set(t.capacityProviderName, (out.get(t.capacityProviderName) ?? 0) + 1);
  }
  return out;
}
