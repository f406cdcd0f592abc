/**
 * One host, two registrations, one capacity. A host that offers Fargate capacity and is
 * also its cluster's container instance (`berth up`'s own host by default) registers its
 * whole CPU and memory twice: as its cluster's instance and as a host of the Fargate pool
 * (src/core/ecs/fargate.ts). The agent sets the same {@link HOST_ATTRIBUTE} on both, and
 * this map links them, so each registration's placement view is its own registered
 * resources less its own tasks AND its siblings' tasks:
 *
 *   instance put/delete ──link(arn, host)──▶ byHost: region/host → ARNs (≤ MAX_REGISTRATIONS_PER_HOST)
 *   task usage +/- on X ──siblingsOf(X)──▶ each sibling's view rebuilt, named on its own
 *                                          cluster's placement feed (the placer re-reads it)
 *   placer ──siblingClusters(target, touched)──▶ the other clusters' epochs, held in its commit
 *
 * Shared: CPU, memory and ENI slots (both registrations are the same machine's). Not shared:
 * host ports: a pool task is awsvpc and holds none, so neither side can take the other's.
 * An instance without the attribute (or INACTIVE) is on its own, as before.
 */

/** The attribute both registrations of one agent's host carry (the agent sets it; no API caller may). */
export { HOST_ATTRIBUTE } from '../core/ecs/fargate.ts';

/**
 * Registrations linked per host: an agent makes two (its cluster's instance, its pool
 * host); a re-join leaves the old one INACTIVE, which unlinks it. More than this on one id
 * is no agent's doing (a data dir copied to several machines): the extra ones stay on their
 * own, as instances without the attribute do, and are counted (overflow).
 */
export const MAX_REGISTRATIONS_PER_HOST = 8;

export interface SiblingUsage {
  readonly cpu: number;
  readonly memory: number;
  readonly eni: number;
}

/** What a cluster index asks of the siblings map (cluster-index.ts's hooks; the cluster state wires them). */
export interface SiblingHooks {
  /** An instance record was put (with its host id, undefined if none or INACTIVE) or removed (undefined). */
  registered(arn: string, host: string | undefined): void;
  /** The usage of instance `arn` changed: its siblings' views did too. */
  usageChanged(arn: string): void;
  /** What the instance's siblings' tasks hold, summed; undefined when it has none. */
  siblingUsage(arn: string): SiblingUsage | undefined;
}

const NONE: readonly string[] = Object.freeze([]);

export class HostSiblings {
  /** region/host id → the ARNs linked to it. */
  readonly #byHost = new Map<string, Set<string>>();
  /** ARN → its region/host id (only linked instances). */
  readonly #hostOf = new Map<string, string>();
  /** Cluster key → its linked instances' ARNs (which clusters a cluster shares hosts with). */
  readonly #byCluster = new Map<string, Set<string>>();
  readonly #clusterOf: (arn: string) => string | undefined;
  #overflow = 0;

  /** `clusterOf`: the key of the cluster an instance ARN names (undefined: none). */
  constructor(clusterOf: (arn: string) => string | undefined) {
    this.#clusterOf = clusterOf;
  }

  /** Registrations left unlinked because their host already had MAX_REGISTRATIONS_PER_HOST. */
  overflow(): number {
    return this.#overflow;
  }

  /**
   * Links `arn` to `host` (undefined: unlinks it). Answers the other instances whose
   * sibling set changed (its old siblings and its new ones), whose views must be rebuilt.
   */
  link(arn: string, host: string | undefined): string[] {
    const region = arn.split(':')[3] ?? '';
    const next = host === undefined ? undefined : `${region}/${host}`;
    const prev = this.#hostOf.get(arn);
    if (prev === next) return [];
    const changed: string[] = [];
    if (prev !== undefined) {
      const set = this.#byHost.get(prev)!;
      set.delete(arn);
      changed.push(...set);
      if (set.size === 0) this.#byHost.delete(prev);
      this.#hostOf.delete(arn);
      this.#unindexCluster(arn);
    }
    if (next !== undefined) {
      let set = this.#byHost.get(next);
      if (set && set.size >= MAX_REGISTRATIONS_PER_HOST) {
        this.#overflow++;
        return changed;
      }
      if (!set) this.#byHost.set(next, (set = new Set()));
      changed.push(...set);
      set.add(arn);
      this.#hostOf.set(arn, next);
      const k = this.#clusterOf(arn);
      if (k !== undefined) {
        let c = this.#byCluster.get(k);
        if (!c) this.#byCluster.set(k, (c = new Set()));
        c.add(arn);
      }
    }
    return changed;
  }

  /** The other instances on `arn`'s host (none when it is not linked: the common case, no allocation). */
  siblingsOf(arn: string): readonly string[] {
    const host = this.#hostOf.get(arn);
    if (host === undefined) return NONE;
    const out: string[] = [];
    for (const s of this.#byHost.get(host)!) if (s !== arn) out.push(s);
    return out;
  }

  /**
   * The keys of the other clusters whose instances share a host with an instance of
   * cluster `k`: with `arns`, only with those instances.
   */
  siblingClusters(k: string, arns?: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const arn of arns ?? this.#byCluster.get(k) ?? []) {
      for (const s of this.siblingsOf(arn)) {
        const c = this.#clusterOf(s);
        if (c !== undefined && c !== k) out.add(c);
      }
    }
    return out;
  }

  #unindexCluster(arn: string): void {
    const k = this.#clusterOf(arn);
    const c = k === undefined ? undefined : this.#byCluster.get(k);
    if (!c) return;
    c.delete(arn);
    if (c.size === 0) this.#byCluster.delete(k!);
  }
}

/**
 * What is left of one registration's CPU, memory and ENI slots: what it registered, less
 * what its own tasks hold, less what its host siblings' tasks hold. The one rule for the
 * placer's view (cluster-index.ts) and DescribeContainerInstances' remainingResources
 * (api/ecs/cluster-state.ts), so the two never disagree on a host registered twice.
 */
export function remainingOf(registered: SiblingUsage, own: SiblingUsage | undefined, siblings: SiblingUsage | undefined): SiblingUsage {
  return {
    cpu: registered.cpu - (own?.cpu ?? 0) - (siblings?.cpu ?? 0),
    memory: registered.memory - (own?.memory ?? 0) - (siblings?.memory ?? 0),
    eni: registered.eni - (own?.eni ?? 0) - (siblings?.eni ?? 0),
  };
}

/** Sums what `usageOf` says each sibling holds; undefined when there are none or they hold nothing. */
export function sumUsage(siblings: readonly string[], usageOf: (arn: string) => SiblingUsage | undefined): SiblingUsage | undefined {
  let cpu = 0, memory = 0, eni = 0, any = false;
  for (const s of siblings) {
    const u = usageOf(s);
    if (!u) continue;
    any = true;
    cpu += u.cpu; memory += u.memory; eni += u.eni;
  }
  return any ? { cpu, memory, eni } : undefined;
}
