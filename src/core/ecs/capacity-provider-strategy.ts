/**
 * The rules every capacity provider strategy obeys, wherever it is given: a cluster's
 * default (CreateCluster, PutClusterCapacityProviders) or a launch's own (RunTask,
 * CreateService, UpdateService). Which providers a strategy may name is the caller's
 * question (associated with the cluster, or existing); this file checks its form.
 */
import { fail } from '../errors.ts';
import type { CapacityProviderStrategyItem } from './service.ts';

/** A strategy names at most this many providers (CapacityProviderStrategy in the ECS API reference). */
export const MAX_STRATEGY_PROVIDERS = 20;
/** A cluster has at most this many capacity providers (ECS service quotas: capacity providers per cluster). */
export const MAX_CLUSTER_PROVIDERS = 20;
/** CapacityProviderStrategyItemBase and ...Weight bounds (ECS API model). */
export const MAX_BASE = 100_000;
export const MAX_WEIGHT = 1_000;

/** A strategy item with its defaults applied (base 0, weight 0), as AWS answers it. */
export interface StrategyItem {
  readonly capacityProvider: string;
  readonly base: number;
  readonly weight: number;
}

/** Checks a strategy's form and answers it with defaults filled in, in the order given. */
export function normaliseStrategy(items: readonly CapacityProviderStrategyItem[]): StrategyItem[] {
  if (items.length > MAX_STRATEGY_PROVIDERS) {
    fail('InvalidParameterException', `The specified capacity provider strategy is invalid: it contains ${items.length} capacity providers, and a strategy can contain at most ${MAX_STRATEGY_PROVIDERS}.`);
  }
  const seen = new Set<string>();
  const out = items.map((i) => {
    const base = i.base ?? 0;
    const weight = i.weight ?? 0;
    if (!Number.isInteger(base) || base < 0 || base > MAX_BASE) fail('InvalidParameterException', `The base of capacity provider ${i.capacityProvider} in the capacity provider strategy must be between 0 and ${MAX_BASE}; it was ${base}.`);
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) fail('InvalidParameterException', `The weight of capacity provider ${i.capacityProvider} in the capacity provider strategy must be between 0 and ${MAX_WEIGHT}; it was ${weight}.`);
    if (seen.has(i.capacityProvider)) fail('InvalidParameterException', `The specified capacity provider strategy cannot contain duplicate capacity providers: ${i.capacityProvider} appears more than once. Specify each capacity provider once and try again.`);
    seen.add(i.capacityProvider);
    return { capacityProvider: i.capacityProvider, base, weight };
  });
  // Only one item may have a base (CapacityProviderStrategyItem reference). SDKs and
  // Terraform send base 0 on every item, so "has a base" means a base above 0.
  const withBase = out.filter((i) => i.base > 0);
  if (withBase.length > 1) {
    fail('InvalidParameterException', `The specified capacity provider strategy is invalid: only one capacity provider in a strategy can have a base defined, and ${withBase.map((i) => i.capacityProvider).join(' and ')} both do. Give a base to one of them.`);
  }
  return out;
}

/** The names a strategy uses that are not in `associated`, in strategy order. */
export function unassociated(strategy: readonly { capacityProvider: string }[], associated: readonly string[]): string[] {
  const set = new Set(associated);
  return strategy.map((i) => i.capacityProvider).filter((n) => !set.has(n));
}

export function failUnassociated(): never {
  fail('InvalidParameterException', 'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.');
}
