/**
 * Stand-in for `validatePlacement` of src/scheduler/validate.ts (written on the placement
 * engine's branch, with the complete cluster query language). It applies the shape rules
 * that need no query parser; at merge, services.ts imports the real one and this file goes.
 */
import { fail } from '../core/errors.ts';
import type { PlacementConstraint, PlacementStrategy } from './types.ts';

/** "You can specify a maximum of 10 constraints per task" and 5 strategies per task (ECS developer guide). */
const MAX_CONSTRAINTS = 10;
const MAX_STRATEGIES = 5;

export function validatePlacement(constraints: readonly PlacementConstraint[], strategies: readonly PlacementStrategy[]): void {
  if (constraints.length > MAX_CONSTRAINTS) fail('InvalidParameterException', `At most ${MAX_CONSTRAINTS} placement constraints can be given; ${constraints.length} were.`);
  if (strategies.length > MAX_STRATEGIES) fail('InvalidParameterException', `At most ${MAX_STRATEGIES} placement strategies can be given; ${strategies.length} were.`);
  for (const c of constraints) {
    if (c.type === 'memberOf' && !c.expression) fail('InvalidParameterException', 'A memberOf placement constraint needs an expression in the cluster query language.');
    if (c.type === 'distinctInstance' && c.expression) fail('InvalidParameterException', 'A distinctInstance placement constraint takes no expression: remove it.');
  }
  for (const s of strategies) {
    if (s.type === 'binpack' && s.field !== 'cpu' && s.field !== 'memory') fail('InvalidParameterException', `The binpack placement strategy packs by cpu or memory; '${s.field ?? ''}' is neither.`);
    if (s.type === 'spread' && !s.field) fail('InvalidParameterException', 'The spread placement strategy needs a field: instanceId, host or attribute:<name>.');
    if (s.type === 'random' && s.field) fail('InvalidParameterException', 'The random placement strategy takes no field: remove it.');
  }
}
