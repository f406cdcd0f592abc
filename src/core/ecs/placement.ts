/**
 * Placement constraints and strategies as the ECS API takes them (RunTask, CreateService,
 * task definitions). The engine that applies them is src/scheduler/.
 */
export type PlacementConstraintType = 'distinctInstance' | 'memberOf';
export interface PlacementConstraint {
  readonly type: PlacementConstraintType;
  /** memberOf: a cluster query language expression. */
  readonly expression?: string;
}

/**
 * ECS's three, and Berth's own `fewestTasks` (the pod scheduler's: src/scheduler/pod-fit.ts
 * POD_STRATEGY), which the API never accepts (src/scheduler/validate.ts lists ECS's).
 */
export type PlacementStrategyType = 'random' | 'spread' | 'binpack' | 'fewestTasks';
export interface PlacementStrategy {
  readonly type: PlacementStrategyType;
  /** binpack: cpu | memory; spread: instanceId, host (= instanceId) or attribute:NAME; random: none. */
  readonly field?: string;
}
