/**
 * Placement constraints as plugins: each type turns a request's constraint into a
 * {@link Filter}, checked after the built-in filters, in the order the request (then the
 * task definition) lists them. Constraints bind: an instance that fails one is no
 * candidate, whatever the strategies would prefer.
 */
import { compileQuery } from './query/evaluate.ts';
import type { Filter } from './filters.ts';
import { DISTINCT_INSTANCE_UNSATISFIED, MEMBER_OF_UNSATISFIED, type PlacementConstraint, type PlacementConstraintType } from './types.ts';

export interface ConstraintPlugin {
  readonly type: PlacementConstraintType;
  /** Builds the filter; throws InvalidParameterException for a constraint ECS would refuse. */
  build(constraint: PlacementConstraint): Filter;
}

/** Each task of the group on a different instance: an instance already running one of the group is out. */
export const distinctInstance: ConstraintPlugin = {
  type: 'distinctInstance',
  build: () => ({ name: 'distinctInstance', reason: DISTINCT_INSTANCE_UNSATISFIED, dynamic: true, admits: (s) => s.groupCount === 0 }),
};

/**
 * Only instances the expression selects. Evaluated once per request, except when it reads
 * the tasks on an instance (task:group, runningTasksCount): then the instance a task was
 * just placed on is evaluated again, since the task may have changed the answer.
 */
export const memberOf: ConstraintPlugin = {
  type: 'memberOf',
  build: (c) => {
    const q = compileQuery(c.expression ?? '');
    return { name: `memberOf(${c.expression})`, reason: MEMBER_OF_UNSATISFIED, dynamic: q.readsTasks, admits: (s) => q.test(s.view()) };
  },
};

export const constraintPlugins: ReadonlyMap<string, ConstraintPlugin> = new Map([distinctInstance, memberOf].map((p) => [p.type, p]));

export function constraintFilters(constraints: readonly PlacementConstraint[]): Filter[] {
  return constraints.map((c) => {
    const plugin = constraintPlugins.get(c.type);
    if (!plugin) throw new Error(`unknown placement constraint type ${c.type}: validate.ts refuses it before placement`);
    return plugin.build(c);
  });
}
