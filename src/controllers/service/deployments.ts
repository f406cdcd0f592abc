/**
 * A service's deployments through their lives (Deployment reference; developer guide,
 * "Deploy Amazon ECS services by replacing tasks"):
 *
 *   PRIMARY IN_PROGRESS ──desired tasks healthy, no other tasks──▶ PRIMARY COMPLETED
 *        │ circuit breaker: failedTasks ≥ threshold
 *        ▼
 *   FAILED ── rollback on, a COMPLETED deployment ──▶ ACTIVE FAILED + new PRIMARY IN_PROGRESS
 *        └── otherwise ──▶ PRIMARY FAILED (stalled: launches nothing)
 *
 *   ACTIVE (an older deployment) ──no task left, PRIMARY done──▶ INACTIVE, dropped from the record
 */
import type { DeploymentRecord, ServiceRecord } from '../../core/ecs/service.ts';
import { reasons, rollbackTarget } from './circuit-breaker.ts';
import { texts } from './events.ts';

export function primaryOf(record: ServiceRecord): DeploymentRecord | undefined {
  return record.deployments.find((d) => d.status === 'PRIMARY');
}

export interface Trip {
  readonly deployments: DeploymentRecord[];
  readonly taskDefinition: string;
  readonly messages: string[];
  /** True when a rollback deployment was created (nothing is launched in the same pass). */
  readonly rolledBack: boolean;
}

/**
 * The circuit breaker trips on `primary`: it FAILS, and with rollback on and a COMPLETED
 * deployment to go back to, a new PRIMARY deployment of that one's task definition takes
 * over. The target stops being a rollback candidate (ECS moves it out of COMPLETED), so a
 * failing rollback stalls instead of looping.
 */
export function trip(record: ServiceRecord, primary: DeploymentRecord, desired: number, newDeploymentId: () => string, nowSeconds: number): Trip {
  const failed: DeploymentRecord = { ...primary, rolloutState: 'FAILED', rolloutStateReason: reasons.failed, updatedAt: nowSeconds };
  const messages = [texts.deploymentFailed(record.serviceName, primary.id)];
  const target = record.deploymentConfiguration.deploymentCircuitBreaker.rollback ? rollbackTarget(record.deployments, primary) : undefined;
  if (!target) {
    return { deployments: record.deployments.map((d) => (d.id === primary.id ? failed : d)), taskDefinition: record.taskDefinition, messages, rolledBack: false };
  }
  const rollback: DeploymentRecord = {
    id: newDeploymentId(),
    status: 'PRIMARY',
    taskDefinition: target.taskDefinition,
    desiredCount: desired,
    failedTasks: 0,
    createdAt: nowSeconds,
    updatedAt: nowSeconds,
    ...(target.launchType && { launchType: target.launchType }),
    ...(target.capacityProviderStrategy && { capacityProviderStrategy: target.capacityProviderStrategy }),
    ...(target.platformVersion && { platformVersion: target.platformVersion }),
    ...(target.platformFamily && { platformFamily: target.platformFamily }),
    ...(target.networkConfiguration && { networkConfiguration: target.networkConfiguration }),
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: reasons.rollingBack(target.id),
    // The service deployment of `primary` reads its ROLLBACK_* status from this one (core/ecs/service-deployment.ts).
    ...(target.serviceRevisionId && { serviceRevisionId: target.serviceRevisionId }),
    rollbackOf: primary.id,
  };
  messages.push(texts.rollingBack(record.serviceName, target.id));
  const rest = record.deployments.map((d): DeploymentRecord => {
    if (d.id === primary.id) return { ...failed, status: 'ACTIVE' };
    if (d.id === target.id) return { ...d, rolloutState: 'IN_PROGRESS', rolloutStateReason: reasons.inProgress(d.id), updatedAt: nowSeconds };
    return d;
  });
  return { deployments: [rollback, ...rest], taskDefinition: target.taskDefinition, messages, rolledBack: true };
}

/**
 * Older deployments with no task left kept listed while the PRIMARY is in progress: enough
 * for the FAILED one beside its rollback and the COMPLETED one to roll back to, bounded so
 * that repeated UpdateService calls on a deployment that never completes cannot grow the
 * record without end.
 */
export const MAX_IDLE_DEPLOYMENTS = 5;

/**
 * Older deployments left once their tasks are gone. While the PRIMARY is in progress they
 * stay, tasks or not, as ECS lists them (a FAILED one beside the rollback that replaced
 * it, the COMPLETED one a failing PRIMARY would roll back to), the most recent
 * MAX_IDLE_DEPLOYMENTS of those without tasks; once it has completed or failed, one with
 * no task left is INACTIVE and dropped. `holding`: deployment ids that still have a task
 * not STOPPED.
 */
export function prune(deployments: readonly DeploymentRecord[], holding: ReadonlySet<string>): DeploymentRecord[] {
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  if (primary?.rolloutState !== 'IN_PROGRESS') return deployments.filter((d) => d.status === 'PRIMARY' || holding.has(d.id));
  const idle = deployments.filter((d) => d.status !== 'PRIMARY' && !holding.has(d.id)).sort((a, b) => b.createdAt - a.createdAt);
  const target = idle.find((d) => d.rolloutState === 'COMPLETED');
  const kept = new Set([...idle.slice(0, MAX_IDLE_DEPLOYMENTS - (target ? 1 : 0)), ...(target ? [target] : [])]);
  return deployments.filter((d) => d.status === 'PRIMARY' || holding.has(d.id) || kept.has(d));
}
