/**
 * The EKS cluster controller's decisions (pure): what to do so that every cluster's API
 * server is as its record says, given the servers this control plane has open.
 *
 *   CREATING  ─ open (a free port) ─▶ record ACTIVE with endpoint and port
 *   ACTIVE    ─ not open (start-up) ─▶ open on the port it had
 *   UPDATING  ─ open at another version ─▶ close, open at the new one, same port ─▶ ACTIVE, update Successful
 *   DELETING  ─▶ close ─▶ the record, its keys, entries and updates removed
 *   open, no record ─▶ close
 *   Fargate profile CREATING ─▶ ACTIVE; DELETING ─▶ removed
 *   node group: its nodes claimed and released as core/eks/nodes.ts plans (nodegroupSteps)
 *
 * It is not a Reconciler of the runner (runner.ts): those decide over ECS clusters'
 * snapshots and act through the store and the placer, while this one's main act is
 * opening listeners, which only the process that serves them can do. eks-cluster-job.ts
 * runs it on every change under /eks/.
 */
import type { ClusterRecord } from '../core/eks/cluster.ts';
import type { Attribute } from '../core/ecs/container-instance.ts';
import type { NodegroupRecord } from '../core/eks/nodegroup.ts';
import { planNodes, withNodegroup, type NodeCandidate } from '../core/eks/nodes.ts';
import type { EksScope } from '../core/eks/keys.ts';

export interface HeldCluster {
  readonly scope: EksScope;
  readonly key: string;
  readonly modRevision: number;
  readonly record: ClusterRecord;
}

/** A Fargate profile, whose status the controller moves on. */
export interface HeldChild {
  readonly key: string;
  readonly modRevision: number;
  readonly status: string;
}

/** What this process has open: the cluster uid, and the version its server serves. */
export interface OpenServer {
  readonly uid: string;
  readonly version: string;
}

export type ClusterStep =
  /** Open the cluster's server on `port` (0: any free one), then write `after`. */
  | { readonly kind: 'open'; readonly cluster: HeldCluster; readonly port: number; readonly after: 'activate' | 'none' | 'finish-update' }
  | { readonly kind: 'reopen'; readonly cluster: HeldCluster; readonly port: number }
  | { readonly kind: 'close'; readonly uid: string }
  /** Close (if open) and remove a DELETING cluster's records. */
  | { readonly kind: 'remove'; readonly cluster: HeldCluster }
  | { readonly kind: 'activate-child'; readonly child: HeldChild }
  | { readonly kind: 'remove-child'; readonly child: HeldChild };

export function planClusters(clusters: readonly HeldCluster[], children: readonly HeldChild[], open: readonly OpenServer[]): ClusterStep[] {
  const steps: ClusterStep[] = [];
  const openByUid = new Map(open.map((o) => [o.uid, o]));
  const known = new Set<string>();
  for (const c of clusters) {
    const r = c.record;
    known.add(r.uid);
    const server = openByUid.get(r.uid);
    switch (r.status) {
      case 'CREATING':
        steps.push({ kind: 'open', cluster: c, port: r.port ?? 0, after: 'activate' });
        break;
      case 'ACTIVE':
        if (!server) steps.push({ kind: 'open', cluster: c, port: r.port ?? 0, after: 'none' });
        else if (server.version !== r.version) steps.push({ kind: 'reopen', cluster: c, port: r.port ?? 0 });
        break;
      case 'UPDATING':
        if (server && server.version !== r.version) steps.push({ kind: 'reopen', cluster: c, port: r.port ?? 0 });
        else steps.push({ kind: 'open', cluster: c, port: r.port ?? 0, after: 'finish-update' });
        break;
      case 'DELETING':
        steps.push({ kind: 'remove', cluster: c });
        break;
      default:
        break;
    }
  }
  for (const o of open) if (!known.has(o.uid)) steps.push({ kind: 'close', uid: o.uid });
  for (const child of children) {
    if (child.status === 'CREATING') steps.push({ kind: 'activate-child', child });
    else if (child.status === 'DELETING') steps.push({ kind: 'remove-child', child });
  }
  return steps;
}

export interface HeldNodegroup {
  readonly scope: EksScope;
  readonly key: string;
  readonly modRevision: number;
  readonly record: NodegroupRecord;
}

export type NodegroupStep =
  /** Write these instance records (claimed or released: attributes changed), each pinned to what was read. */
  | { readonly kind: 'instances'; readonly writes: readonly { key: string; modRevision: number; attributes: Attribute[] }[] }
  | { readonly kind: 'nodegroup'; readonly nodegroup: HeldNodegroup; readonly next: NodegroupRecord }
  | { readonly kind: 'remove-nodegroup'; readonly nodegroup: HeldNodegroup };

/**
 * What to write so a node group has the nodes it wants: the instances' attributes first,
 * then its record (status, nodes, health) when that changes; a DELETING one with no node
 * left is removed.
 */
export function nodegroupSteps(ng: HeldNodegroup, candidates: readonly NodeCandidate[], now: number): NodegroupStep[] {
  const plan = planNodes(ng.record, candidates);
  const steps: NodegroupStep[] = [];
  const writes = [
    ...plan.claim.map((c) => ({ key: c.key, modRevision: c.modRevision, attributes: withNodegroup(c.attributes, ng.record) })),
    ...plan.release.map((c) => ({ key: c.key, modRevision: c.modRevision, attributes: withNodegroup(c.attributes, undefined) })),
  ];
  if (writes.length > 0) steps.push({ kind: 'instances', writes });
  if (plan.status === 'gone') {
    steps.push({ kind: 'remove-nodegroup', nodegroup: ng });
    return steps;
  }
  const issues = plan.issue ? [plan.issue] : [];
  const r = ng.record;
  const same = r.status === plan.status && JSON.stringify(r.instances) === JSON.stringify(plan.members) && JSON.stringify(r.issues ?? []) === JSON.stringify(issues);
  if (!same) steps.push({ kind: 'nodegroup', nodegroup: ng, next: { ...r, status: plan.status, instances: plan.members, issues, modifiedAt: now } });
  return steps;
}
