/**
 * UpdateTaskProtection and GetTaskProtection: parse, apply the rule of
 * src/core/ecs/task-protection.ts to each task with compare-and-set, shape the answer.
 * The agent's scale-in protection endpoint (src/agent/metadata) reaches the same
 * functions through its session (src/server/agent-gateway.ts), for its own tasks only.
 */
import type { Scope } from '../../core/ecs/scope.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import {
  checkProtectionRequest, MAX_GET_PROTECTION_TASKS, MAX_UPDATE_PROTECTION_TASKS, protectionRefusal, protectionView, withProtection, type ProtectedTaskView,
} from '../../core/ecs/task-protection.ts';
import { fail } from '../../core/errors.ts';
import { changeTask, readTask, type TaskRef } from '../../core/workload/task-store.ts';
import type { Store } from '../../store/store.ts';
import type { RequestContext } from '../aws/service.ts';
import { requireCluster } from './cluster-state.ts';
import { scopeOf, seconds, type EcsDeps } from './deps.ts';
import { taskRefId } from './tasks.ts';

export interface ProtectionResult {
  protectedTasks: ProtectedTaskView[];
  failures: { arn: string; reason: string; detail?: string }[];
}

/** Protects (or unprotects) each task of `refs` in `cluster`; a task that cannot be is a failure, not an error. */
export async function updateTaskProtection(store: Store, scope: Scope, cluster: string, refs: readonly string[], enabled: boolean, expiresInMinutes: number | undefined, nowSeconds: number): Promise<ProtectionResult> {
  const out: ProtectionResult = { protectedTasks: [], failures: [] };
  for (const ref of refs) {
    const task = taskOf(scope, cluster, ref);
    let refused: ProtectionResult['failures'][number] | undefined;
    // Protection is the spec's (the control plane's word on the task), written compare-and-set on it.
    const w = task && await changeTask(store, task, 'spec', (t) => {
      const refusal = protectionRefusal(t);
      refused = refusal && { arn: t.taskArn, ...refusal };
      return refusal ? undefined : withProtection(t, enabled, enabled ? expiresInMinutes : undefined, nowSeconds);
    });
    if (!w || w.outcome === 'missing') out.failures.push({ arn: ref, reason: 'MISSING' });
    else if (refused) out.failures.push(refused);
    else if (w.outcome === 'written') out.protectedTasks.push(protectionView(w.task.record, nowSeconds));
    else fail('ServerException', `The protection of task ${ref} changed too often to be written: retry the request.`);
  }
  return out;
}

export async function getTaskProtection(store: Store, scope: Scope, cluster: string, refs: readonly string[], nowSeconds: number): Promise<ProtectionResult> {
  const out: ProtectionResult = { protectedTasks: [], failures: [] };
  for (const ref of refs) {
    const found = await lookup(store, scope, cluster, ref);
    if (!found) { out.failures.push({ arn: ref, reason: 'MISSING' }); continue; }
    const refusal = protectionRefusal(found.value);
    if (refusal && !found.value.group.startsWith('service:')) out.failures.push({ arn: found.value.taskArn, ...refusal });
    else out.protectedTasks.push(protectionView(found.value, nowSeconds));
  }
  return out;
}

/** The task a reference names in `cluster`, or undefined when it names none (a MISSING failure). */
function taskOf(scope: Scope, cluster: string, ref: string): TaskRef | undefined {
  try {
    return { scope, cluster, id: taskRefId(ref, cluster) };
  } catch {
    return undefined;
  }
}

async function lookup(store: Store, scope: Scope, cluster: string, ref: string): Promise<{ value: TaskRecord } | undefined> {
  const task = taskOf(scope, cluster, ref);
  const got = task && await readTask(store, task);
  return got && { value: got.record };
}

export function taskProtectionOperations({ store }: EcsDeps) {
  return {
    async UpdateTaskProtection(input: { cluster: string; tasks: string[]; protectionEnabled: boolean; expiresInMinutes?: number }, ctx: RequestContext) {
      checkProtectionRequest(input.tasks.length, MAX_UPDATE_PROTECTION_TASKS, input.expiresInMinutes);
      const scope = scopeOf(ctx);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      return updateTaskProtection(store, scope, cluster, input.tasks, input.protectionEnabled, input.expiresInMinutes, seconds(ctx));
    },
    async GetTaskProtection(input: { cluster: string; tasks?: string[] }, ctx: RequestContext) {
      const scope = scopeOf(ctx);
      const cluster = (await requireCluster(store, scope, input.cluster)).value.clusterName;
      if (input.tasks === undefined) return { protectedTasks: [], failures: [] };
      checkProtectionRequest(input.tasks.length, MAX_GET_PROTECTION_TASKS, undefined);
      return getTaskProtection(store, scope, cluster, input.tasks, seconds(ctx));
    },
  };
}
