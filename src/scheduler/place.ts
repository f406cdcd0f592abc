/**
 * Placement, first fit (the engine of this branch: the placement engine of issue 14 part 1
 * replaces this file behind the same signature). Each task goes on the first instance, in
 * the snapshot's order, that is ACTIVE, has its agent connected, has the required
 * attributes, the capacity provider asked for, the CPU, memory, ENI slot and host ports
 * left, and (distinctInstance) none of the group's tasks. Strategies are not applied.
 * Pure: the placer gives a snapshot and gets a plan.
 */
import { fail } from '../core/errors.ts';
import type { Failure, FailureReason, PlacementInstance, PlacementRequest, PlacementSnapshot, Plan, Rng } from './types.ts';

interface Working {
  readonly base: PlacementInstance;
  cpu: number;
  memory: number;
  eni: number;
  readonly ports: Set<string>;
  readonly groups: Map<string, number>;
}

export function place(snapshot: PlacementSnapshot, request: PlacementRequest, _now: number, _rng: Rng): Plan {
  if (request.constraints.some((c) => c.type === 'memberOf')) {
    fail('InvalidParameterException', 'memberOf placement constraints need the placement engine, which this Berth build does not have: remove the constraint.');
  }
  const distinct = request.constraints.some((c) => c.type === 'distinctInstance');
  const pool: Working[] = snapshot.instances.map((i) => ({ base: i, cpu: i.cpu, memory: i.memory, eni: i.eni, ports: new Set(i.portsInUse), groups: new Map(i.groups) }));
  const placements: string[] = [];
  const take = (w: Working) => {
    w.cpu -= request.demand.cpu;
    w.memory -= request.demand.memory;
    if (request.demand.eni) w.eni--;
    for (const p of request.demand.ports) w.ports.add(p);
    w.groups.set(request.group, (w.groups.get(request.group) ?? 0) + 1);
    placements.push(w.base.arn);
  };
  if (request.targets) {
    const failures: Failure[] = [];
    for (const ref of request.targets) {
      const w = pool.find((x) => x.base.arn === ref || x.base.id === ref);
      if (!w) { failures.push({ arn: ref, reason: 'MISSING' }); continue; }
      const reason = refusal(w, request, distinct);
      if (reason) failures.push({ arn: w.base.arn, reason }); else take(w);
    }
    return { placements, failures };
  }
  for (let n = 0; n < request.count; n++) {
    const fit = pool.find((w) => refusal(w, request, distinct) === undefined);
    if (!fit) return { placements, failures: pool.map((w) => ({ arn: w.base.arn, reason: refusal(w, request, distinct)! })) };
    take(fit);
  }
  return { placements, failures: [] };
}

/** Why an instance cannot take the next task, in the order ECS reports reasons; undefined if it can. */
function refusal(w: Working, r: PlacementRequest, distinct: boolean): FailureReason | undefined {
  const i = w.base;
  if (i.status !== 'ACTIVE') return 'INACTIVE';
  if (!i.agentConnected) return 'AGENT';
  if (r.capacityProvider !== undefined && i.capacityProvider !== r.capacityProvider) return 'ATTRIBUTE';
  if (r.demand.requiredAttributes.some((a) => !i.attributes.has(a.name) || (a.value !== undefined && i.attributes.get(a.name) !== a.value))) return 'ATTRIBUTE';
  if (w.cpu < r.demand.cpu) return 'RESOURCE:CPU';
  if (w.memory < r.demand.memory) return 'RESOURCE:MEMORY';
  if (r.demand.ports.some((p) => w.ports.has(p))) return 'RESOURCE:PORTS';
  if (r.demand.eni && w.eni < 1) return 'RESOURCE:ENI';
  if (distinct && (w.groups.get(r.group) ?? 0) > 0) return 'DistinctInstance';
  return undefined;
}
