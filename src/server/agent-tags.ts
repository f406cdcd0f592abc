/**
 * The tags a task's metadata endpoint shows at `${ECS_CONTAINER_METADATA_URI_V4}/taskWithTags`:
 * the task's and its container instance's, as ListTagsForResource answers them, read for an
 * agent's session (the agent holds no credentials of the task's account: a Fargate pool
 * host runs tasks of every account). Only for a task placed on the asking session's
 * instance; a Fargate task has no container instance of its own, so no instance tags.
 * `requestId` (the caller's, one per read) names this read in any error it answers, as the
 * ECS agent's `Errors` carry the failed ListTagsForResource call's request id.
 */
import type { TagsResultMessage } from '../agent/protocol.ts';
import type { ContainerInstanceRecord } from '../core/ecs/container-instance.ts';
import { keys } from '../core/ecs/keys.ts';
import { readTaskAt } from '../core/workload/task-store.ts';
import { getJson } from '../store/json.ts';
import type { Store } from '../store/store.ts';
import { instanceRefOf } from './instance-credentials.ts';

export async function tagsForAgent(store: Store, sessionInstanceArn: string, id: string, taskArn: string, taskKey: string | undefined, requestId: string): Promise<TagsResultMessage> {
  const found = taskKey === undefined ? undefined : await readTaskAt(store, taskKey);
  if (!found || found.record.containerInstanceArn !== sessionInstanceArn) {
    return { type: 'tagsResult', id, errors: [{ resourceArn: taskArn, field: 'TaskTags', code: 'InvalidParameterException', message: `The task ${taskArn} does not run on this container instance.`, requestId }] };
  }
  const task = found.record;
  const answer: TagsResultMessage = { type: 'tagsResult', id, taskTags: task.tags ?? [] };
  if (task.launchType === 'FARGATE') return answer;
  const ref = instanceRefOf(sessionInstanceArn);
  const instance = ref && await getJson<ContainerInstanceRecord>(store, keys.containerInstance(ref.scope, ref.cluster, ref.id));
  if (!instance) return { ...answer, errors: [{ resourceArn: sessionInstanceArn, field: 'ContainerInstanceTags', code: 'InvalidParameterException', message: `The container instance ${sessionInstanceArn} was not found.`, requestId }] };
  return { ...answer, containerInstanceTags: instance.value.tags ?? [] };
}
