/**
 * The task definition revisions the placer launches, by ARN: a revision's containers never
 * change, so each is read from the store once and kept (bounded by entries and bytes).
 */
import { fail } from '../core/errors.ts';
import { parseArn } from '../core/arn.ts';
import { keys } from '../core/ecs/keys.ts';
import type { Scope } from '../core/ecs/scope.ts';
import type { TaskDefinitionRecord } from '../core/ecs/task-definition.ts';
import { Lru } from '../lib/lru.ts';
import type { Store } from '../store/store.ts';
import type { Launch } from './launch.ts';

/**
 * Task definition revisions kept for launches by ARN: a revision's containers never change,
 * so they are read once. 1,000 revisions, at most 16 MiB of their JSON (a large definition
 * is 10-30 KB): a cluster's services and recent RunTask definitions.
 */
export const TASK_DEFINITION_CACHE_ENTRIES = 1_000;
export const TASK_DEFINITION_CACHE_BYTES = 16 * 1024 * 1024;

/** A launch's task definition: given with it (RunTask read it already), kept, or read once. */
export function definitionReader(store: Store): (l: Launch) => Promise<TaskDefinitionRecord> {
  const definitions = new Lru<string, { td: TaskDefinitionRecord; bytes: number }>({
    maxEntries: TASK_DEFINITION_CACHE_ENTRIES, maxWeight: TASK_DEFINITION_CACHE_BYTES, weigh: (e) => e.bytes,
  });
  return async (l) => {
    if (l.resolved) return l.resolved;
    const hit = definitions.get(l.taskDefinitionArn);
    if (hit) return hit.td;
    const kv = await store.get(definitionKey(l.scope, l.taskDefinitionArn));
    if (!kv) fail('ClientException', `Unable to find task definition '${l.taskDefinitionArn}': register it first, or check the family and revision.`);
    const td = JSON.parse(kv.value) as TaskDefinitionRecord;
    definitions.set(l.taskDefinitionArn, { td, bytes: kv.value.length });
    return td;
  };
}

/** The store key of a task definition revision named by its ARN. */
function definitionKey(scope: Scope, arn: string): string {
  const m = /^task-definition\/([a-zA-Z0-9_-]+):(\d+)$/.exec(parseArn(arn)?.resource ?? '');
  if (!m) fail('InvalidParameterException', `'${arn}' is not a task definition revision ARN: expected arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.`);
  return keys.taskDefinition(scope, m[1]!, Number(m[2]));
}
