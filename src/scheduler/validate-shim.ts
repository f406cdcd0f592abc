/**
 * Stand-in for src/scheduler/validate.ts of the placement engine's branch (merged into main
 * after this branch started): the same two functions with the same signatures and count
 * messages, without the cluster query language parser. At merge, service-input.ts imports
 * `./validate.ts` instead and this file goes.
 */
import { fail } from '../core/errors.ts';
import type { PlacementConstraint, PlacementStrategy } from './types.ts';

/** "You can specify a maximum of 5 strategy rules" (RunTask, CreateService). */
const MAX_STRATEGIES = 5;
/** "You can specify up to 10 constraints for each task (including constraints in the task definition and those specified at runtime)." */
const MAX_CONSTRAINTS = 10;

export function validatePlacementStrategies(input: unknown): PlacementStrategy[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) fail('InvalidParameterException', 'placementStrategy must be a list of {type, field} objects.');
  if (input.length > MAX_STRATEGIES) {
    fail('InvalidParameterException', `placementStrategy has ${input.length} strategies; at most ${MAX_STRATEGIES} are allowed. Remove ${input.length - MAX_STRATEGIES}: later strategies only break the ties of earlier ones.`);
  }
  return (input as PlacementStrategy[]).map((s, k) => {
    if (s.type === 'binpack' && !['cpu', 'memory'].includes((s.field ?? '').toLowerCase())) fail('InvalidParameterException', `placementStrategy[${k}]: binpack needs field cpu or memory.`);
    if (s.type === 'spread' && !s.field) fail('InvalidParameterException', `placementStrategy[${k}]: spread needs a field: instanceId, host, or an attribute such as attribute:ecs.availability-zone.`);
    return s;
  });
}

export function validatePlacementConstraints(input: unknown, fromTaskDefinition = 0): PlacementConstraint[] {
  if (input === undefined || input === null) input = [];
  if (!Array.isArray(input)) fail('InvalidParameterException', 'placementConstraints must be a list of {type, expression} objects.');
  const total = input.length + fromTaskDefinition;
  if (total > MAX_CONSTRAINTS) {
    fail('InvalidParameterException', `The task has ${total} placement constraints${fromTaskDefinition > 0 ? ` (${fromTaskDefinition} from its task definition)` : ''}; at most ${MAX_CONSTRAINTS} are allowed.`);
  }
  return (input as PlacementConstraint[]).map((c, k) => {
    if (c.type === 'distinctInstance' && c.expression !== undefined) fail('InvalidParameterException', 'distinctInstance expression should not be specified.');
    if (c.type === 'memberOf' && !c.expression?.trim()) fail('InvalidParameterException', `placementConstraints[${k}]: memberOf needs an expression in the cluster query language, such as attribute:ecs.instance-type =~ t2.*.`);
    return c;
  });
}
