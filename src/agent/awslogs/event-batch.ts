/**
 * One batch of a driver's events as bytes: each event in the log store's own encoding
 * (store/format.ts: `f64 timestamp | u32 length | UTF-8 message`) one after the other, and
 * beside them the producer offset where each ends. Lines go from the file's bytes into it
 * without becoming strings; the session sends it as it is (batch-frame.ts) and the control
 * plane writes the events region into its record as it is.
 */
import { EVENT_HEAD_BYTES } from '../../logs/store/format.ts';
import type { Line } from './multiline.ts';

export { EVENT_HEAD_BYTES };
/** The first size of a batch's buffers; they double as it fills (up to the batcher's bound). */
const INITIAL_BYTES = 64 * 1024;
const INITIAL_EVENTS = 1024;

export class EventBatch {
  /** The events region: `bytes.subarray(0, size)`. */
  bytes = Buffer.allocUnsafe(INITIAL_BYTES);
  size = 0;
  /** Producer offset where each event ends: `ends.subarray(0, count)`. */
  ends = new Float64Array(INITIAL_EVENTS);
  count = 0;
  /** Bytes of messages (what the driver's buffer bound counts). */
  messageBytes = 0;
  firstTs = 0;
  lastTs = 0;

  /** Adds an event whose message is `src[start, end)`. */
  add(timestamp: number, src: Buffer, start: number, end: number, endOffset: number): void {
    const len = end - start;
    this.#room(EVENT_HEAD_BYTES + len);
    const b = this.bytes;
    let at = this.size;
    b.writeDoubleLE(timestamp, at);
    b.writeUInt32LE(len, at + 8);
    at += EVENT_HEAD_BYTES;
    if (len < 64) for (let i = start; i < end; i++) b[at++] = src[i]!; // short lines: a loop beats a native copy's call
    else at += src.copy(b, at, start, end);
    this.size = at;
    if (this.count === 0) this.firstTs = timestamp;
    this.lastTs = timestamp;
    this.messageBytes += len;
    if (this.count === this.ends.length) {
      const ends = new Float64Array(this.ends.length * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.ends[this.count++] = endOffset;
  }

  #room(n: number): void {
    if (this.size + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.size + n));
    this.bytes.copy(next, 0, 0, this.size);
    this.bytes = next;
  }

  /** The events region, as the store writes it. */
  get region(): Buffer {
    return this.bytes.subarray(0, this.size);
  }

  /** The events as Lines (tests, and what a fake receiver keeps). */
  lines(): Line[] {
    return decodeEvents(this.region, this.ends.subarray(0, this.count));
  }
}

/** Lines of an events region and its ends. */
export function decodeEvents(region: Buffer, ends: Float64Array): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (let i = 0; i < ends.length; i++) {
    const len = region.readUInt32LE(at + 8);
    out.push({ timestamp: region.readDoubleLE(at), message: region.toString('utf8', at + EVENT_HEAD_BYTES, at + EVENT_HEAD_BYTES + len), end: ends[i]! });
    at += EVENT_HEAD_BYTES + len;
  }
  return out;
}
