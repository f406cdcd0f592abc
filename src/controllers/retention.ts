import { STOPPED_TASK_RETENTION_SECONDS } from '../core/ecs/task-lifecycle.ts';
import { isPodTask } from '../core/kube/pod/hosting.ts';

/**
 * How long RunTask honours a clientToken: ECS's TTL is 24 hours ("Ensuring idempotency",
 * ECS API reference). Past it the same token starts new tasks, as a new request.
 */
export const CLIENT_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * What the retention sweep removes, decided over a snapshot (pure):
 * - tasks STOPPED longer than ECS keeps them describable (an hour) — but not a pod's: its
 *   task is the pod, which stays (a finished Job's pod, Completed) until it is deleted, and
 *   then the pod removal job (pod-removal-job.ts) removes the task with it;
 * - task definition revisions in DELETE_IN_PROGRESS that no remaining task uses
 *   (ECS deletes them once nothing references them);
 * - RunTask clientTokens past their TTL.
 */
export interface RetentionSnapshot {
  /** `kept`: another job still needs it (its usage is not metered yet): not removed, whatever its age. */
  tasks: readonly { key: string; modRevision: number; taskDefinitionArn: string; group: string; lastStatus: string; stoppedAt?: number; kept?: boolean }[];
  deletingDefinitions: readonly { key: string; modRevision: number; taskDefinitionArn: string }[];
  /** `createdAt`: epoch seconds the token was first used. */
  clientTokens: readonly { key: string; modRevision: number; createdAt: number }[];
}

export interface Removal {
  key: string;
  modRevision: number;
}

export function retentionSweep(snap: RetentionSnapshot, nowSeconds: number): Removal[] {
  const expired = snap.tasks.filter((t) => t.lastStatus === 'STOPPED' && t.kept !== true && !isPodTask(t)
    && t.stoppedAt !== undefined && nowSeconds - t.stoppedAt > STOPPED_TASK_RETENTION_SECONDS);
  const gone = new Set(expired.map((t) => t.key));
  const inUse = new Set(snap.tasks.filter((t) => !gone.has(t.key)).map((t) => t.taskDefinitionArn));
  return [
    ...expired.map(({ key, modRevision }) => ({ key, modRevision })),
    ...snap.deletingDefinitions.filter((d) => !inUse.has(d.taskDefinitionArn)).map(({ key, modRevision }) => ({ key, modRevision })),
    ...snap.clientTokens.filter((t) => nowSeconds - t.createdAt > CLIENT_TOKEN_TTL_SECONDS).map(({ key, modRevision }) => ({ key, modRevision })),
  ];
}
