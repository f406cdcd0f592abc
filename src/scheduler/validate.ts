/**
 * Validation of placement constraints and strategies as RunTask, StartTask, CreateService,
 * UpdateService and RegisterTaskDefinition receive them, before anything is looked up or
 * stored. Limits from the ECS API reference: at most 5 strategies (RunTask and
 * CreateService "placementStrategy"), at most 10 constraints counting the task
 * definition's ("placementConstraints"), an expression of at most 2000 characters
 * (PlacementConstraint), a strategy field of at most 255 (CloudFormation's
 * PlacementStrategy.Field). Errors are InvalidParameterException, as ECS answers them
 * ("distinctInstance expression should not be specified." is ECS's own text).
 */
import { fail } from '../core/errors.ts';
import { compileQuery } from './query/evaluate.ts';
import type { PlacementConstraint, PlacementConstraintType, PlacementStrategy, PlacementStrategyType } from './types.ts';

/** RunTask / CreateService / UpdateService: "You can specify a maximum of 5 strategy rules". */
export const MAX_STRATEGIES = 5;
/** "You can specify up to 10 constraints for each task (including constraints in the task definition and those specified at runtime)." */
export const MAX_CONSTRAINTS = 10;
/** PlacementStrategy.Field's maximum length (AWS::ECS::Service PlacementStrategy). */
export const MAX_FIELD_LENGTH = 255;

const STRATEGY_TYPES: readonly PlacementStrategyType[] = ['random', 'spread', 'binpack'];
const CONSTRAINT_TYPES: readonly PlacementConstraintType[] = ['distinctInstance', 'memberOf'];

/** The strategies of a request, checked and typed; throws InvalidParameterException. */
export function validatePlacementStrategies(input: unknown): PlacementStrategy[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) fail('InvalidParameterException', 'placementStrategy must be a list of {type, field} objects.');
  if (input.length > MAX_STRATEGIES) {
    fail('InvalidParameterException', `placementStrategy has ${input.length} strategies; at most ${MAX_STRATEGIES} are allowed. Remove ${input.length - MAX_STRATEGIES}: later strategies only break the ties of earlier ones.`);
  }
  return input.map((s: unknown, k) => strategy(s, k));
}

function strategy(s: unknown, k: number): PlacementStrategy {
  const at = `placementStrategy[${k}]`;
  if (typeof s !== 'object' || s === null) fail('InvalidParameterException', `${at} must be an object with a type (random, spread or binpack) and a field.`);
  const { type, field } = s as { type?: unknown; field?: unknown };
  if (typeof type !== 'string' || !STRATEGY_TYPES.includes(type as PlacementStrategyType)) {
    fail('InvalidParameterException', `${at}.type ${type === undefined ? 'is missing' : `'${String(type)}' is not valid`}: use random, spread or binpack.`);
  }
  if (field !== undefined && typeof field !== 'string') fail('InvalidParameterException', `${at}.field must be a string.`);
  if (field !== undefined && field.length > MAX_FIELD_LENGTH) fail('InvalidParameterException', `${at}.field is ${field.length} characters long; at most ${MAX_FIELD_LENGTH} are allowed.`);
  switch (type as PlacementStrategyType) {
    case 'random':
      // The field is not used by random (API reference); ECS accepts and keeps it.
      return field === undefined ? { type: 'random' } : { type: 'random', field };
    case 'binpack':
      if (field === undefined || !['cpu', 'memory'].includes(field.toLowerCase())) {
        fail('InvalidParameterException', `${at}: binpack needs field cpu or memory${field === undefined ? '' : `, not '${field}'`}.`);
      }
      return { type: 'binpack', field };
    case 'spread':
      if (field === undefined || field === '') {
        fail('InvalidParameterException', `${at}: spread needs a field: instanceId, host, or an attribute such as attribute:ecs.availability-zone.`);
      }
      if (field !== 'instanceId' && field !== 'host' && !/^attribute:.+/.test(field)) {
        fail('InvalidParameterException', `${at}: spread field '${field}' is not valid: use instanceId, host, or attribute:NAME such as attribute:ecs.availability-zone.`);
      }
      return { type: 'spread', field };
    case 'fewestTasks':
      // Berth's own (pods'): not in STRATEGY_TYPES, refused above.
      throw new Error('unreachable: fewestTasks is not an API strategy type');
  }
}

/**
 * The constraints of a request, checked and typed; `fromTaskDefinition` is how many the task
 * definition adds (they count towards the 10). Expressions are parsed here, so a syntax
 * error is refused before anything changes.
 */
export function validatePlacementConstraints(input: unknown, fromTaskDefinition = 0): PlacementConstraint[] {
  if (input === undefined || input === null) input = [];
  if (!Array.isArray(input)) fail('InvalidParameterException', 'placementConstraints must be a list of {type, expression} objects.');
  const total = input.length + fromTaskDefinition;
  if (total > MAX_CONSTRAINTS) {
    fail('InvalidParameterException', `The task has ${total} placement constraints${fromTaskDefinition > 0 ? ` (${fromTaskDefinition} from its task definition)` : ''}; at most ${MAX_CONSTRAINTS} are allowed.`);
  }
  return input.map((c: unknown, k) => constraint(c, `placementConstraints[${k}]`, CONSTRAINT_TYPES));
}

/**
 * A task definition's constraints: only memberOf (RegisterTaskDefinition's
 * TaskDefinitionPlacementConstraint), at most 10. ECS answers ClientException for a
 * distinctInstance there.
 */
export function validateTaskDefinitionPlacementConstraints(input: unknown): PlacementConstraint[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) fail('ClientException', 'placementConstraints must be a list of {type: memberOf, expression} objects.');
  if (input.length > MAX_CONSTRAINTS) fail('ClientException', `The task definition has ${input.length} placement constraints; at most ${MAX_CONSTRAINTS} are allowed.`);
  return input.map((c: unknown, k) => {
    const type = (c as { type?: unknown } | null)?.type;
    if (type === 'distinctInstance') {
      fail('ClientException', `constraint.type 'distinctInstance' is not supported in a task definition: give distinctInstance to RunTask or the service, and keep memberOf here.`);
    }
    return constraint(c, `placementConstraints[${k}]`, ['memberOf']);
  });
}

function constraint(c: unknown, at: string, types: readonly PlacementConstraintType[]): PlacementConstraint {
  if (typeof c !== 'object' || c === null) fail('InvalidParameterException', `${at} must be an object with a type (${types.join(' or ')}) and, for memberOf, an expression.`);
  const { type, expression } = c as { type?: unknown; expression?: unknown };
  if (typeof type !== 'string' || !types.includes(type as PlacementConstraintType)) {
    fail('InvalidParameterException', `${at}.type ${type === undefined ? 'is missing' : `'${String(type)}' is not valid`}: use ${types.join(' or ')}.`);
  }
  if (expression !== undefined && typeof expression !== 'string') fail('InvalidParameterException', `${at}.expression must be a string.`);
  if (type === 'distinctInstance') {
    if (expression !== undefined) fail('InvalidParameterException', 'distinctInstance expression should not be specified.');
    return { type: 'distinctInstance' };
  }
  if (expression === undefined || expression.trim() === '') {
    fail('InvalidParameterException', `${at}: memberOf needs an expression in the cluster query language, such as attribute:ecs.instance-type =~ t2.*.`);
  }
  compileQuery(expression);
  return { type: 'memberOf', expression };
}
