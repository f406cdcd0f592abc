/**
 * A request shape: what a request asks apart from how many (demand, group, constraints,
 * strategy chain, capacity provider, a pod's cluster and node rules), and what a session keeps built for it: each slot's
 * verdict (candidate, out of scope, or the first filter it fails), the group's tasks on it,
 * each spread attribute's value and counts, and the selector tree of its candidates.
 *
 *   build(): one pass over the slots (what place() does per request, done once per shape)
 *   placed(i): its own request put a task on slot i: the steps place() takes, in its order
 *   resync(i): anything else changed slot i (another shape's task, set, delete): re-check it
 *
 * Only the slot that changed is ever re-checked: every filter and query reads one
 * instance's own state, so a change to one instance changes no other's verdict.
 */
import { constraintFilters } from './constraints.ts';
import { filtersFor, type Filter } from './filters.ts';
import { Slot } from './slot.ts';
import { OrderLeaf, RandomLeaf, ScoreLevel, SpreadLevel, type Selector, type TreeContext } from './selectors.ts';
import { binpacksCpu, DEFAULT_RUN_TASK_STRATEGY, spreadAttribute, spreadValue } from './strategies.ts';
import { inPodScope } from './pod-fit.ts';
import type { Failure, PlacementInstance, PlacementRequest, PlacementStrategy, PodPlacement, Rng } from './types.ts';

/** A slot's verdict: a candidate; otherwise 1 + the index of the first filter it fails, or OUT. */
const CANDIDATE = 0;
/** Not asked at all (INACTIVE, or another capacity provider's): place() reports no failure for it. Verdicts are bytes: at most 254 filters (ECS allows 10 constraints). */
const OUT = 255;
/** Leaf ids a tree hands out before the shape is rebuilt (they live in an Int32Array). */
const MAX_LEAF_IDS = 2 ** 30;

/** The key of a request's shape: requests with the same key place alike on the same slots. */
export function shapeKey(r: PlacementRequest): string {
  const d = r.demand;
  return JSON.stringify([d.cpu, d.memory, d.eni, d.ports, d.requiredAttributes, r.group, r.constraints, chainOf(r), r.capacityProvider ?? null, r.pod ?? null]);
}

/** The strategies place() applies: the default when none is given, and nothing after random (it ends the chain). */
function chainOf(r: PlacementRequest): readonly PlacementStrategy[] {
  const given = r.strategy.length > 0 ? r.strategy : DEFAULT_RUN_TASK_STRATEGY;
  const end = given.findIndex((s) => s.type === 'random');
  return end < 0 ? given : given.slice(0, end + 1);
}

interface SpreadState {
  readonly name: string;
  /** Each slot's value of the attribute (undefined: never seen). */
  readonly values: (string | undefined)[];
  /** The group's tasks per value over the slots in scope. */
  readonly counts: Map<string, number>;
}

type Level =
  | { readonly kind: 'score'; readonly score: (i: number) => number; readonly scoreOf: Float64Array }
  | { readonly kind: 'spread'; readonly spread: SpreadState }
  | { readonly kind: 'random' };

export class Shape {
  readonly filters: readonly Filter[];
  /** Positions of the filters a placement can change the answer of (resources, distinctInstance, memberOf on tasks). */
  private readonly dynamic: readonly number[];
  private readonly group: string;
  private readonly provider: string | undefined;
  private readonly pod: PodPlacement | undefined;
  /** Slots this shape's arrays can hold; a session that outgrows it rebuilds the shape. */
  readonly capacity: number;
  private readonly code: Uint8Array;
  /** The group's tasks on each slot in scope (0 out of scope). */
  private readonly gc: Int32Array;
  private readonly spreads: SpreadState[] = [];
  private readonly ctx: TreeContext;
  private readonly tree: Selector;
  /** The session's change log position this shape has caught up to. */
  seq = 0;
  private readonly instances: readonly (PlacementInstance | undefined)[];

  /** Builds the shape over the session's slots; throws, changing nothing, for a request place() would throw on. */
  constructor(request: PlacementRequest, instances: readonly (PlacementInstance | undefined)[], capacity: number) {
    this.filters = [...filtersFor(request.demand, request.pod), ...constraintFilters(request.constraints)];
    if (this.filters.length >= OUT) throw new Error(`${this.filters.length} placement filters: validate.ts admits at most 10 constraints`);
    this.dynamic = this.filters.flatMap((f, k) => (f.dynamic ? [k] : []));
    this.group = request.group;
    this.provider = request.capacityProvider;
    this.pod = request.pod;
    this.instances = instances;
    this.capacity = capacity;
    this.code = new Uint8Array(capacity).fill(OUT);
    this.gc = new Int32Array(capacity);
    this.ctx = { active: false, epoch: 0, rng: Math.random, owner: new Int32Array(capacity), nextLeaf: 1 };
    const levels = this.levelsOf(chainOf(request));
    this.tree = this.treeOf(levels, 0);
    const candidates: number[] = [];
    for (let i = 0; i < instances.length; i++) {
      const inst = instances[i];
      for (const s of this.spreads) s.values[i] = inst && spreadValue(inst, s.name);
      if (!this.inScope(inst)) continue;
      const gc = inst.groups.get(this.group) ?? 0;
      this.gc[i] = gc;
      if (gc !== 0) for (const s of this.spreads) add(s.counts, s.values[i]!, gc);
      this.code[i] = this.verdict(inst);
      if (this.code[i] === CANDIDATE) candidates.push(i);
    }
    this.tree.addAll(candidates);
  }

  /** True when the tree has handed out so many leaf ids that the shape should be built afresh. */
  get worn(): boolean { return this.ctx.nextLeaf > MAX_LEAF_IDS; }

  /** The best candidate for the next task of this shape's request, or undefined when none is left. */
  best(): number | undefined { return this.tree.best()?.i; }

  /** A request of this shape starts: selectors that mirror a fresh tree's order take it from here. */
  begin(rng: Rng): void { this.ctx.active = true; this.ctx.epoch++; this.ctx.rng = rng; }
  end(): void { this.ctx.active = false; }

  /** This shape's request put a task on slot i (already taken out of the instance): place()'s steps, in its order. */
  placed(i: number): void {
    const inst = this.instances[i]!;
    const gc = inst.groups.get(this.group) ?? 0;
    for (const s of this.spreads) add(s.counts, s.values[i]!, gc - this.gc[i]!);
    this.gc[i] = gc;
    // The static checks held and still do: only the dynamic ones can have changed.
    const slot = new Slot(i, inst, this.group);
    let code = CANDIDATE;
    for (const k of this.dynamic) if (!this.filters[k]!.admits(slot)) { code = k + 1; break; }
    if (code === CANDIDATE) this.tree.changed(i);
    else { this.code[i] = code; this.tree.remove(i); }
  }

  /** Slot i changed some other way (another shape's task, a newer view, gone, new): re-check it from scratch. */
  resync(i: number): void {
    const inst = this.instances[i];
    const inScope = this.inScope(inst);
    const was = this.code[i] === CANDIDATE;
    const gc = inScope ? inst.groups.get(this.group) ?? 0 : 0;
    const code = inScope ? this.verdict(inst) : OUT;
    let moved = false;
    const values = this.spreads.map((s) => {
      const v = inst ? spreadValue(inst, s.name) : s.values[i];
      if (v !== s.values[i]) moved = true;
      return v;
    });
    // Out of its buckets while they are still the ones it was filed under.
    if (was && (code !== CANDIDATE || moved)) this.tree.remove(i);
    this.spreads.forEach((s, k) => {
      if (this.gc[i] !== 0) add(s.counts, s.values[i]!, -this.gc[i]!);
      s.values[i] = values[k];
      if (gc !== 0) add(s.counts, values[k]!, gc);
    });
    this.gc[i] = gc;
    this.code[i] = code;
    if (code === CANDIDATE) {
      if (was && !moved) this.tree.changed(i);
      else this.tree.add(i);
    }
  }

  /** Why each slot in scope cannot take a task, in registration order (the tree is empty). */
  failures(): Failure[] {
    const out: Failure[] = [];
    for (let i = 0; i < this.instances.length; i++) {
      const code = this.code[i]!;
      if (code !== OUT) out.push({ arn: this.instances[i]!.arn, reason: this.filters[code - 1]!.reason });
    }
    return out;
  }

  private inScope(inst: PlacementInstance | undefined): inst is PlacementInstance {
    return inst !== undefined && inst.status !== 'INACTIVE' && (this.provider === undefined || inst.capacityProvider === this.provider)
      && (this.pod === undefined || inPodScope(inst, this.pod));
  }

  private verdict(inst: PlacementInstance): number {
    const slot = new Slot(0, inst, this.group);
    for (let k = 0; k < this.filters.length; k++) if (!this.filters[k]!.admits(slot)) return k + 1;
    return CANDIDATE;
  }

  /** The chain as strategies.ts reads it; the selectors read the session's slots directly. */
  private levelsOf(chain: readonly PlacementStrategy[]): Level[] {
    return chain.map((s): Level => {
      switch (s.type) {
        case 'random': return { kind: 'random' };
        case 'binpack': {
          const cpu = binpacksCpu(s);
          return { kind: 'score', score: cpu ? (i) => this.instances[i]!.cpu : (i) => this.instances[i]!.memory, scoreOf: new Float64Array(this.capacity).fill(NaN) };
        }
        case 'spread': {
          const name = spreadAttribute(s);
          if (name === undefined) return { kind: 'score', score: (i) => this.gc[i]!, scoreOf: new Float64Array(this.capacity).fill(NaN) };
          const spread: SpreadState = { name, values: [], counts: new Map() };
          this.spreads.push(spread);
          return { kind: 'spread', spread };
        }
        case 'fewestTasks': return { kind: 'score', score: (i) => this.instances[i]!.taskCount, scoreOf: new Float64Array(this.capacity).fill(NaN) };
        default: throw new Error(`unknown placement strategy type ${(s as { type: string }).type}: validate.ts refuses it before placement`);
      }
    });
  }

  private treeOf(levels: readonly Level[], k: number): Selector {
    const level = levels[k];
    if (level === undefined) return new OrderLeaf(this.ctx);
    const child = () => this.treeOf(levels, k + 1);
    switch (level.kind) {
      case 'random': return new RandomLeaf(this.ctx);
      case 'score': return new ScoreLevel(level.score, child, level.scoreOf);
      case 'spread': {
        // Only with a random leaf below does the order of tied values decide anything (the rng's draws).
        const ordered = levels.slice(k + 1).some((l) => l.kind === 'random');
        return new SpreadLevel(level.spread.values as string[], level.spread.counts, child, this.ctx, ordered);
      }
    }
  }
}

function add(counts: Map<string, number>, value: string, delta: number): void {
  if (delta !== 0) counts.set(value, (counts.get(value) ?? 0) + delta);
}
