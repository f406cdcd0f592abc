/**
 * Task ids for the placer: 32 hex digits of cryptographic randomness, as ECS's, drawn from a
 * pool filled a few kilobytes at a time. `randomBytes(16)` per id is one getrandom call and
 * a Buffer each: 4.5 µs of a committed placement's ~75 (measured in the placer's CPU
 * profile, `bin/bench scheduler --direct-only --profile`). Node's randomUUID pools the same way.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import type { Ids } from './placer-build.ts';

/** Bytes drawn at a time: 256 ids. Bounded: one pool per generator. */
export const ID_POOL_BYTES = 4_096;
const ID_BYTES = 16;

/** A generator of task ids from its own pool of random bytes. */
export function pooledTaskIds(): () => string {
  const pool = Buffer.alloc(ID_POOL_BYTES);
  let at = ID_POOL_BYTES;
  return () => {
    if (at === ID_POOL_BYTES) { randomFillSync(pool); at = 0; }
    const id = pool.toString('hex', at, at + ID_BYTES);
    // Used bytes are overwritten at the next fill; none is handed out twice.
    at += ID_BYTES;
    return id;
  };
}

/** The placer's ids as the server wires them: pooled task ids, Node's (pooled) UUIDs. */
export function placerIds(): Ids {
  return { taskId: pooledTaskIds(), uuid: () => randomUUID() };
}
