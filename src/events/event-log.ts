/**
 * The durable event log: the last MAX_EVENTS_PER_REGION events of each region, in the
 * store, in the order of the store revisions that caused them.
 *
 *   /berth/events/<region>/<revision:12>-<index:4>   one event as stored: the record
 *                                                    version it reports, as written, and
 *                                                    when it was seen (its key from the
 *                                                    write: never twice)
 *   /berth/event-cursor                              { revision, counts: {region: n} }:
 *                                                    every change through `revision` has
 *                                                    its events written
 *
 * Events and the cursor are written in one transaction, so after kill -9 the producer
 * resumes from the cursor: no change is skipped and none is reported twice.
 *
 * The stored form holds the record's JSON as the store delivered it, spliced in unparsed:
 * the write path does no JSON work per event (the producer keeps up with bursts of task
 * writes at a fraction of their cost); the EventBridge envelope is built when events are
 * read (readEvent).
 */
import type { Op, Store } from '../store/store.ts';
import { createHash } from 'node:crypto';
import type { TaskRecord } from '../core/ecs/task.ts';
import { taskStateChangeEvent, TASK_STATE_CHANGE, type EcsEvent } from './ecs-event.ts';

/** Events kept per region: the newest 10,000 (a few tens of MB at most); older ones go as new ones come. */
export const MAX_EVENTS_PER_REGION = 10_000;
export const EVENTS_PREFIX = '/berth/events/';
export const EVENT_CURSOR_KEY = '/berth/event-cursor';

export function regionEventsPrefix(region: string): string {
  return `${EVENTS_PREFIX}${region}/`;
}

export function eventKey(region: string, revision: number, index: number): string {
  return `${regionEventsPrefix(region)}${String(revision).padStart(12, '0')}-${String(index).padStart(4, '0')}`;
}

export interface EventCursor {
  /** Every store change through this revision has had its events written. */
  readonly revision: number;
  /** Events stored per region (what the bound is kept by). */
  readonly counts: Readonly<Record<string, number>>;
}

export interface HeldCursor {
  readonly cursor: EventCursor;
  /** 0 when none was ever written. */
  readonly modRevision: number;
}

export async function readCursor(store: Store): Promise<HeldCursor> {
  const kv = await store.get(EVENT_CURSOR_KEY);
  return kv ? { cursor: JSON.parse(kv.value) as EventCursor, modRevision: kv.modRevision } : { cursor: { revision: 0, counts: {} }, modRevision: 0 };
}

export interface NewEvent {
  readonly key: string;
  readonly region: string;
  readonly detailType: string;
  /** Epoch ms the producer saw the change: the event's `time` and `updatedAt`. */
  readonly seenAt: number;
  /** The record's JSON as written (spliced in as is). */
  readonly recordJson: string;
}

/** One event as stored. */
export interface StoredEvent {
  readonly detailType: string;
  readonly seenAt: number;
  readonly record: unknown;
}

export function storedEventValue(e: NewEvent): string {
  return `{"detailType":${JSON.stringify(e.detailType)},"seenAt":${e.seenAt},"record":${e.recordJson}}`;
}

/** A UUID-shaped id derived from an event's key: the same event always has the same id. */
export function eventId(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The EventBridge event of a stored one (undefined for a detail-type this Berth does not know). */
export function readEvent(key: string, value: string): EcsEvent | undefined {
  const stored = JSON.parse(value) as StoredEvent;
  if (stored.detailType === TASK_STATE_CHANGE) return taskStateChangeEvent(stored.record as TaskRecord, eventId(key), stored.seenAt);
  return undefined;
}

/**
 * Writes `events` and moves the cursor to `through`, dropping each region's oldest events
 * past the bound, in one transaction conditioned on the cursor as read. Resolves to the new
 * cursor, or undefined when another writer moved the cursor first (the caller re-reads it).
 */
export async function appendEvents(store: Store, held: HeldCursor, events: readonly NewEvent[], through: number, maxPerRegion = MAX_EVENTS_PER_REGION): Promise<HeldCursor | undefined> {
  const counts: Record<string, number> = { ...held.cursor.counts };
  const ops: Op[] = [];
  for (const e of events) {
    ops.push({ type: 'put', key: e.key, value: storedEventValue(e) });
    counts[e.region] = (counts[e.region] ?? 0) + 1;
  }
  for (const [region, n] of Object.entries(counts)) {
    const excess = n - maxPerRegion;
    if (excess <= 0) continue;
    // The oldest stored ones first; the batch's own are newer than all of them, so never here
    // unless the batch alone is past the bound (then its oldest go too).
    const stored = (await store.list(regionEventsPrefix(region), { limit: excess })).items.map((kv) => kv.key);
    const drop = new Set(stored);
    const fromBatch = excess - stored.length;
    if (fromBatch > 0) for (const e of events.filter((x) => x.region === region).slice(0, fromBatch)) drop.add(e.key);
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i]!;
      if (op.type === 'put' && drop.has(op.key)) ops.splice(i, 1);
    }
    for (const key of stored) ops.push({ type: 'delete', key });
    counts[region] = maxPerRegion;
  }
  const cursor: EventCursor = { revision: through, counts };
  ops.push({ type: 'put', key: EVENT_CURSOR_KEY, value: JSON.stringify(cursor) });
  const r = await store.txn({ if: [{ key: EVENT_CURSOR_KEY, modRevision: held.modRevision }], ops });
  return r.ok ? { cursor, modRevision: r.revision } : undefined;
}
