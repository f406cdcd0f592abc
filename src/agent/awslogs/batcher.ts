/**
 * Events into PutLogEvents batches, within AWS's limits, pure. Docker's awslogs driver cuts
 * the same way: an event longer than 256 KiB less its 26 bytes is split; a batch ends at
 * 10,000 events, at 1 MiB counting 26 bytes an event, or before an event 24 hours after
 * its first. Timestamps never go backwards within a stream (PutLogEvents wants a batch in
 * order; a clock step back on the host would otherwise fail it): an earlier one is raised.
 */
import type { Line } from './multiline.ts';

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** The longest message one event carries: 256 KiB less the 26 bytes PutLogEvents counts. */
export const MAX_MESSAGE_BYTES = 262_144 - EVENT_OVERHEAD_BYTES;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

/**
 * The pieces of a message of at most MAX_MESSAGE_BYTES each, cut at UTF-8 character
 * boundaries. Each piece gets its own producer offset, counting back from the line's end
 * one byte a piece, so they stay in order and a resent batch that holds only some of them
 * is cut between them exactly (agent-put.ts on the receiving side).
 */
export function splitEvent(e: Line): Line[] {
  const bytes = Buffer.byteLength(e.message, 'utf8');
  if (bytes <= MAX_MESSAGE_BYTES) return [e];
  const buf = Buffer.from(e.message, 'utf8');
  const pieces: string[] = [];
  let at = 0;
  while (at < buf.length) {
    let end = Math.min(at + MAX_MESSAGE_BYTES, buf.length);
    // Back off to a character's first byte (continuation bytes are 10xxxxxx).
    while (end < buf.length && (buf[end]! & 0xc0) === 0x80) end--;
    pieces.push(buf.toString('utf8', at, end));
    at = end;
  }
  return pieces.map((message, i) => ({ timestamp: e.timestamp, message, end: e.end - (pieces.length - 1 - i) }));
}

/** Builds batches: events go in with `add`; `take` hands out the next batch. */
export class Batcher {
  #events: Line[] = [];
  /** Where the current (last) batch starts in #events, and its size so far. */
  #cuts: number[] = [0];
  #bytes = 0;
  #first = 0;
  #lastTs = -Infinity;
  /** Bytes of messages held (the driver's buffer). */
  held = 0;

  get size(): number {
    return this.#events.length;
  }

  add(line: Line): void {
    for (const raw of splitEvent(line)) {
      if (raw.message.length === 0) continue;
      const e = raw.timestamp < this.#lastTs || Number.isNaN(raw.timestamp) ? { ...raw, timestamp: this.#lastTs } : raw;
      this.#lastTs = e.timestamp;
      const size = Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD_BYTES;
      const start = this.#cuts[this.#cuts.length - 1]!;
      const count = this.#events.length - start;
      if (count > 0 && (count >= MAX_BATCH_EVENTS || this.#bytes + size > MAX_BATCH_BYTES || e.timestamp - this.#first > MAX_BATCH_SPAN_MS)) {
        this.#cuts.push(this.#events.length);
        this.#bytes = 0;
      }
      if (this.#events.length === this.#cuts[this.#cuts.length - 1]) this.#first = e.timestamp;
      this.#events.push(e);
      this.#bytes += size;
      this.held += size - EVENT_OVERHEAD_BYTES;
    }
  }

  /** The oldest batch (complete or not), taken out; undefined when empty. */
  take(): Line[] | undefined {
    if (this.#events.length === 0) return undefined;
    const end = this.#cuts.length > 1 ? this.#cuts[1]! : this.#events.length;
    const batch = this.#events.slice(0, end);
    this.#events = this.#events.slice(end);
    this.#cuts = this.#cuts.length > 1 ? this.#cuts.slice(1).map((c) => c - end) : [0];
    if (this.#cuts.length === 1 && this.#cuts[0] === 0 && this.#events.length === 0) this.#bytes = 0;
    for (const e of batch) this.held -= Buffer.byteLength(e.message, 'utf8');
    return batch;
  }
}
