/**
 * Task ids for the placer: 32 hex digits, as ECS's: the first TIME_DIGITS the creation time
 * in milliseconds, the rest cryptographic randomness (80 bits per millisecond) drawn from a
 * pool filled a few kilobytes at a time.
 *
 * Why time first: a task's store key ends in its id, and the store's key index is a b-tree.
 * With wholly random ids every placed task landed on a different leaf page of that index,
 * so each committed task dirtied a 4 KB page that went to the WAL and again to the database
 * file at the checkpoint: 18.7 KB written per committed task, measured
 * (`bin/bench scheduler --direct-only`, /proc/self/io). Ids made in the same millisecond sort
 * together, so a batch's tasks share a few leaves: 4.8 KB per task, and 154 -> 81 µs of CPU
 * per committed task in the same lock hold. ECS promises nothing about its ids but their
 * form; the time they show is the task's createdAt, which DescribeTasks shows anyway.
 *
 * Why pooled: `randomBytes(16)` per id is one getrandom call and a Buffer each: 4.5 µs of a
 * committed placement's ~75 (the placer's CPU profile). Node's randomUUID pools the same way.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import type { Ids } from './placer-build.ts';

/** Bytes drawn at a time: 409 ids. Bounded: one pool per generator. */
export const ID_POOL_BYTES = 4_096;
/** Hex digits of the id that are the creation time in ms: 12 cover the years up to 10889. */
export const TIME_DIGITS = 12;
/** Random bytes per id: the 20 hex digits after the time. */
const RANDOM_BYTES = (32 - TIME_DIGITS) / 2;

/** A generator of task ids from its own pool of random bytes; `now` (ms since the epoch) is an input. */
export function pooledTaskIds(now: () => number = Date.now): () => string {
  const pool = Buffer.alloc(ID_POOL_BYTES);
  let at = ID_POOL_BYTES;
  return () => {
    if (at + RANDOM_BYTES > ID_POOL_BYTES) { randomFillSync(pool); at = 0; }
    const time = Math.max(0, Math.floor(now())).toString(16).padStart(TIME_DIGITS, '0').slice(-TIME_DIGITS);
    const id = time + pool.toString('hex', at, at + RANDOM_BYTES);
    // Used bytes are overwritten at the next fill; none is handed out twice.
    at += RANDOM_BYTES;
    return id;
  };
}

/** The placer's ids as the server wires them: time-ordered pooled task ids, Node's (pooled) UUIDs. */
export function placerIds(): Ids {
  return { taskId: pooledTaskIds(), uuid: () => randomUUID() };
}
