/**
 * The durable event log: the last MAX_EVENTS_PER_REGION events of each region, in the
 * store, in the order of the store revisions that caused them.
 *
 *   /berth/events/<region>/<revision:12>-<index:4>   one event (JSON), its key from the
 *                                                    task write it reports: never twice
 *   /berth/event-cursor                              { revision, counts: {region: n} }:
 *                                                    every change through `revision` has
 *                                                    its events written
 *
 * Events and the cursor are written in one transaction, so after kill -9 the producer
 * resumes from the cursor: no change is skipped and none is reported twice.
 */
import type { Op, Store } from '../store/store.ts';
import type { EcsEvent } from './ecs-event.ts';

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
  readonly event: EcsEvent;
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
    ops.push({ type: 'put', key: e.key, value: JSON.stringify(e.event) });
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
