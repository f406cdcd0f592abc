/**
 * UpdateTaskProtection and GetTaskProtection: parse, apply the rule of
 * src/core/ecs/task-protection.ts to each task with compare-and-set, shape the answer.
 * The agent's scale-in protection endpoint (src/agent/metadata) reaches the same
 * functions through its session (src/server/agent-gateway.ts), for its own tasks only.
 */
import { keys } from '../../core/ecs/keys.ts';
import type { Scope } from '../../core/ecs/scope.ts';
import type { TaskRecord } from '../../core/ecs/task.ts';
import {
  checkProtectionRequest, MAX_GET_PROTECTION_TASKS, MAX_UPDATE_PROTECTION_TASKS, protectionRefusal, protectionView, withProtection, type ProtectedTaskView,
} from '../../core/ecs/task-protection.ts';
import { getJson } from '../../store/json.ts';
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
    const found = await lookup(store, scope, cluster, ref);
    if (!found) { out.failures.push({ arn: ref, reason: 'MISSING' }); continue; }
    for (let cur: typeof found | undefined = found; cur;) {
      const refusal = protectionRefusal(cur.value);
      if (refusal) { out.failures.push({ arn: cur.value.taskArn, ...refusal }); break; }
      const next = withProtection(cur.value, enabled, enabled ? expiresInMinutes : undefined, nowSeconds);
      if ((await store.txn({ if: [{ key: cur.key, modRevision: cur.modRevision }], ops: [{ type: 'put', key: cur.key, value: JSON.stringify(next) }] })).ok) {
        out.protectedTasks.push(protectionView(next, nowSeconds));
        break;
      }
      cur = await lookup(store, scope, cluster, ref);
      if (!cur) out.failures.push({ arn: ref, reason: 'MISSING' });
    }
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

async function lookup(store: Store, scope: Scope, cluster: string, ref: string): Promise<{ key: string; modRevision: number; value: TaskRecord } | undefined> {
  let id: string;
  try {
    id = taskRefId(ref, cluster);
  } catch {
    return undefined;
  }
  const key = keys.task(scope, cluster, id);
  const got = await getJson<TaskRecord>(store, key);
  return got && { key, modRevision: got.modRevision, value: got.value };
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
