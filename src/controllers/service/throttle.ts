/**
 * The start throttle (developer guide, "Amazon ECS service throttle logic"): when a
 * service's tasks repeatedly fail to reach RUNNING (or cannot be placed), the time between
 * launch attempts grows, up to a maximum; a new deployment starts unthrottled; a task that
 * reaches RUNNING ends the episode. ECS publishes the ceiling (27 minutes) but not the
 * curve: Berth's is exponential from THROTTLE_BASE_SECONDS, named here.
 */
import type { ServiceRecord } from '../../core/ecs/service.ts';

/** Consecutive failures tolerated at full speed: one bad pull or one busy instance is not a pattern. */
export const THROTTLE_AFTER_FAILURES = 3;
/** The first delay once throttled; each further failure doubles it. */
export const THROTTLE_BASE_SECONDS = 15;
/** ECS: "incrementally increased up to a maximum of 27 minutes". */
export const THROTTLE_MAX_SECONDS = 27 * 60;

export type Throttle = NonNullable<ServiceRecord['throttle']>;

export function delaySeconds(consecutiveFailures: number): number {
  if (consecutiveFailures < THROTTLE_AFTER_FAILURES) return 0;
  const doublings = Math.min(consecutiveFailures - THROTTLE_AFTER_FAILURES, 20);
  return Math.min(THROTTLE_MAX_SECONDS, THROTTLE_BASE_SECONDS * 2 ** doublings);
}

/** The throttle in force for `deploymentId` (one counted for another deployment is void). */
export function current(record: ServiceRecord, deploymentId: string): Throttle | undefined {
  const t = record.throttle;
  return t && t.deploymentId === deploymentId ? t : undefined;
}

/**
 * After `failures` more consecutive failures observed at `nowSeconds`. Returns the new
 * throttle and whether this pass crossed into throttling (ECS says so once then).
 */
export function afterFailures(prior: Throttle | undefined, deploymentId: string, failures: number, nowSeconds: number): { throttle: Throttle; began: boolean } {
  const before = prior?.consecutiveFailures ?? 0;
  const consecutiveFailures = before + failures;
  const delay = delaySeconds(consecutiveFailures);
  return {
    throttle: { consecutiveFailures, nextLaunchAt: nowSeconds + delay, deploymentId },
    began: delay > 0 && delaySeconds(before) === 0,
  };
}

/** Whether launching is held back at `nowSeconds`. */
export function holds(t: Throttle | undefined, nowSeconds: number): boolean {
  return t !== undefined && nowSeconds < t.nextLaunchAt;
}
