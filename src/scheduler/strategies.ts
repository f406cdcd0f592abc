/**
 * Placement strategies as plugins. A request's strategies are chained in order: the first
 * decides, each later one only breaks the ties of those before it, and registration order
 * breaks what is left. Each plugin builds one level of the selector tree (selectors.ts)
 * and keeps whatever it shares across buckets (spread's per-value counts).
 */
import { OrderLeaf, RandomLeaf, ScoreLevel, SpreadLevel, type Selector, type SelectorFactory, type TreeContext } from './selectors.ts';
import type { Slot } from './slot.ts';
import type { PlacementInstance, PlacementStrategy, PlacementStrategyType } from './types.ts';

/**
 * ECS's default for a service's tasks when it names no strategy: spread over Availability
 * Zones, then over the instances within each zone. Source: the ECS developer guide, "Use
 * strategies to define Amazon ECS task placement" ("For tasks running as part of an Amazon
 * ECS service, the task placement strategy is spread using the
 * attribute:ecs.availability-zone") and "Amazon ECS services" (the service scheduler then
 * prefers the valid instance with the fewest tasks of the service, which is spread over
 * instanceId).
 */
export const DEFAULT_SERVICE_STRATEGY: readonly PlacementStrategy[] = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'spread', field: 'instanceId' },
];

/**
 * ECS's default for RunTask and StartTask without a strategy: random. The guide gives a
 * default only for services ("There isn't a default ... for tasks not in services" for
 * constraints); the RunTask API reference leaves placementStrategy optional with no other
 * rule, and the contract of issue 14 (types.ts) fixes standalone tasks to random.
 */
export const DEFAULT_RUN_TASK_STRATEGY: readonly PlacementStrategy[] = [{ type: 'random' }];

/** What a strategy sees: every slot of the request (candidates or not) and the tree's context (its rng). */
export interface StrategyContext {
  readonly slots: readonly Slot[];
  readonly tree: TreeContext;
}

/** One level of the chain, built once per request. */
export interface StrategyLevel {
  /** A task was placed on slot `i`: update what this level shares across its buckets. */
  placed(i: number): void;
  /**
   * A selector for this level whose buckets hold `child` selectors (a terminal level ignores
   * `child`); `randomBelow`: a random leaf ends the chain below it.
   */
  selector(child: SelectorFactory, randomBelow: boolean): Selector;
  /** True when nothing after this level can break a tie (random). */
  readonly terminal: boolean;
}

export interface StrategyPlugin {
  readonly type: PlacementStrategyType;
  level(strategy: PlacementStrategy, ctx: StrategyContext): StrategyLevel;
}

export const random: StrategyPlugin = {
  type: 'random',
  level: (_s, ctx) => ({ terminal: true, placed: () => {}, selector: () => new RandomLeaf(ctx.tree) }),
};

/** Binpack: the candidate with the least of `field` (cpu or memory) left, so fewer instances are used. */
export const binpack: StrategyPlugin = {
  type: 'binpack',
  level: (s, ctx) => {
    const score = binpacksCpu(s) ? (i: number) => ctx.slots[i]!.cpu : (i: number) => ctx.slots[i]!.memory;
    const scoreOf = new Float64Array(ctx.slots.length).fill(NaN);
    return { terminal: false, placed: () => {}, selector: (child) => new ScoreLevel(score, child, scoreOf) };
  },
};

/**
 * Spread: evenly over the values of `field`, counting the request's group (a service's
 * tasks, or a standalone task's group). `instanceId`/`host` score each instance by its own
 * count; `attribute:NAME` scores a value by the count on every instance that has it, and
 * instances without the attribute share one value of their own.
 */
export const spread: StrategyPlugin = {
  type: 'spread',
  level: (s, ctx) => {
    const name = spreadAttribute(s);
    if (name === undefined) {
      const scoreOf = new Float64Array(ctx.slots.length).fill(NaN);
      return { terminal: false, placed: () => {}, selector: (child) => new ScoreLevel((i) => ctx.slots[i]!.groupCount, child, scoreOf) };
    }
    const values = ctx.slots.map((slot) => spreadValue(slot.instance, name));
    const counts = new Map<string, number>();
    for (const slot of ctx.slots) if (slot.groupCount > 0) counts.set(values[slot.index]!, (counts.get(values[slot.index]!) ?? 0) + slot.groupCount);
    return {
      terminal: false,
      placed: (i) => { const v = values[i]!; counts.set(v, (counts.get(v) ?? 0) + 1); },
      selector: (child, randomBelow) => new SpreadLevel(values, counts, child, ctx.tree, randomBelow),
    };
  },
};

/**
 * fewestTasks (Berth's own, for pods: pod-fit.ts POD_STRATEGY): the candidate running the
 * fewest tasks of any group, counting those this request put there.
 */
export const fewestTasks: StrategyPlugin = {
  type: 'fewestTasks',
  level: (_s, ctx) => {
    const scoreOf = new Float64Array(ctx.slots.length).fill(NaN);
    return { terminal: false, placed: () => {}, selector: (child) => new ScoreLevel((i) => ctx.slots[i]!.instance.taskCount + ctx.slots[i]!.placed, child, scoreOf) };
  },
};

/** binpack's field: cpu, or memory for anything else (validate.ts admits only the two). */
export function binpacksCpu(s: PlacementStrategy): boolean {
  return s.field?.toLowerCase() === 'cpu';
}

/** The attribute a spread counts over, or undefined when it spreads over instances (instanceId, host). */
export function spreadAttribute(s: PlacementStrategy): string | undefined {
  const field = s.field ?? 'instanceId';
  if (field === 'instanceId' || field === 'host') return undefined;
  return field.startsWith('attribute:') ? field.slice('attribute:'.length) : field;
}

/** An instance's value of a spread attribute; instances without it share a key no attribute value can take. */
export function spreadValue(instance: PlacementInstance, name: string): string {
  const v = instance.attributes.get(name);
  return v !== undefined ? v : instance.attributes.has(name) ? '' : '\u0000absent';
}

export const strategyPlugins: ReadonlyMap<string, StrategyPlugin> = new Map([random, binpack, spread, fewestTasks].map((p) => [p.type, p]));

/** The chain's levels, up to and including the first terminal one. */
export function strategyLevels(strategies: readonly PlacementStrategy[], ctx: StrategyContext): StrategyLevel[] {
  const levels: StrategyLevel[] = [];
  for (const s of strategies) {
    const plugin = strategyPlugins.get(s.type);
    if (!plugin) throw new Error(`unknown placement strategy type ${s.type}: validate.ts refuses it before placement`);
    const level = plugin.level(s, ctx);
    levels.push(level);
    if (level.terminal) break;
  }
  return levels;
}

/** The selector tree for the levels: each level's buckets hold the next level's selectors. */
export function selectorFor(levels: readonly StrategyLevel[], tree: TreeContext): Selector {
  // Only the last level can be terminal (strategyLevels stops there).
  const randomLast = levels.length > 0 && levels[levels.length - 1]!.terminal;
  const build = (k: number): Selector => {
    if (k === levels.length) return new OrderLeaf(tree);
    const level = levels[k]!;
    const randomBelow = randomLast && k < levels.length - 1;
    return level.terminal ? level.selector(() => new OrderLeaf(tree), false) : level.selector(() => build(k + 1), randomBelow);
  };
  return build(0);
}
