/**
 * How the kube controllers write core/v1 Events, as client-go's event recorder does: an event
 * the same as one recorded before (same object, sub-object, source, type, reason and message)
 * raises that Event's `count` and `lastTimestamp` instead of adding another (the
 * EventCorrelator), and events wait in a bounded queue for one writer, dropped past it (the
 * broadcaster's queue). `EventCorrelator` is pure (now comes in); `EventRecorder` writes
 * through the events kind's StorageBackend.
 */
import type { KindRegistry } from '../../api/kube/kinds.ts';
import type { Backends } from '../../api/kube/backends.ts';
import type { Obj } from '../../api/kube/kind-rules.ts';
import { StatusError } from '../../api/kube/status.ts';
import { timestamp, type ActionEvent } from './workload-actions.ts';

/** Events remembered for aggregation, least recently seen forgotten first: client-go's correlator cache (maxLruCacheEntries). */
export const MAX_EVENT_CACHE = 4096;
/** Events waiting to be written: past this they are dropped, as client-go's broadcaster drops past maxQueuedEvents. */
export const MAX_QUEUED_EVENTS = 1000;

/** An event to record: the controllers' (ActionEvent) or the kubelet's and scheduler's about a container (pod-events.ts). */
export interface EventToRecord extends ActionEvent {
  readonly fieldPath?: string;
  readonly host?: string;
}

/** What to write: a new Event, or a count raised on one already written. */
export type EventWrite =
  | { readonly op: 'create'; readonly key: string; readonly event: Obj }
  | { readonly op: 'update'; readonly key: string; readonly namespace: string; readonly name: string; readonly count: number; readonly lastTimestamp: string };

const keyOf = (e: EventToRecord): string =>
  [e.component, e.host ?? '', e.about.kind, e.about.namespace, e.about.name, e.about.uid, e.about.apiVersion, e.fieldPath ?? '', e.type, e.reason, e.message].join('\u0000');

/** The core/v1 Event `name` records `e` as, first seen at `now`. */
export function coreEvent(e: EventToRecord, name: string, now: number): Obj {
  const time = timestamp(now);
  return {
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: e.about.namespace },
    involvedObject: { ...e.about, ...(e.fieldPath && { fieldPath: e.fieldPath }) }, reason: e.reason, message: e.message, type: e.type,
    source: { component: e.component, ...(e.host && { host: e.host }) }, firstTimestamp: time, lastTimestamp: time, count: 1,
    reportingComponent: e.component, reportingInstance: e.host ?? '',
  } as unknown as Obj;
}

export class EventCorrelator {
  /** Insertion order is recency: a hit moves to the end, the first entry is the least recent. */
  readonly #seen = new Map<string, { namespace: string; name: string; count: number }>();
  #seq = 0;

  /** Whether `e` starts an Event or counts again on one recorded before. */
  observe(e: EventToRecord, now: number): EventWrite {
    const key = keyOf(e);
    const hit = this.#seen.get(key);
    if (hit) {
      this.#seen.delete(key);
      hit.count++;
      this.#seen.set(key, hit);
      return { op: 'update', key, namespace: hit.namespace, name: hit.name, count: hit.count, lastTimestamp: timestamp(now) };
    }
    // `<object>.<hex>` as client-go names events: unique per recording, ordered by time.
    const name = `${e.about.name}.${now.toString(16)}${(this.#seq++ % 0x10000).toString(16).padStart(4, '0')}`;
    this.#seen.set(key, { namespace: e.about.namespace, name, count: 1 });
    while (this.#seen.size > MAX_EVENT_CACHE) this.#seen.delete(this.#seen.keys().next().value!);
    return { op: 'create', key, event: coreEvent(e, name, now) };
  }

  /** The Event behind `key` is gone (expired, its namespace deleted): the next one starts afresh. */
  forget(key: string): void {
    this.#seen.delete(key);
  }

  get size(): number {
    return this.#seen.size;
  }
}

export interface EventRecorderDeps {
  readonly registry: KindRegistry;
  readonly backends: Backends;
  readonly now: () => number;
  readonly fieldManager: string;
}

/** Writes events through the events kind's backend, correlated; `record` now, `enqueue` in the background (bounded). */
export class EventRecorder {
  readonly #d: EventRecorderDeps;
  readonly #correlator = new EventCorrelator();
  #queue: EventToRecord[] = [];
  #draining: Promise<void> | undefined;
  #dropped = 0;

  constructor(deps: EventRecorderDeps) {
    this.#d = deps;
  }

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Writes `e` (or raises the count of the same event); one that cannot be written (its namespace going) is dropped. */
  async record(e: EventToRecord): Promise<void> {
    const kind = this.#d.registry.byResource('', 'v1', 'events');
    if (!kind) return;
    const backend = this.#d.backends.for(kind);
    const now = this.#d.now();
    const w = this.#correlator.observe(e, now);
    const opts = { dryRun: false, fieldManager: this.#d.fieldManager };
    try {
      if (w.op === 'create') {
        await backend.create(kind, e.about.namespace, w.event, opts);
        return;
      }
      await backend.update(kind, w.namespace, w.name, (cur) => cur && { ...cur, count: w.count, lastTimestamp: w.lastTimestamp }, opts);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      this.#correlator.forget(w.key);
      // The Event counted on is gone (expired): record it afresh, once.
      if (w.op === 'update' && err.code === 404) {
        const again = this.#correlator.observe(e, now);
        if (again.op === 'create') await backend.create(kind, e.about.namespace, again.event, opts).catch((x: unknown) => {
          if (!(x instanceof StatusError)) throw x;
        });
      }
    }
  }

  /** Queues events for the background writer; past MAX_QUEUED_EVENTS they are dropped. */
  enqueue(events: readonly EventToRecord[]): void {
    for (const e of events) {
      if (this.#queue.length >= MAX_QUEUED_EVENTS) this.#dropped++;
      else this.#queue.push(e);
    }
    if (this.#queue.length > 0) this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  /** Resolves once the queue is empty. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      for (const e of batch) {
        await this.record(e).catch((err: unknown) => console.error(`berth: kube event ${e.reason} about ${e.about.namespace}/${e.about.name}: ${(err as Error).message}`));
      }
    }
  }
}
