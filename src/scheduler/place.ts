/**
 * The placement engine: `place(snapshot, request, now, rng) → plan`, pure.
 *
 *   instances ─▶ scope (capacity provider; a pod's cluster; deregistered out) ─▶ slots
 *     ─▶ filters + constraints, once per slot: candidates, or the first failure reason
 *     ─▶ selector tree of the strategy chain ─▶ best candidate ─▶ take its resources
 *     ─▶ re-check that one slot (dynamic filters), update the tree ─▶ next task
 *
 * Per task the cost is a few heap operations and one instance's checks, not a pass over
 * the snapshot: only the instance a task lands on changes.
 */
import { constraintFilters } from './constraints.ts';
import { filtersFor, type Filter } from './filters.ts';
import { inPodScope } from './pod-fit.ts';
import { Slot } from './slot.ts';
import { oneRequest } from './selectors.ts';
import { DEFAULT_RUN_TASK_STRATEGY, selectorFor, strategyLevels } from './strategies.ts';
import type { Failure, FailureReason, PlacementInstance, PlacementRequest, PlacementSnapshot, Plan, Rng } from './types.ts';

export { DEFAULT_RUN_TASK_STRATEGY, DEFAULT_SERVICE_STRATEGY } from './strategies.ts';

/**
 * Places `request.count` tasks (or one per target for StartTask). `now` is accepted for the
 * contract's shape: no placement rule of ECS reads the clock today (registeredAt compares
 * with dates written in the expression).
 */
export function place(snapshot: PlacementSnapshot, request: PlacementRequest, _now: number, rng: Rng): Plan {
  const filters = [...filtersFor(request.demand, request.pod), ...constraintFilters(request.constraints)];
  if (request.targets) return placeOnTargets(snapshot, request, filters);

  const slots: Slot[] = [];
  for (const inst of snapshot.instances) {
    // A deregistered instance is no longer a member of the cluster; another provider's instances are not asked.
    if (inst.status === 'INACTIVE') continue;
    if (request.capacityProvider !== undefined && inst.capacityProvider !== request.capacityProvider) continue;
    // A pod's nodes are its EKS cluster's: another cluster's hosts are not asked (nor counted in its message).
    if (request.pod !== undefined && !inPodScope(inst, request.pod)) continue;
    slots.push(new Slot(slots.length, inst, request.group));
  }
  const strategy = request.strategy.length > 0 ? request.strategy : DEFAULT_RUN_TASK_STRATEGY;
  const context = oneRequest(slots.length, rng);
  const levels = strategyLevels(strategy, { slots, tree: context });
  const tree = selectorFor(levels, context);
  const dynamic = filters.filter((f) => f.dynamic);
  const refused: (FailureReason | undefined)[] = [];
  const candidates: number[] = [];
  for (const slot of slots) {
    const reason = firstFailure(filters, slot);
    refused.push(reason);
    if (reason === undefined) candidates.push(slot.index);
  }
  tree.addAll(candidates);

  const { cpu, memory, eni, ports, pod } = request.demand;
  const placements: string[] = [];
  while (placements.length < request.count) {
    const pick = tree.best();
    if (!pick) {
      const failures: Failure[] = [];
      for (const slot of slots) failures.push({ arn: slot.instance.arn, reason: refused[slot.index]! });
      return { placements, failures };
    }
    const slot = slots[pick.i]!;
    slot.take(cpu, memory, eni, ports, pod);
    placements.push(slot.instance.arn);
    for (const level of levels) level.placed(slot.index);
    const reason = firstFailure(dynamic, slot);
    if (reason === undefined) tree.changed(slot.index);
    else {
      // A dynamic check failed, so the static ones still hold: report the first in ECS's order.
      refused[slot.index] = firstFailure(filters, slot);
      tree.remove(slot.index);
    }
  }
  return { placements, failures: [] };
}

function firstFailure(filters: readonly Filter[], slot: Slot): FailureReason | undefined {
  for (const f of filters) if (!f.admits(slot)) return f.reason;
  return undefined;
}

/** StartTask: one task on each named instance, in order; an unknown name is MISSING. */
function placeOnTargets(snapshot: PlacementSnapshot, request: PlacementRequest, filters: readonly Filter[]): Plan {
  const byRef = new Map<string, PlacementInstance>();
  for (const inst of snapshot.instances) { byRef.set(inst.arn, inst); byRef.set(inst.id, inst); }
  const slots = new Map<string, Slot>();
  const placements: string[] = [];
  const failures: Failure[] = [];
  const { cpu, memory, eni, ports, pod } = request.demand;
  for (const ref of request.targets!) {
    const inst = byRef.get(ref);
    if (!inst) { failures.push({ arn: ref, reason: 'MISSING' }); continue; }
    let slot = slots.get(inst.arn);
    if (!slot) { slot = new Slot(slots.size, inst, request.group); slots.set(inst.arn, slot); }
    const reason = firstFailure(filters, slot);
    if (reason !== undefined) { failures.push({ arn: inst.arn, reason }); continue; }
    slot.take(cpu, memory, eni, ports, pod);
    placements.push(inst.arn);
  }
  return { placements, failures };
}
