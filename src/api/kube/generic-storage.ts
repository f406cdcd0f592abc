/**
 * The generic backend: objects as JSON under the cluster's keys (keys.ts), with the API
 * server's semantics: resourceVersion is the key's modRevision (opaque to clients), writes are
 * compare-and-set on it, uid / creationTimestamp / generation are the server's, finalizers hold
 * a deleted object (deletionTimestamp set) until the last one goes, dry-run validates and stores
 * nothing. A delete writes the object's last state under the `~deleted` key in the same
 * transaction, for watchers (watch.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ListOptions as StoreListOptions, Store, Op } from '../../store/store.ts';
import { AnswerCache, ListCache } from './answer-cache.ts';
import { generatedName, type FieldError } from '../../core/kube/names.ts';
import { matchesFields, matchesLabels } from '../../core/kube/selectors.ts';
import type { KubeSchemas } from './contract.ts';
import { apiVersionOf, type KindInfo } from './kinds.ts';
import { prepare, type Obj } from './kind-rules.ts';
import { isTombstone, listPrefix, objectKey, tombstoneKey } from './keys.ts';
import { alreadyExists, conflict, gone, invalid, namespaceTerminating, notFound, preconditionFailed, StatusError, badRequest } from './status.ts';
import { checkBodyName, checkPreconditions } from './write-identity.ts';
import type { DeleteOptions, DeleteResult, ListOptions, ListPage, RawListPage, StorageBackend, UpdateOptions, WriteOptions } from './storage-backend.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { decode, serialize, withResourceVersion } from './stored-object.ts';
import { startWatch } from './watch.ts';
import type { KindHooks, WriteEffects } from './service-allocation.ts';
import type { OutEvent, WatchRequest } from './storage-backend.ts';

/** Keys read per store page while listing (a selector may skip many): bounds one read. */
export const LIST_READ_PAGE = 500;
/** Namespaces the server refuses to delete (its NamespaceLifecycle admission). */
export const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];
/** Attempts of a read-modify-write (patch, finalizer removal) before answering 409. */
export const UPDATE_ATTEMPTS = 10;
/**
 * Attempts of a create whose allocation (a Service's address or node port) lost a race: each
 * round at least one of the racers wins, so this many creates at once all get through.
 */
export const ALLOCATION_ATTEMPTS = 64;

export interface GenericStorageDeps {
  readonly store: Store;
  readonly clusterUid: string;
  readonly schemas: KubeSchemas;
  readonly namespaces: KindInfo;
  readonly now: () => number;
  readonly newUid: () => string;
  readonly rng: () => number;
  /** Work that commits with a kind's writes (services' cluster IPs and node ports: service-allocation.ts). */
  readonly hooks?: (kind: KindInfo) => KindHooks | undefined;
}

/** RFC 3339 at seconds, as metav1.Time serializes. */
export const timestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const specOf = (o: Obj): string => JSON.stringify(o.spec ?? null);

/** managedFields without their times: what tells a real change of ownership from a no-op write's fresh timestamp. */
function ownership(fields: unknown[] | undefined): unknown[] | undefined {
  return fields?.map((e) => ({ ...(e as object), time: undefined }));
}

/** Equal but for managedFields' times (which a no-op write would change): the server skips such a write. */
function sameObject(a: Obj, b: Obj): boolean {
  const strip = (o: Obj): Obj => ({ ...o, metadata: { ...o.metadata, managedFields: ownership(o.metadata.managedFields) } });
  return isDeepStrictEqual(strip(a), strip(b));
}

/** An object's answer by its key (a tombstone's is empty: tombstones are never answered). */
interface Answer {
  readonly key: string;
  readonly answer: Buffer;
}

const NO_ANSWER = Buffer.alloc(0);

export class GenericStorage implements StorageBackend {
  readonly #d: GenericStorageDeps;
  /** GET and LIST answers by key and modRevision (bounded: answer-cache.ts). */
  readonly #answers = new AnswerCache();
  /** Whole lists by prefix at a store revision (bounded: answer-cache.ts). */
  readonly #lists = new ListCache();
  constructor(deps: GenericStorageDeps) {
    this.#d = deps;
  }

  watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
    return startWatch({ store: this.#d.store, clusterUid: this.#d.clusterUid, storage: this }, req, send);
  }

  async get(kind: KindInfo, namespace: string | undefined, name: string): Promise<Obj> {
    const kv = await this.#d.store.get(objectKey(this.#d.clusterUid, kind, namespace, name));
    if (!kv) throw notFound(kind, name);
    return decode(kv.value, kv.modRevision);
  }

  /**
   * The object's JSON as answered: the bytes the answer cache holds for its current
   * modRevision (read from the store's index, not its value), else spliced from its stored string.
   */
  async getRaw(kind: KindInfo, namespace: string | undefined, name: string): Promise<Buffer> {
    const key = objectKey(this.#d.clusterUid, kind, namespace, name);
    const modRevision = await this.#d.store.modRevision(key);
    if (modRevision === undefined) throw notFound(kind, name);
    const hit = this.#answers.get(key, modRevision);
    if (hit) return hit;
    const kv = await this.#d.store.get(key);
    if (!kv) throw notFound(kind, name);
    return this.#answers.set(key, kv.modRevision, withResourceVersion(kv.value, kv.modRevision));
  }

  list(kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<ListPage> {
    const filter = options.labels.length > 0 || options.fields.length > 0;
    return this.#page(kind, namespace, options, (prefix, o) => this.#d.store.list(prefix, o), (kv) => {
      const o = decode(kv.value, kv.modRevision);
      return !filter || (matchesLabels(options.labels, o.metadata.labels) && matchesFields(options.fields, o)) ? o : undefined;
    });
  }

  /**
   * A page of objects' JSON bytes (the answer cache's), for lists without selectors (nothing
   * to parse); a whole list read at the store's current revision is the one kept (ListCache).
   */
  async listRaw(kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<RawListPage> {
    const read = (): Promise<RawListPage> => this.#page(kind, namespace, options, (prefix, o) => this.#answerPage(prefix, o), (a) => a.answer);
    const whole = options.limit === 0 && options.continueToken === undefined && options.labels.length === 0 && options.fields.length === 0;
    if (!whole) return read();
    return this.#lists.whole(listPrefix(this.#d.clusterUid, kind, namespace), () => this.#d.store.revision(), read);
  }

  /**
   * One store page as answers: keys and revisions only, each answer from the cache, a miss
   * read by its key. A miss whose read finds another revision (a write landed between the
   * two reads) makes the page be read whole instead, so a page is always of one revision.
   */
  async #answerPage(prefix: string, o: StoreListOptions): Promise<{ items: Answer[]; more: boolean; revision: number }> {
    const page = await this.#d.store.list(prefix, { ...o, keysOnly: true });
    const items: Answer[] = [];
    for (const kv of page.items) {
      if (isTombstone(kv.key)) {
        items.push({ key: kv.key, answer: NO_ANSWER });
        continue;
      }
      const answer = this.#answers.get(kv.key, kv.modRevision) ?? await this.#readAnswer(kv.key, kv.modRevision);
      if (answer === undefined) {
        const whole = await this.#d.store.list(prefix, o);
        const answers = whole.items.map((w) => ({ key: w.key, answer: this.#answers.get(w.key, w.modRevision) ?? this.#answers.set(w.key, w.modRevision, withResourceVersion(w.value, w.modRevision)) }));
        return { items: answers, more: whole.more, revision: whole.revision };
      }
      items.push({ key: kv.key, answer });
    }
    return { items, more: page.more, revision: page.revision };
  }

  /** The answer of `key` read from the store, if it is still at `modRevision`. */
  async #readAnswer(key: string, modRevision: number): Promise<Buffer | undefined> {
    const kv = await this.#d.store.get(key);
    return kv?.modRevision === modRevision ? this.#answers.set(key, modRevision, withResourceVersion(kv.value, modRevision)) : undefined;
  }

  async #page<P extends { readonly key: string }, T>(kind: KindInfo, namespace: string | undefined, options: ListOptions,
    read: (prefix: string, o: StoreListOptions) => Promise<{ items: P[]; more: boolean; revision: number }>, take: (item: P) => T | undefined): Promise<{ items: T[]; resourceVersion: string; continueToken: string | undefined }> {
    const prefix = listPrefix(this.#d.clusterUid, kind, namespace);
    let after: string | undefined;
    let revision: number | undefined;
    if (options.continueToken !== undefined) {
      const token = decodeContinue(options.continueToken, this.#d.now());
      if (token === 'expired') throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      if (token === undefined || !token.key.startsWith(prefix)) throw badRequest('continue key is not valid: the continue token does not match this list');
      after = token.key;
      revision = token.revision;
    }
    const items: T[] = [];
    const want = options.limit > 0 ? options.limit : Infinity;
    for (;;) {
      const page = await read(prefix, { limit: LIST_READ_PAGE, ...(after !== undefined && { after }) });
      revision ??= page.revision;
      for (const kv of page.items) {
        after = kv.key;
        if (isTombstone(kv.key)) continue;
        const item = take(kv);
        if (item === undefined) continue;
        items.push(item);
        if (items.length >= want) {
          const more = page.more || page.items[page.items.length - 1]!.key !== kv.key;
          return { items, resourceVersion: String(revision), continueToken: more ? encodeContinue(revision, kv.key, this.#d.now()) : undefined };
        }
      }
      if (!page.more) return { items, resourceVersion: String(revision), continueToken: undefined };
    }
  }

  async #namespaceAllows(kind: KindInfo, namespace: string | undefined, name: string): Promise<void> {
    if (!kind.namespaced) return;
    const kv = await this.#d.store.get(objectKey(this.#d.clusterUid, this.#d.namespaces, undefined, namespace!));
    if (!kv) throw notFound(this.#d.namespaces, namespace!);
    const ns = JSON.parse(kv.value) as Obj;
    if (ns.metadata.deletionTimestamp !== undefined) throw namespaceTerminating(kind, name, namespace!);
  }

  async create(kind: KindInfo, namespace: string | undefined, input: Obj, options: WriteOptions): Promise<Obj> {
    const m = input.metadata;
    if (!m.name) {
      if (!m.generateName) {
        throw invalid(kind.group, kind.kind, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
      }
      m.name = generatedName(m.generateName, this.#d.rng);
    }
    const now = this.#d.now();
    // What the server sets on create, whatever the client sent.
    m.uid = this.#d.newUid();
    m.creationTimestamp = timestamp(now);
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    input.apiVersion = apiVersionOf(kind);
    input.kind = kind.kind;
    if (kind.namespaced) m.namespace = namespace;
    else delete m.namespace;
    if (kind.generation) m.generation = 1;
    else delete m.generation;
    const o = prepare(kind, input, undefined);
    await this.#namespaceAllows(kind, namespace, m.name);
    // Server-side apply has written managedFields already; any other create records an Update.
    if (!options.applied) o.metadata.managedFields = this.#d.schemas.managedFieldsAfterUpdate(kind, undefined, o, options.fieldManager, new Date(now));
    const key = objectKey(this.#d.clusterUid, kind, namespace, m.name);
    const hooks = this.#d.hooks?.(kind);
    for (let attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
      // Each attempt allocates afresh from what the client asked (a lost race retries).
      const attemptObject = hooks ? structuredClone(o) : o;
      const effects: WriteEffects = hooks ? await hooks.beforeWrite(kind, attemptObject, undefined) : { if: [], ops: [] };
      if (options.dryRun) {
        if (await this.#d.store.modRevision(key) !== undefined) throw alreadyExists(kind, m.name);
        return attemptObject;
      }
      const r = await this.#d.store.txn({ if: [{ key, modRevision: 0 }, ...effects.if], ops: [{ type: 'put', key, value: serialize(attemptObject) }, ...effects.ops] });
      if (r.ok) {
        attemptObject.metadata.resourceVersion = String(r.revision);
        return attemptObject;
      }
      if (r.failed.includes(key)) throw alreadyExists(kind, m.name);
    }
    throw conflict(kind, m.name);
  }

  async update(kind: KindInfo, namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
    const key = objectKey(this.#d.clusterUid, kind, namespace, name);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const kv = await this.#d.store.get(key);
      const current = kv && decode(kv.value, kv.modRevision);
      const next = change(current && structuredClone(current));
      if (!next) throw notFound(kind, name);
      checkBodyName(name, next);
      next.metadata.name = name;
      if (!current || !kv) {
        // Created by an update (server-side apply of a new object).
        const created = await this.create(kind, namespace, next, options);
        return { object: created, created: true };
      }
      checkPreconditions(kind, name, current, next);
      const wanted = next.metadata.resourceVersion;
      if (current.metadata.deletionTimestamp !== undefined) {
        const added = (next.metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw invalid(kind.group, kind.kind, name, [{ reason: 'FieldValueForbidden', field: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
        }
      }
      // managedFields a client sends changed (not the ones it read back) are taken as given, as
      // the API server lets clients rewrite ownership (kubectl moving client-side apply's fields
      // to server-side apply does); otherwise the write's manager is recorded.
      const sent = next.metadata.managedFields;
      const rewritten = !options.applied && sent !== undefined && !isDeepStrictEqual(ownership(sent), ownership(current.metadata.managedFields));
      const o = this.#carryOver(kind, current, next);
      const prepared = prepare(kind, o, current, options.subresource);
      // After defaulting, so a write that only leaves defaults out is no change of spec.
      if (kind.generation) prepared.metadata.generation = (current.metadata.generation ?? 1) + (specOf(prepared) !== specOf(current) ? 1 : 0);
      else delete prepared.metadata.generation;
      const now = new Date(this.#d.now());
      if (!options.applied && !rewritten) prepared.metadata.managedFields = this.#d.schemas.managedFieldsAfterUpdate(kind, current, prepared, options.fieldManager, now, options.subresource);
      if (sameObject(prepared, current)) return { object: current, created: false };
      const ops: Op[] = [];
      const last = prepared.metadata.deletionTimestamp !== undefined && (prepared.metadata.finalizers ?? []).length === 0 && !this.#namespaceHeld(kind, prepared);
      const hooks = this.#d.hooks?.(kind);
      const effects: WriteEffects = hooks && !last ? await hooks.beforeWrite(kind, prepared, current) : { if: [], ops: [] };
      if (options.dryRun) return { object: prepared, created: false };
      if (last) ops.push(...this.#deleteOps(kind, namespace, key, prepared));
      else ops.push({ type: 'put', key, value: serialize(prepared) }, ...effects.ops);
      const r = await this.#d.store.txn({ if: [{ key, modRevision: kv.modRevision }, ...effects.if], ops });
      if (!r.ok) {
        if (wanted !== undefined && wanted !== '') throw conflict(kind, name);
        continue;
      }
      prepared.metadata.resourceVersion = String(r.revision);
      return { object: prepared, created: false };
    }
    throw conflict(kind, name);
  }

  /** A namespace stays while spec.finalizers holds `kubernetes` (its contents are being deleted). */
  #namespaceHeld(kind: KindInfo, o: Obj): boolean {
    return kind === this.#d.namespaces && ((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  }

  /** What the server keeps from the stored object whatever an update sends. */
  #carryOver(kind: KindInfo, current: Obj, next: Obj): Obj {
    const m = next.metadata;
    const c = current.metadata;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    m.namespace = c.namespace;
    if (c.namespace === undefined) delete m.namespace;
    if (c.deletionTimestamp !== undefined) {
      m.deletionTimestamp = c.deletionTimestamp;
      m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    m.resourceVersion = c.resourceVersion;
    next.apiVersion = apiVersionOf(kind);
    next.kind = kind.kind;
    return next;
  }

  #deleteOps(kind: KindInfo, namespace: string | undefined, key: string, last: Obj): Op[] {
    return [
      { type: 'put', key: tombstoneKey(this.#d.clusterUid, kind, namespace), value: serialize(last) },
      { type: 'delete', key },
      ...(this.#d.hooks?.(kind)?.onDelete(kind, last) ?? []),
    ];
  }

  async delete(kind: KindInfo, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    if (kind === this.#d.namespaces && IMMORTAL_NAMESPACES.includes(name)) {
      throw new StatusError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    const key = objectKey(this.#d.clusterUid, kind, namespace, name);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const kv = await this.#d.store.get(key);
      if (!kv) throw notFound(kind, name);
      const current = decode(kv.value, kv.modRevision);
      const p = options.preconditions;
      if (p?.uid !== undefined && p.uid !== current.metadata.uid) {
        throw preconditionFailed(kind, name, 'UID', p.uid, current.metadata.uid);
      }
      if (p?.resourceVersion !== undefined && p.resourceVersion !== current.metadata.resourceVersion) {
        throw preconditionFailed(kind, name, 'ResourceVersion', p.resourceVersion, current.metadata.resourceVersion);
      }
      const next = structuredClone(current);
      const finalizers = new Set(next.metadata.finalizers ?? []);
      // Namespaces default to foreground-like handling by their own controller; others to background.
      if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
      if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      const held = finalizers.size > 0 || this.#namespaceHeld(kind, next);
      if (!held) {
        if (options.dryRun) return { gone: true, object: current };
        const r = await this.#d.store.txn({ if: [{ key, modRevision: kv.modRevision }], ops: this.#deleteOps(kind, namespace, key, current) });
        if (r.ok) return { gone: true, object: current };
        continue;
      }
      if (current.metadata.deletionTimestamp !== undefined && finalizers.size === (current.metadata.finalizers ?? []).length) {
        return { gone: false, object: current };
      }
      next.metadata.finalizers = [...finalizers];
      next.metadata.deletionTimestamp ??= timestamp(this.#d.now());
      next.metadata.deletionGracePeriodSeconds ??= 0;
      if (kind === this.#d.namespaces) (next.status as Record<string, unknown>).phase = 'Terminating';
      if (kind.generation) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
      if (options.dryRun) return { gone: false, object: next };
      const r = await this.#d.store.txn({ if: [{ key, modRevision: kv.modRevision }], ops: [{ type: 'put', key, value: serialize(next) }] });
      if (r.ok) {
        next.metadata.resourceVersion = String(r.revision);
        return { gone: false, object: next };
      }
    }
    throw conflict(kind, name);
  }
}

export type { FieldError };
