/**
 * Tasks stored as a spec and a status under keys of their own (a pod's task:
 * core/workload/task-store.ts splitTaskOps): the cluster state summarizes the join of the two,
 * so it holds each half until it has both, and joins them again when either changes. A task
 * stored as one record never comes here. Pure.
 *
 *   /ecs/…/tasks/<cluster>/<id>        spec ─┐
 *                                            ├─▶ recordOf(spec, status) ─▶ summarize ─▶ the index
 *   /ecs/…/task-status/<cluster>/<id>  status┘
 *
 * Bound: one entry per split task the indexes hold (removed with its spec), so no more than
 * the store's own tasks; a status whose spec is gone is dropped with it.
 */
import type { TaskRecord } from '../core/ecs/task.ts';
import { recordOf } from '../core/ecs/task-model.ts';
import type { TaskSpec } from '../core/workload/spec.ts';
import type { TaskStatus } from '../core/workload/status.ts';

interface Halves {
  spec?: { readonly value: TaskSpec; readonly modRevision: number };
  status?: { readonly value: TaskStatus; readonly modRevision: number };
}

export class SplitTasks {
  readonly #halves = new Map<string, Halves>();

  /**
   * A half of the task at `taskKey` put at `modRevision`: the joined record (and the spec's
   * revision, the summary's) once both halves are held; 'stale' when what is held is newer;
   * undefined while the other half is missing.
   */
  put(taskKey: string, half: 'spec' | 'status', modRevision: number, value: unknown): { record: TaskRecord; modRevision: number } | 'stale' | undefined {
    let h = this.#halves.get(taskKey);
    if (!h) this.#halves.set(taskKey, (h = {}));
    if ((h[half]?.modRevision ?? 0) >= modRevision) return 'stale';
    if (half === 'spec') h.spec = { value: value as TaskSpec, modRevision };
    else h.status = { value: value as TaskStatus, modRevision };
    return h.spec && h.status ? { record: recordOf(h.spec.value, h.status.value), modRevision: h.spec.modRevision } : undefined;
  }

  /** The task's spec was deleted (both halves go in one transaction): forget it. */
  remove(taskKey: string): void {
    this.#halves.delete(taskKey);
  }

  /** Split tasks held (for tests of the bound). */
  get size(): number {
    return this.#halves.size;
  }
}
