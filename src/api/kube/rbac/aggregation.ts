/**
 * ClusterRole aggregation, pure (kube-controller-manager's clusterrole-aggregation
 * controller): a ClusterRole with an `aggregationRule` has as its rules those of every other
 * ClusterRole its selectors match, selector by selector, roles in name order, each rule once.
 */
import { matchesLabels, requirementsOf } from '../../../core/kube/selectors.ts';
import type { PolicyRule } from './types.ts';

type Selector = Parameters<typeof requirementsOf>[0];

/** A ClusterRole as aggregation needs it. */
export interface AggregationInput {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly rules?: readonly PolicyRule[];
  readonly aggregationRule?: { readonly clusterRoleSelectors?: readonly Selector[] };
}

/** Rules equal field by field (the controller compares them semantically). */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const eq = (x: readonly string[] | undefined, y: readonly string[] | undefined): boolean => JSON.stringify(x ?? []) === JSON.stringify(y ?? []);
  return eq(a.verbs, b.verbs) && eq(a.apiGroups, b.apiGroups) && eq(a.resources, b.resources) && eq(a.resourceNames, b.resourceNames) && eq(a.nonResourceURLs, b.nonResourceURLs);
}

/** The rules `role` aggregates from `all` (undefined when it has no aggregationRule). */
export function aggregatedRules(role: AggregationInput, all: readonly AggregationInput[]): PolicyRule[] | undefined {
  if (!role.aggregationRule) return undefined;
  const sorted = [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rules: PolicyRule[] = [];
  for (const selector of role.aggregationRule.clusterRoleSelectors ?? []) {
    const reqs = requirementsOf(selector);
    for (const other of sorted) {
      if (other.name === role.name || !matchesLabels(reqs, other.labels)) continue;
      for (const r of other.rules ?? []) if (!rules.some((x) => sameRule(x, r))) rules.push(r);
    }
  }
  return rules;
}

/** Each aggregated ClusterRole whose stored rules differ from what it aggregates, with its new rules. */
export function aggregationUpdates(all: readonly AggregationInput[]): { name: string; rules: PolicyRule[] }[] {
  const out: { name: string; rules: PolicyRule[] }[] = [];
  for (const role of all) {
    const rules = aggregatedRules(role, all);
    if (!rules) continue;
    const current = role.rules ?? [];
    if (current.length !== rules.length || current.some((r, i) => !sameRule(r, rules[i]!))) out.push({ name: role.name, rules });
  }
  return out;
}

/**
 * Every role's rules once aggregation has settled: an aggregated role that matches another
 * (edit is aggregated into admin) passes on what it gathered, as the controller's repeated
 * passes do. At most one round per role, as a chain can be no longer.
 */
export function settledRules(all: readonly AggregationInput[]): Map<string, readonly PolicyRule[]> {
  let roles = [...all];
  for (let round = 0; round <= all.length; round++) {
    const updates = aggregationUpdates(roles);
    if (updates.length === 0) break;
    const next = new Map(updates.map((u) => [u.name, u.rules]));
    roles = roles.map((r) => (next.has(r.name) ? { ...r, rules: next.get(r.name)! } : r));
  }
  return new Map(roles.map((r) => [r.name, r.rules ?? []]));
}
