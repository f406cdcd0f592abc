/**
 * The placement harness: a snapshot of built instances, a seeded random source, and
 * `place` with the plan read back by instance id, so a test states intent in one line:
 *   const h = harness(instance('a').az('x'), instance('b').az('y'));
 *   assert.deepEqual(h.place(request().count(2).spread('instanceId')).ids, ['a', 'b']);
 */
import { place } from '../place.ts';
import type { PlacementInstance, PlacementSnapshot, Plan, Rng } from '../types.ts';
import { seededRandom } from '../../lib/seeded-random.ts';
import { ACCOUNT_PREFIX, type InstanceBuilder, type RequestBuilder } from './builders.ts';

/** A seeded generator, so a test's randomness replays exactly. */
export const seeded = (seed: number): Rng => seededRandom(seed);

const idOf = (arn: string) => (arn.startsWith(ACCOUNT_PREFIX) ? arn.slice(ACCOUNT_PREFIX.length) : arn);

export interface HarnessPlan extends Plan {
  /** The instance id of each placement, in order. */
  readonly ids: readonly string[];
  /** Failures as "id reason". */
  readonly why: readonly string[];
  /** Tasks placed per instance id. */
  readonly perInstance: ReadonlyMap<string, number>;
}

export interface Harness {
  readonly snapshot: PlacementSnapshot;
  place(request: RequestBuilder, seed?: number): HarnessPlan;
}

export const NOW = 1_800_000_000;

export function harness(...instances: (InstanceBuilder | PlacementInstance)[]): Harness {
  const snapshot: PlacementSnapshot = { instances: instances.map((i) => ('build' in i ? i.build() : i)) };
  return {
    snapshot,
    place(request, seed = 1) {
      const plan = place(snapshot, request.build(), NOW, seeded(seed));
      const ids = plan.placements.map(idOf);
      const perInstance = new Map<string, number>();
      for (const id of ids) perInstance.set(id, (perInstance.get(id) ?? 0) + 1);
      return { ...plan, ids, why: plan.failures.map((f) => `${idOf(f.arn)} ${f.reason}`), perInstance };
    },
  };
}
