/**
 * RunTask's clientToken as the placer keeps it: the token's key holds the request's
 * fingerprint and what it answered; a later launch with the same token answers the same
 * tasks (as they are now), or ECS's ConflictException when its parameters differ. The
 * placer creates the key in the placement's transaction with a must-not-exist condition,
 * so two first calls with one token never both place.
 */
import { ApiError } from '../core/errors.ts';
import { keys } from '../core/ecs/keys.ts';
import { taskId, type TaskRecord } from '../core/ecs/task.ts';
import { readTask } from '../core/workload/task-store.ts';
import type { Store } from '../store/store.ts';
import type { Launch, LaunchResult } from './launch.ts';
import type { Failure } from './types.ts';

/** What a clientToken's key holds: the request's fingerprint and what it answered. */
export interface TokenRecord {
  fingerprint: string;
  taskArns: string[];
  failures: Failure[];
  /** Epoch seconds: when it was first used (for a sweep to expire it). */
  createdAt: number;
}

/** The store key of a launch's clientToken (tokens are any 64 ASCII characters: encoded). */
export function tokenKeyOf(l: Launch): string {
  return keys.clientToken(l.scope, l.cluster, encodeURIComponent(l.clientToken!));
}

/** A launch's parameters, to refuse a token reused with different ones. */
export function fingerprintOf(l: Launch): string {
  if (l.fingerprint !== undefined) return l.fingerprint;
  const { now: _now, resolved: _td, clientToken: _token, fingerprint: _fp, ...rest } = l;
  return JSON.stringify(rest);
}

/** What an already used token answers: the tasks it started, as they are now; undefined if unused. */
export async function answerToken(store: Store, l: Launch): Promise<LaunchResult | undefined> {
  const kv = await store.get(tokenKeyOf(l));
  if (!kv) return undefined;
  const rec = JSON.parse(kv.value) as TokenRecord;
  if (rec.fingerprint !== fingerprintOf(l)) {
    // ECS's answer: ConflictException naming the tasks the token already started.
    throw new ApiError('ConflictException', `The clientToken '${l.clientToken}' was already used with a different RunTask request: use a new token, or repeat the original parameters.`, { resourceIds: rec.taskArns });
  }
  const tasks: TaskRecord[] = [];
  for (const arn of rec.taskArns) {
    const t = await readTask(store, { scope: l.scope, cluster: l.cluster, id: taskId(arn) });
    if (t) tasks.push(t.record);
  }
  return { tasks, failures: rec.failures };
}
