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

export type PlacementStrategyType = 'random' | 'spread' | 'binpack';
export interface PlacementStrategy {
  readonly type: PlacementStrategyType;
  /** binpack: cpu | memory; spread: instanceId, host (= instanceId) or attribute:NAME; random: none. */
  readonly field?: string;
}
