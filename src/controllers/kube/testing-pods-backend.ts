/**
 * For tests: a pods StorageBackend of its own, in memory, standing in for any backend that
 * keeps pods outside the cluster's keys (pods as tasks): revisioned objects, a watch that
 * replays from a resourceVersion and answers 410 Expired below its compacted history, a
 * graceful delete (deletionTimestamp first, then gone), and `expireWatches` to end every
 * watch as a backend that lost its history does. Records every delete it was asked for.
 */
import type { KindInfo } from '../../api/kube/kinds.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import type { DeleteOptions, DeleteResult, ListOptions, ListPage, OutEvent, StorageBackend, UpdateOptions, WatchRequest, WriteOptions } from '../../api/kube/storage-backend.ts';
import { gone, StatusError } from '../../api/kube/status.ts';

/** History kept for watches that resume: enough for any test. */
export const DOUBLE_HISTORY = 10_000;

export class PodsBackendDouble implements StorageBackend {
  readonly #objects = new Map<string, Obj>();
  readonly #history: { rv: number; e: OutEvent }[] = [];
  readonly #watchers = new Set<(e: OutEvent) => void>();
  #rv = 1000;
  #uids = 0;
  #compacted = 0;
  /** `namespace/name` of every delete asked for, in order. */
  readonly deletes: string[] = [];

  #key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
  #notFound = (name: string) => new StatusError(404, 'NotFound', `pods "${name}" not found`);

  #emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', o: Obj): void {
    const e: OutEvent = { type, object: structuredClone(o) };
    this.#history.push({ rv: this.#rv, e });
    if (this.#history.length > DOUBLE_HISTORY) this.#history.shift();
    for (const w of this.#watchers) w(e);
  }

  #put(o: Obj, type: 'ADDED' | 'MODIFIED'): Obj {
    o.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(this.#key(o.metadata.namespace, o.metadata.name!), o);
    this.#emit(type, o);
    return structuredClone(o);
  }

  async get(_kind: KindInfo, namespace: string | undefined, name: string): Promise<Obj> {
    const o = this.#objects.get(this.#key(namespace, name));
    if (!o) throw this.#notFound(name);
    return structuredClone(o);
  }

  async list(_kind: KindInfo, namespace: string | undefined, _options: ListOptions): Promise<ListPage> {
    const items = [...this.#objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map((o) => structuredClone(o));
    return { items, resourceVersion: String(this.#rv), continueToken: undefined };
  }

  async create(_kind: KindInfo, namespace: string | undefined, object: Obj, _options: WriteOptions): Promise<Obj> {
    const o = structuredClone(object);
    o.metadata.namespace = namespace;
    o.metadata.name ??= `${o.metadata.generateName ?? 'pod-'}${++this.#uids}`;
    if (this.#objects.has(this.#key(namespace, o.metadata.name))) throw new StatusError(409, 'AlreadyExists', `pods "${o.metadata.name}" already exists`);
    o.metadata.uid = `pod-uid-${++this.#uids}`;
    o.metadata.creationTimestamp = '2026-12-07T12:00:00Z';
    return this.#put(o, 'ADDED');
  }

  async update(_kind: KindInfo, namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, _options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
    const cur = this.#objects.get(this.#key(namespace, name));
    const next = change(cur ? structuredClone(cur) : undefined);
    if (!cur || !next) throw this.#notFound(name);
    return { object: this.#put({ ...next, metadata: { ...next.metadata, uid: cur.metadata.uid, namespace, name } }, 'MODIFIED'), created: false };
  }

  /** Graceful, as pods go: MODIFIED with a deletionTimestamp, then DELETED. */
  async delete(_kind: KindInfo, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    const key = this.#key(namespace, name);
    const cur = this.#objects.get(key);
    if (!cur) throw this.#notFound(name);
    if (options.preconditions?.uid !== undefined && options.preconditions.uid !== cur.metadata.uid) throw new StatusError(409, 'Conflict', 'Precondition failed: UID in precondition does not match');
    this.deletes.push(key);
    const terminating = this.#put({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: '2026-12-07T12:00:00Z' } }, 'MODIFIED');
    this.#objects.delete(key);
    this.#rv++;
    this.#emit('DELETED', terminating);
    return { gone: true, object: terminating };
  }

  /** Removes a pod without telling watchers (what a watch that was down missed). */
  vanish(namespace: string, name: string): void {
    this.#objects.delete(this.#key(namespace, name));
    this.#rv++;
  }

  async watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
    const from = Number(req.resourceVersion ?? 0);
    if (from < this.#compacted) {
      send({ type: 'ERROR', object: gone(`too old resource version: ${from} (${this.#compacted})`).toStatus() });
      return () => undefined;
    }
    for (const h of this.#history) if (h.rv > from) send(h.e);
    this.#watchers.add(send);
    return () => this.#watchers.delete(send);
  }

  /** Every watch ends with 410 Expired and the history so far is forgotten, as after a compaction. */
  expireWatches(): void {
    this.#compacted = this.#rv;
    this.#history.length = 0;
    const ws = [...this.#watchers];
    this.#watchers.clear();
    for (const w of ws) w({ type: 'ERROR', object: gone(`too old resource version: ${this.#compacted - 1} (${this.#compacted})`).toStatus() });
  }

  get watchers(): number {
    return this.#watchers.size;
  }
}
