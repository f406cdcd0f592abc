/**
 * The event producer: follows the store's watch of ECS records and writes an "ECS Task
 * State Change" event for every committed write of a task record, into the event log.
 *
 *   store ──watch /ecs/ from the cursor──▶ queue (≤ MAX_QUEUED) ──batch──▶ appendEvents
 *                                                                         (events + cursor,
 *                                                                          one txn)
 *
 * Each event's key and id come from the store revision of the write it reports, so a
 * restart that resumes from the cursor writes exactly the events not yet written (none
 * lost, none twice), and two control planes producing at once write the same keys (the
 * cursor's compare-and-set makes one of them re-read and skip).
 */
import { CompactedError, type Store, type Watch, type WatchEvent } from '../store/store.ts';
import { TASK_STATE_CHANGE } from './ecs-event.ts';
import { appendEvents, eventKey, readCursor, type HeldCursor, type NewEvent } from './event-log.ts';

/** Watch events queued at most (plus the rest of one transaction's); past it the watch stops, the queue is written, and the watch resumes from the cursor (the store's history holds the rest). */
export const MAX_QUEUED = 50_000;
/** Events written per transaction at most: one fsync for many, a bounded transaction. */
export const MAX_BATCH = 1_000;
/** Once the cursor lags this many revisions behind with nothing to write, it moves anyway, so a restart does not re-read a long stretch of history. */
export const IDLE_CURSOR_LAG = 5_000;

/**
 * A drain starts this long after the first change it takes: changes of a burst go out in
 * few large transactions rather than one small one per group commit. Measured (5,000 task
 * writes from 50 writers, SQLite on disk, shared 2-core machine): without events 0.34-0.8 s;
 * with a drain per commit +65%; with 10 ms +35-50%; with 50 ms +0-35%. Far inside the one
 * second an event may take.
 */
export const DRAIN_DELAY_MS = 50;

const TASK_KEY = /^\/ecs\/[^/]+\/([^/]+)\/tasks\/[^/]+\/[^/]+$/;

export interface EventProducer {
  /** Resolves once every change seen so far has its events written (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface EventProducerOptions {
  readonly store: Store;
  readonly log: (line: string) => void;
  /** Epoch ms: the time of an event. */
  readonly now: () => number;
  /** Events kept per region (default MAX_EVENTS_PER_REGION; tests use fewer). */
  readonly maxPerRegion?: number;
  /** Watch events queued at most (default MAX_QUEUED; tests use fewer). */
  readonly maxQueued?: number;
}

export async function startEventProducer(o: EventProducerOptions): Promise<EventProducer> {
  const maxQueued = o.maxQueued ?? MAX_QUEUED;
  let held: HeldCursor = await readCursor(o.store);
  let queue: WatchEvent[] = [];
  let watch: Watch | undefined;
  let overflowed = false;
  let closed = false;
  let running: Promise<void> | undefined;

  function open(after: number): void {
    try {
      watch = o.store.watch('/ecs/', after, onEvent);
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      o.log(`events: the store's history after revision ${after} is gone (compacted through ${err.compactRevision}); task changes in between have no event`);
      watch = o.store.watch('/ecs/', err.compactRevision, onEvent);
    }
  }

  function onEvent(e: WatchEvent): void {
    if (closed || overflowed) return;
    // Checked between revisions only: one transaction's changes always queue whole (a
    // transaction's size is the store's bound), so the queue holds at most maxQueued plus one.
    if (queue.length >= maxQueued && e.revision !== queue[queue.length - 1]!.revision) {
      // Stop taking changes: write what is queued, then resume from the cursor (the store's
      // history holds the rest), a queue's worth at a time.
      overflowed = true;
      o.log(`events: more than ${maxQueued} changes queued; the rest is read from the store's history once these are written`);
      watch?.close();
      watch = undefined;
    } else {
      queue.push(e);
    }
    kick();
  }

  /**
   * Drains DRAIN_DELAY_MS later (a later macrotask in any case): the store delivers a revision's changes together, in one
   * synchronous run of the listener (history and live alike), so by then every change of the
   * revisions queued is here, and a revision is never split between two batches (its events
   * are numbered together, and the cursor passes a revision whole).
   */
  function kick(): void {
    if (running) return;
    running = new Promise<void>((r) => setTimeout(r, DRAIN_DELAY_MS)).then(drain).finally(() => {
      running = undefined;
      if (queue.length > 0 && !closed) kick();
    });
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const batch: NewEvent[] = [];
      let through = held.cursor.revision;
      let i = 0;
      let revision = -1;
      let index = 0;
      for (; i < queue.length; i++) {
        const e = queue[i]!;
        if (e.revision !== revision) {
          // Batches end between revisions only: a revision's events are numbered together.
          if (batch.length >= MAX_BATCH) break;
          revision = e.revision;
          index = 0;
        }
        if (e.revision <= held.cursor.revision) continue;
        through = e.revision;
        const m = TASK_KEY.exec(e.kv.key);
        if (e.type !== 'put' || !m) continue;
        const region = m[1]!;
        const key = eventKey(region, e.revision, index++);
        batch.push({ key, region, detailType: TASK_STATE_CHANGE, seenAt: o.now(), recordJson: e.kv.value });
      }
      queue = queue.slice(i);
      // After an overflow the cursor must pass what was queued even with no event in it: the
      // watch resumes from it.
      if (batch.length > 0 || overflowed || through - held.cursor.revision >= IDLE_CURSOR_LAG) await write(batch, through);
    }
    if (overflowed && !closed) {
      overflowed = false;
      open(held.cursor.revision);
    }
  }

  async function write(batch: NewEvent[], through: number): Promise<void> {
    if (through <= held.cursor.revision) return;
    for (;;) {
      try {
        const next = await appendEvents(o.store, held, batch, through, o.maxPerRegion);
        if (next) {
          held = next;
          return;
        }
        // Another producer moved the cursor: take its word, skip what it wrote.
        held = await readCursor(o.store);
        if (held.cursor.revision >= through) return;
        batch = batch.filter((b) => Number(b.key.slice(-17, -5)) > held.cursor.revision);
      } catch (err) {
        if (closed) return;
        o.log(`events: writing ${batch.length} events failed, retrying: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }

  open(held.cursor.revision);
  return {
    async idle() {
      while (running || queue.length > 0) await (running ?? Promise.resolve());
    },
    async close() {
      closed = true;
      watch?.close();
      await running;
    },
  };
}
