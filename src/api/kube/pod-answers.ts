/**
 * The pods backend's fast paths: a Pod's JSON as answered, kept by its task's key and the
 * later of its two halves' revisions (spec: the API's and the scheduler's writes; status: its
 * agent's reports), and whole lists kept while the store's revision has not moved, as the
 * generic backend does with its objects (answer-cache.ts, whose caches these are).
 *
 *   GET   name key ─▶ { task } ─▶ modRevision(spec), modRevision(status) ─▶ AnswerCache hit
 *                                                       └─ miss: readTaskAt ─▶ podObject ─▶ JSON ─▶ kept
 *   LIST  store revision unchanged ─▶ ListCache hit; else each name key as a GET (keys' index only on a hit)
 *   watch an event's halves and revisions ─▶ the same answer: the first of 100 watchers serializes it
 *
 * Why the later revision is a pod's identity: revisions are the store's, one per transaction
 * and only ever larger, so a write of either half (or a new task under the same name) makes
 * the later one larger; the Pod view (core/kube/pod/view.ts) is a function of both halves,
 * their revisions and the node (a placed task's instance name, which never changes). An
 * answer is kept only when its node was known (an unplaced pod has none to know): a read of
 * the node that failed is not remembered as "no node".
 */
import { AnswerCache, ListCache } from './answer-cache.ts';
import { readTaskAt, taskRefOfKey, taskStatusKey } from '../../core/workload/task-store.ts';
import { holdTask, podObject, type HeldPod, type NameEntry, type PodBackendDeps } from './pod-backend-names.ts';
import type { Obj } from './kind-rules.ts';
import type { RawListPage } from './storage-backend.ts';
import type { KeyValue } from '../../store/store.ts';
import { Lru } from '../../lib/lru.ts';

/**
 * Pod objects kept for lists at most (one per pod): the controllers list every pod of the
 * cluster on every pass, and any pod's status write starts a pass; 1,000 Pod views made per
 * write were most of a status write's cost in the kube-api bench (session 14's profile).
 */
export const MAX_KEPT_PODS = 50_000;

/** A pod's answer and the object it is, when the pod is one of the cluster's (its task holds both halves). */
export interface PodAnswer {
  readonly answer: Buffer;
  /** The Pod (parsed from the answer on a hit: only a caller that needs it asks). */
  readonly object: () => Obj;
}

/** The revision a pod's answer is kept at: the later of its halves'. */
export const answerRevision = (t: Pick<HeldPod['task'], 'specRevision' | 'statusRevision'>): number => Math.max(t.specRevision, t.statusRevision);

/** Whether the Pod shown for `held` is complete: placed pods show their node, so one whose node was not read is not kept. */
const complete = (held: Pick<HeldPod, 'spec' | 'node'>): boolean => held.spec.placement.instanceArn === undefined || held.node !== undefined;

export class PodAnswers {
  /** Answers by task key (bounded: MAX_ANSWERS, MAX_ANSWER_BYTES). */
  readonly #answers = new AnswerCache();
  /** Whole lists by name-key prefix at a store revision (bounded: MAX_LISTS, MAX_LIST_BYTES). */
  readonly #lists = new ListCache();
  readonly #d: PodBackendDeps;

  constructor(deps: PodBackendDeps) {
    this.#d = deps;
  }

  /** The answer of the pod a name key names (`kv`: the name key as read), or undefined when its task is gone or not this cluster's. */
  async ofNameKey(kv: KeyValue): Promise<PodAnswer | undefined> {
    const taskKey = (JSON.parse(kv.value) as NameEntry).task;
    const ref = taskRefOfKey(taskKey);
    if (ref) {
      const [specRevision, statusRevision] = await Promise.all([this.#d.store.modRevision(taskKey), this.#d.store.modRevision(taskStatusKey(ref))]);
      const hit = specRevision !== undefined && statusRevision !== undefined ? this.#answers.get(taskKey, Math.max(specRevision, statusRevision)) : undefined;
      if (hit) return { answer: hit, object: () => JSON.parse(hit.toString('utf8')) as Obj };
    }
    const held = await holdTask(this.#d, kv.key, kv.modRevision, await readTaskAt(this.#d.store, taskKey));
    if (!held) return undefined;
    const object = podObject(held);
    return { answer: this.answerOf(held, object), object: () => object };
  }

  /** The answer of a pod whose object was made (a watch's event): the kept bytes, or `object`'s, kept if complete. */
  answerOf(held: Pick<HeldPod, 'spec' | 'node' | 'task'>, object: Obj): Buffer {
    const revision = answerRevision(held.task);
    const kept = this.#answers.get(held.task.key, revision);
    if (kept) return kept;
    const text = JSON.stringify(object);
    return complete(held) ? this.#answers.set(held.task.key, revision, text) : Buffer.from(text);
  }

  /** The answer kept for a task at its halves' revisions, if any (a watch's hit: no object made). */
  kept(taskKey: string, t: Pick<HeldPod['task'], 'specRevision' | 'statusRevision'>): Buffer | undefined {
    return this.#answers.get(taskKey, answerRevision(t));
  }

  /**
   * A whole list (no limit, continue or selector) of the pods under `prefix`: the one kept
   * while the store's revision is the one it was read at (nothing anywhere changed), else
   * `read` and kept if no write landed meanwhile.
   */
  wholeList(prefix: string, read: () => Promise<RawListPage>): Promise<RawListPage> {
    return this.#lists.whole(prefix, () => this.#d.store.revision(), read);
  }
}

/** Freezes `o` and everything in it: a kept Pod is shared by every list that reads it, and a write to it would show in all. */
function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * The Pod objects a list hands out, kept by task key and the later of the halves' revisions
 * (as answers are: pod-answers.ts), frozen: a pass of the controllers over 1,000 unchanged
 * pods makes no view at all. A placed pod whose node was not read is made again next time.
 */
export class KeptPods {
  readonly #lru = new Lru<string, { readonly revision: number; readonly object: Obj }>(MAX_KEPT_PODS);

  objectOf(held: Pick<HeldPod, 'spec' | 'status' | 'node' | 'task'>): Obj {
    const revision = answerRevision(held.task);
    const kept = this.#lru.get(held.task.key);
    if (kept?.revision === revision) return kept.object;
    const object = deepFreeze(podObject(held));
    if (complete(held)) this.#lru.set(held.task.key, { revision, object });
    return object;
  }
}
