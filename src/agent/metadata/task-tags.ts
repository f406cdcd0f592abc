/**
 * `${ECS_CONTAINER_METADATA_URI_V4}/taskWithTags` (developer guide, task metadata v4): the
 * task's answer plus `TaskTags` and `ContainerInstanceTags`, the tags ListTagsForResource
 * gives for the task and for its container instance, as maps; a tag that could not be read
 * is reported in `Errors` instead, as the ECS agent does. The tags come from the control
 * plane over the agent's session (protocol.ts `tags`), kept a short while per task so a
 * container polling the path does not put a control plane call under every request.
 */
import type { TagsResultMessage } from '../protocol.ts';

/** How long a task's tags are served from memory: TagResource shows in a container within this. */
export const TAGS_FRESH_MS = 5_000;
/** Tasks whose tags are kept: more than a host runs; the oldest is dropped past it. */
export const MAX_TAGS_KEPT = 1_024;

type Tags = Omit<TagsResultMessage, 'type' | 'id'>;

/** Pure: the task's answer with its tags (each map only when it has tags, as the agent's JSON omits empty ones) and the errors. */
export function withTags(task: Record<string, unknown>, tags: Tags): Record<string, unknown> {
  const map = (list: readonly { key: string; value?: string }[] | undefined) =>
    list && list.length > 0 ? Object.fromEntries(list.map((t) => [t.key, t.value ?? ''])) : undefined;
  const taskTags = map(tags.taskTags);
  const instanceTags = map(tags.containerInstanceTags);
  return {
    ...task,
    ...(instanceTags && { ContainerInstanceTags: instanceTags }),
    ...(taskTags && { TaskTags: taskTags }),
    ...(tags.errors?.length && {
      // The members of the developer guide's "task with tags with an error" example, in its order.
      Errors: tags.errors.map((e) => ({
        ErrorField: e.field, ErrorCode: e.code, ErrorMessage: e.message,
        StatusCode: e.code === 'ServerException' ? 500 : 400,
        ...(e.requestId !== undefined && { RequestId: e.requestId }),
        ResourceARN: e.resourceArn,
      })),
    }),
  };
}

/** Tags by task, fetched once per TAGS_FRESH_MS (concurrent askers share one fetch); answers with errors are not kept. */
export class TaskTagsCache {
  readonly #kept = new Map<string, { at: number; tags: Promise<Tags> }>();
  readonly #fetch: (taskArn: string) => Promise<Tags>;
  readonly #now: () => number;

  constructor(fetch: (taskArn: string) => Promise<Tags>, now: () => number) {
    this.#fetch = fetch;
    this.#now = now;
  }

  get(taskArn: string): Promise<Tags> {
    const now = this.#now();
    const kept = this.#kept.get(taskArn);
    if (kept && now - kept.at < TAGS_FRESH_MS) return kept.tags;
    const tags = this.#fetch(taskArn);
    this.#kept.delete(taskArn);
    this.#kept.set(taskArn, { at: now, tags });
    if (this.#kept.size > MAX_TAGS_KEPT) this.#kept.delete(this.#kept.keys().next().value!);
    void tags.then((t) => { if (t.errors?.length && this.#kept.get(taskArn)?.tags === tags) this.#kept.delete(taskArn); }, () => this.#kept.delete(taskArn));
    return tags;
  }

  /** A stopped task's entry goes with it. */
  delete(taskArn: string): void {
    this.#kept.delete(taskArn);
  }
}
