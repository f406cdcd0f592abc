/**
 * Events into batches (event-batch.ts), within limits, pure. Docker's awslogs driver cuts
 * at PutLogEvents' limits: an event longer than 256 KiB less its 26 bytes is split; a batch
 * ends at 10,000 events, at 1 MiB counting 26 bytes an event, or before an event 24 hours
 * after its first. Those are the API's limits, not the agent's path to the log store's:
 * the driver's batches (AGENT_BATCH_LIMITS) are bounded by what one session frame and one
 * log-store record hold, so one fdatasync on the control plane stores more lines.
 * Timestamps never go backwards within a stream (a batch is stored in order; a clock step
 * back on the host would otherwise fail it): an earlier one is raised.
 */
import { EventBatch } from './event-batch.ts';
import type { Line } from './multiline.ts';

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** The longest message one event carries: 256 KiB less the 26 bytes PutLogEvents counts. */
export const MAX_MESSAGE_BYTES = 262_144 - EVENT_OVERHEAD_BYTES;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

export interface BatchLimits {
  readonly events: number;
  /** Messages' bytes plus EVENT_OVERHEAD_BYTES an event. */
  readonly bytes: number;
  readonly spanMs: number;
}

/** PutLogEvents' own (what Docker's driver sends to CloudWatch Logs). */
export const PUT_LOG_EVENTS_LIMITS: BatchLimits = { events: MAX_BATCH_EVENTS, bytes: MAX_BATCH_BYTES, spanMs: MAX_BATCH_SPAN_MS };
/**
 * The driver's, to the control plane: 3 MiB counting 26 bytes an event keeps a batch's
 * frame (20 bytes an event besides its message, batch-frame.ts) under the session's 4 MiB
 * and its log-store record (12 bytes an event) under the store's 4 MiB. ~85,000 short lines.
 */
export const AGENT_BATCH_LIMITS: BatchLimits = { events: Math.floor((3 * 1024 * 1024) / EVENT_OVERHEAD_BYTES), bytes: 3 * 1024 * 1024, spanMs: MAX_BATCH_SPAN_MS };

/**
 * Where to cut a message of `len` bytes (`src[start, start+len)`) into pieces of at most
 * MAX_MESSAGE_BYTES, at UTF-8 character boundaries: the pieces' ends (relative to start).
 */
function pieceEnds(src: Buffer, start: number, len: number): number[] {
  const cuts: number[] = [];
  let at = 0;
  while (at < len) {
    let end = Math.min(at + MAX_MESSAGE_BYTES, len);
    // Back off to a character's first byte (continuation bytes are 10xxxxxx).
    while (end < len && end > at + 1 && (src[start + end]! & 0xc0) === 0x80) end--;
    cuts.push(end);
    at = end;
  }
  return cuts;
}

/** Builds batches: events go in with `add` (bytes) or `addLine`; `take` hands out the oldest batch. */
export class Batcher {
  readonly #limits: BatchLimits;
  /** Complete batches first, the one being filled last. */
  #batches: EventBatch[] = [];
  #bytes = 0;
  #events = 0;
  #lastTs = -Infinity;
  /** Bytes of messages held (the driver's buffer). */
  held = 0;

  constructor(limits: BatchLimits = PUT_LOG_EVENTS_LIMITS) {
    this.#limits = limits;
  }

  /** Events held. */
  get size(): number {
    return this.#events;
  }

  /**
   * Adds the event whose message is `src[start, end)`, ending at producer offset
   * `endOffset`. A long one is split: each piece gets its own offset, counting back from
   * the line's end one byte a piece, so they stay in order and a resent batch that holds
   * only some of them is cut between them exactly (agent-put.ts on the receiving side).
   */
  add(timestamp: number, src: Buffer, start: number, end: number, endOffset: number): void {
    const len = end - start;
    if (len === 0) return;
    const ts = timestamp < this.#lastTs || Number.isNaN(timestamp) ? this.#lastTs : timestamp;
    this.#lastTs = ts;
    if (len <= MAX_MESSAGE_BYTES) {
      this.#put(ts, src, start, end, endOffset);
      return;
    }
    const cuts = pieceEnds(src, start, len);
    let from = 0;
    for (const [i, cut] of cuts.entries()) {
      this.#put(ts, src, start + from, start + cut, endOffset - (cuts.length - 1 - i));
      from = cut;
    }
  }

  addLine(line: Line): void {
    const b = Buffer.from(line.message, 'utf8');
    this.add(line.timestamp, b, 0, b.length, line.end);
  }

  #put(ts: number, src: Buffer, start: number, end: number, endOffset: number): void {
    const size = end - start + EVENT_OVERHEAD_BYTES;
    let batch = this.#batches[this.#batches.length - 1];
    if (!batch || (batch.count > 0 && (batch.count >= this.#limits.events || this.#bytes + size > this.#limits.bytes || ts - batch.firstTs > this.#limits.spanMs))) {
      batch = new EventBatch();
      this.#batches.push(batch);
      this.#bytes = 0;
    }
    batch.add(ts, src, start, end, endOffset);
    this.#bytes += size;
    this.#events++;
    this.held += end - start;
  }

  /** The oldest batch (complete or not), taken out; undefined when empty. */
  take(): EventBatch | undefined {
    const batch = this.#batches.shift();
    if (!batch) return undefined;
    if (this.#batches.length === 0) this.#bytes = 0;
    this.#events -= batch.count;
    this.held -= batch.messageBytes;
    return batch;
  }
}
