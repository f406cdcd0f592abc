/**
 * The `pods` kind (core/v1 Pod): each pod is a task of the workload model in the ECS cluster
 * every pod lives in (core/kube/pod/hosting.ts POD_ECS_CLUSTER), its Pod a view of the task's
 * spec and status (core/kube/pod/view.ts), so `aws ecs list-tasks --cluster default` shows
 * pods beside ECS tasks (group `pod:<namespace>/<name>`) and one agent runs both.
 *
 *   get / list ─▶ pod-backend-names.ts (name key ─▶ task) ─▶ podView; pod-backend-reads.ts (pages, watch)
 *   getRaw / listRaw / watch's answers ─▶ pod-answers.ts (answers kept by task key and revisions)
 *   create / update / patch / status / delete ─▶ pod-backend-writes.ts (admit ─▶ task spec ─▶ store)
 *
 * A new pod's task waits unplaced (PROVISIONING, no instance) until the pod scheduler places
 * it; the pod is Pending with no node until then.
 */
import { createPod, deletePodNamed, updatePod } from './pod-backend-writes.ts';
import { podRemovalTxn } from '../../core/kube/pod/removal.ts';
import { listPods, pagePods, watchPods, type WatchShare } from './pod-backend-reads.ts';
import { sharedParser, WatchListings } from './pod-watch-share.ts';
import { ParsedValues } from '../../store/parsed-values.ts';
import { KeptPods, PodAnswers } from './pod-answers.ts';
import { podObject, readPod, type PodBackendDeps } from './pod-backend-names.ts';
import type { KindInfo } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import { methodNotAllowed, notFound } from './status.ts';
import type { DeleteOptions, DeleteResult, ListOptions, ListPage, OutEvent, RawListPage, StorageBackend, UpdateOptions, WatchRequest, WriteOptions } from './storage-backend.ts';
import { podNameKey, podNamesPrefix } from '../../core/kube/pod/hosting.ts';
import { readTaskAt } from '../../core/workload/task-store.ts';
import type { NameEntry } from './pod-backend-names.ts';
import { UPDATE_ATTEMPTS } from './generic-storage.ts';
import { eachKey } from '../../store/json.ts';
import type { KeyValue, Store } from '../../store/store.ts';

export type { PodBackendDeps, IssueToken } from './pod-backend-names.ts';
export { podNodeOf } from './pod-backend-names.ts';
export { fargatePods, type FargatePod } from './pod-backend-reads.ts';

export class PodBackend implements StorageBackend {
  readonly #d: PodBackendDeps;
  /** GET, LIST and watch answers (bounded: pod-answers.ts, answer-cache.ts). */
  readonly #answers: PodAnswers;
  /** What its watches (and lists) share: halves parsed once (bounded: MAX_REMEMBERED_VALUES), the listing watches open from (MAX_WATCH_LISTINGS). */
  /** Pod objects its lists hand out, frozen and shared (bounded: MAX_KEPT_PODS). */
  readonly #kept = new KeptPods();
  readonly #share: WatchShare = { parse: sharedParser(new ParsedValues()), listings: new WatchListings() };

  constructor(deps: PodBackendDeps) {
    this.#d = deps;
    this.#answers = new PodAnswers(deps);
  }

  /** The pod's JSON as answered: kept bytes while neither half of its task changed (pod-answers.ts). */
  async getRaw(kind: KindInfo, namespace: string | undefined, name: string): Promise<Buffer> {
    const kv = namespace === undefined ? undefined : await this.#d.store.get(podNameKey(this.#d.cluster.uid, namespace, name));
    const a = kv && await this.#answers.ofNameKey(kv);
    if (!a) throw notFound(kind, name);
    return a.answer;
  }

  /** A page of pods' JSON bytes (lists without selectors: rest.ts asks only for those); a whole list kept while nothing changed. */
  listRaw(_kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<RawListPage> {
    const read = (): Promise<RawListPage> => pagePods(this.#d, namespace, options, async (kv) => (await this.#answers.ofNameKey(kv))?.answer);
    const whole = options.limit === 0 && options.continueToken === undefined && options.labels.length === 0 && options.fields.length === 0;
    return whole ? this.#answers.wholeList(podNamesPrefix(this.#d.cluster.uid, namespace), read) : read();
  }

  async get(kind: KindInfo, namespace: string | undefined, name: string): Promise<Obj> {
    const held = namespace === undefined ? undefined : await readPod(this.#d, namespace, name);
    if (!held) throw notFound(kind, name);
    return podObject(held);
  }

  async list(_kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<ListPage> {
    const page = await listPods(this.#d, namespace, options, this.#share.parse, this.#kept);
    return { items: page.entries.map((e) => e.object), resourceVersion: page.resourceVersion, continueToken: page.continueToken };
  }

  create(kind: KindInfo, namespace: string | undefined, object: Obj, options: WriteOptions): Promise<Obj> {
    if (namespace === undefined) return Promise.reject(methodNotAllowed());
    return createPod(this.#d, kind, namespace, object, options);
  }

  update(kind: KindInfo, namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
    if (namespace === undefined) return Promise.reject(methodNotAllowed());
    return updatePod(this.#d, kind, namespace, name, change, options);
  }

  delete(kind: KindInfo, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    if (namespace === undefined) return Promise.reject(methodNotAllowed());
    return deletePodNamed(this.#d, kind, namespace, name, options);
  }

  watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
    return watchPods(this.#d, req, send, this.#answers, this.#share);
  }
}

/**
 * Removes every pod of an EKS cluster being deleted (DeleteCluster): a task that never ran or
 * stopped goes, one that runs is stopped and left to the ECS side. Their name keys go too (and
 * with the cluster's other kube keys, in the host's purge).
 */
export async function removeClusterPods(store: Store, clusterUid: string): Promise<void> {
  const names: KeyValue[] = [];
  await eachKey(store, podNamesPrefix(clusterUid), (kv) => void names.push(kv));
  for (const kv of names) {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const task = await readTaskAt(store, (JSON.parse(kv.value) as NameEntry).task);
      const spec = task?.spec;
      if (!task || !spec?.kube || !task.status || spec.kube.clusterUid !== clusterUid) break;
      // Its agent may report meanwhile: the removal is pinned to the spec only, so that retries too.
      if ((await store.txn(podRemovalTxn({ ...task, spec, status: task.status }))).ok) break;
    }
  }
}
