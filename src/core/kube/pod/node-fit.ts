/**
 * Whether a pod may run on a node, as kube-scheduler's filters decide before it looks at
 * resources (NodeName, NodeAffinity with nodeSelector, TaintToleration), and the
 * FailedScheduling message when no node fits. For the placer to call per candidate host; Berth
 * reserves CPU, memory and host ports itself and adds its own reasons ("Insufficient cpu").
 * Pure.
 */
import type { PodSpec, Toleration } from './types.ts';

/** A candidate node as the Node view shows it (core/kube/node-view.ts). */
export interface NodeFacts {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints: readonly { key: string; value?: string; effect: string }[];
}

export const NODE_NAME_MISMATCH = "node(s) didn't match the requested node name";
export const AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector";

type Requirement = { key: string; operator: string; values?: string[] };

function requirementHolds(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      const have = Number(value);
      const want = Number(values[0]);
      if (value === undefined || !Number.isInteger(have) || !Number.isInteger(want)) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default: return false;
  }
}

/** The pod's required node affinity and nodeSelector both hold on `node` (terms are ORed, requirements ANDed). */
export function matchesNodeAffinity(spec: PodSpec, node: NodeFacts): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    // A term with no requirements matches nothing (the API's rule for an empty term).
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementHolds(r, node.labels[r.key]))
      && fields.every((r) => r.key === 'metadata.name' && requirementHolds(r, node.name));
  });
}

/** Whether `t` tolerates a taint (the API's ToleratesTaint). */
export function tolerates(t: Toleration, taint: NodeFacts['taints'][number]): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

/** Why the pod cannot run on `node`, in kube-scheduler's words; undefined when it may. */
export function nodeFitFailure(spec: PodSpec, node: NodeFacts): string | undefined {
  if (spec.nodeName && spec.nodeName !== node.name) return NODE_NAME_MISMATCH;
  if (!matchesNodeAffinity(spec, node)) return AFFINITY_MISMATCH;
  // PreferNoSchedule is a preference, not a filter.
  const untolerated = node.taints.find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !(spec.tolerations ?? []).some((t) => tolerates(t, taint)));
  return untolerated ? `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}` : undefined;
}

/** Reasons preemption could help with: capacity (NodeResourcesFit's, the pod count's too); the filters above it cannot. */
const PREEMPTABLE = /^(Insufficient |Too many pods$)/;

/**
 * The PodScheduled=False message (and FailedScheduling event) when none of `nodes` candidates
 * fit: one reason per node, counted and sorted as the scheduler's FitError prints them.
 */
export function unschedulableMessage(nodes: number, reasons: readonly string[]): string {
  const counted = (list: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const r of list) counts.set(r, (counts.get(r) ?? 0) + 1);
    return [...counts].map(([r, n]) => `${n} ${r}`).sort().join(', ');
  };
  const preemption = reasons.map((r) => (PREEMPTABLE.test(r) ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling'));
  const head = nodes === 0 ? 'no nodes available to schedule pods' : `0/${nodes} nodes are available: ${counted(reasons)}.`;
  return nodes === 0 ? head : `${head} preemption: 0/${nodes} nodes are available: ${counted(preemption)}.`;
}
