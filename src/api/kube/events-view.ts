/**
 * events.k8s.io/v1 Events as a view of core v1 Events, as the API server keeps them: one set
 * of objects, stored in core v1's shape; this backend converts each way (regarding ⇄
 * involvedObject, note ⇄ message, reportingController ⇄ reportingComponent, deprecated*
 * ⇄ source, firstTimestamp, lastTimestamp, count), so `kubectl get events` and `kubectl events`
 * see the same events whichever API wrote them.
 */
import type { KindInfo } from './kinds.ts';
import { apiVersionOf } from './kinds.ts';
import type { Obj } from './kind-rules.ts';
import type { FieldRequirement } from '../../core/kube/selectors.ts';
import type { DeleteOptions, DeleteResult, ListOptions, ListPage, StorageBackend, UpdateOptions, WriteOptions } from './storage-backend.ts';
import type { OutEvent, WatchRequest } from './storage-backend.ts';

/** events.k8s.io/v1 field ⇄ core v1 field, where the names differ. */
const RENAMES: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'], ['note', 'message'], ['reportingController', 'reportingComponent'], ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'],
];

function rename(o: Obj, from: 0 | 1, apiVersion: string): Obj {
  const out: Obj = { ...o, apiVersion, kind: 'Event' };
  for (const pair of RENAMES) {
    const src = pair[from];
    const dst = pair[1 - from]!;
    if (src in out) {
      out[dst] = out[src];
      delete out[src];
    }
  }
  return out;
}

export class EventsV1View implements StorageBackend {
  readonly #core: StorageBackend;
  readonly #coreKind: KindInfo;
  readonly #viewKind: KindInfo;

  constructor(core: StorageBackend, coreKind: KindInfo, viewKind: KindInfo) {
    this.#core = core;
    this.#coreKind = coreKind;
    this.#viewKind = viewKind;
  }

  #toView = (o: Obj): Obj => rename(o, 1, apiVersionOf(this.#viewKind));
  #toCore = (o: Obj): Obj => rename(o, 0, apiVersionOf(this.#coreKind));

  #fields(fields: readonly FieldRequirement[]): FieldRequirement[] {
    return fields.map((f) => {
      const pair = RENAMES.find(([view]) => f.field === view || f.field.startsWith(`${view}.`));
      return pair ? { ...f, field: pair[1] + f.field.slice(pair[0].length) } : f;
    });
  }

  async get(_kind: KindInfo, namespace: string | undefined, name: string): Promise<Obj> {
    return this.#toView(await this.#core.get(this.#coreKind, namespace, name));
  }

  async list(_kind: KindInfo, namespace: string | undefined, options: ListOptions): Promise<ListPage> {
    const page = await this.#core.list(this.#coreKind, namespace, { ...options, fields: this.#fields(options.fields) });
    return { ...page, items: page.items.map(this.#toView) };
  }

  async create(_kind: KindInfo, namespace: string | undefined, object: Obj, options: WriteOptions): Promise<Obj> {
    return this.#toView(await this.#core.create(this.#coreKind, namespace, this.#toCore(object), options));
  }

  async update(_kind: KindInfo, namespace: string | undefined, name: string, change: (current: Obj | undefined) => Obj | undefined, options: UpdateOptions): Promise<{ object: Obj; created: boolean }> {
    const r = await this.#core.update(this.#coreKind, namespace, name, (cur) => {
      const next = change(cur && this.#toView(cur));
      return next && this.#toCore(next);
    }, options);
    return { ...r, object: this.#toView(r.object) };
  }

  async delete(_kind: KindInfo, namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    const r = await this.#core.delete(this.#coreKind, namespace, name, options);
    return { ...r, object: this.#toView(r.object) };
  }

  watch(req: WatchRequest, send: (e: OutEvent) => void): Promise<() => void> {
    return this.#core.watch({ ...req, kind: this.#coreKind, fields: this.#fields(req.fields) }, (e) => {
      if (e.type === 'ERROR') send(e);
      else if (e.type === 'BOOKMARK') send({ type: 'BOOKMARK', object: { ...e.object, apiVersion: apiVersionOf(this.#viewKind) } });
      else send({ type: e.type, object: this.#toView(e.object) });
    });
  }
}
