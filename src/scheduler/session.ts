/**
 * A placement session (contract of issue 14, performance): one cluster's working copy that
 * places request after request, each seeing what the previous ones took, so neither the
 * placer nor a benchmark rebuilds 10,000 instances' worth of structure per request.
 *
 *   open(snapshot) ──▶ place(request) ─▶ plan, and the copy less what it placed
 *                  ◀── set(instance) / delete(arn): the cluster state's newer view of one instance
 *
 * Equivalence, the session's whole specification: for any sequence of calls, each
 * `place(r, now, rng)` answers what the pure `place(s, r, now, rng)` answers, where `s` is
 * the opening snapshot with every earlier plan consumed (placer-build.ts `consume`) and
 * every `set`/`delete` applied (a new instance goes last: registration order). The
 * reference implementation below is that sentence as code; faster ones are tested against it.
 * Equivalence is exact for every chain, `random` included: the same rng draws the same
 * instances. The fast one is `openSession` (session-fast.ts; session-fast.properties.test.ts).
 *
 * What the property tests compare: place() builds a fresh selector tree per request; the
 * fast session keeps one per request shape across requests, caught up on every change. Both
 * are built from the same selectors (selectors.ts), so the tests check what keeping adds —
 * catching up, a random leaf's folded overlay, a spread level's re-sort — against fresh
 * trees. Random's draws within a request are pinned independently of that shared code by a
 * model of a fresh tree's item array (selectors.test.ts).
 */
import { place } from './place.ts';
import { consume } from './placer-build.ts';
import type { PlacementInstance, PlacementRequest, PlacementSnapshot, Plan, Rng } from './types.ts';

export interface PlacementSession {
  /** Places on the working copy and takes what it placed out of it. */
  place(request: PlacementRequest, now: number, rng: Rng): Plan;
  /** The cluster's current view of one instance replaces the copy's (or joins it, last). Idempotent. */
  set(instance: PlacementInstance): void;
  /** The instance is gone from the cluster's view. */
  delete(arn: string): void;
  /** The working copy as it is now, in registration order. */
  snapshot(): PlacementSnapshot;
}

export type OpenSession = (snapshot: PlacementSnapshot) => PlacementSession;

/** The specification as code: pure place() and consume() over an immutable snapshot, O(instances) per call. */
export const referenceSession: OpenSession = (opening) => {
  let snap = opening;
  return {
    place(request, now, rng) {
      const plan = place(snap, request, now, rng);
      snap = consume(snap, request, plan.placements);
      return plan;
    },
    set(instance) {
      const at = snap.instances.findIndex((i) => i.arn === instance.arn);
      snap = { instances: at < 0 ? [...snap.instances, instance] : snap.instances.map((i, k) => (k === at ? instance : i)) };
    },
    delete(arn) {
      snap = { instances: snap.instances.filter((i) => i.arn !== arn) };
    },
    snapshot: () => snap,
  };
};
