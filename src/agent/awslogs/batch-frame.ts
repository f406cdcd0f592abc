/**
 * An awslogs batch on the agent's session: one binary WebSocket frame (the session's other
 * messages are JSON text frames). JSON would turn every line into a string twice on each
 * side; here the events travel in the log store's own encoding, which the control plane
 * writes into its record as it is.
 *
 *   u8  FRAME_KIND
 *   u32 headerLength | header (JSON: id, taskArn, region, group, stream, createGroup, as)
 *   u32 count | count × f64 end       producer offset where each event ends
 *   events region                     count × (f64 timestamp | u32 length | message)
 *
 * Little-endian, as the store. The decoder checks the whole frame (lengths, order) before
 * anything is stored: a bad frame is refused, it never reaches the store.
 */
import { EVENT_HEAD_BYTES, type EventBatch } from './event-batch.ts';
import type { SessionProof } from '../protocol.ts';
import type { EncodedEvents } from '../../logs/store/encoded-events.ts';

export type { EncodedEvents } from '../../logs/store/encoded-events.ts';

/** The first byte of an awslogs batch frame ('a'). */
export const FRAME_KIND = 0x61;

export interface BatchFrameHeader {
  readonly id: number;
  readonly taskArn: string;
  readonly region: string;
  readonly group: string;
  readonly stream: string;
  readonly createGroup: boolean;
  /** The task's execution role session the batch is shipped as (the gateway checks it). */
  readonly as?: SessionProof;
}

export function encodeBatchFrame(header: BatchFrameHeader, batch: EventBatch): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(1 + 4 + head.length + 4 + 8 * batch.count + batch.size);
  let at = out.writeUInt8(FRAME_KIND, 0);
  at = out.writeUInt32LE(head.length, at);
  at += head.copy(out, at);
  at = out.writeUInt32LE(batch.count, at);
  for (let i = 0; i < batch.count; i++) at = out.writeDoubleLE(batch.ends[i]!, at);
  batch.bytes.copy(out, at, 0, batch.size);
  return out;
}

export class BadFrame extends Error {
  readonly code = 'InvalidParameterException';
  /** The request's id, when the header could be read (it is answered; else the session is closed). */
  readonly id: number | undefined;
  constructor(message: string, id: number | undefined) {
    super(message);
    this.id = id;
  }
}

/**
 * The header and events of a frame; throws BadFrame when it is not a whole, consistent
 * batch (events that overrun it, or bytes after them, ends that go back, timestamps out of
 * order, empty messages or messages longer than `maxMessageBytes`).
 */
export function decodeBatchFrame(frame: Buffer, maxMessageBytes: number): { header: BatchFrameHeader; events: EncodedEvents } {
  const fault = (why: string, id?: number): never => { throw new BadFrame(`a malformed awslogs frame: ${why}`, id); };
  const bad = (why: string): never => fault(why);
  if (frame.length < 9 || frame[0] !== FRAME_KIND) bad('not an awslogs batch');
  const headLen = frame.readUInt32LE(1);
  if (5 + headLen + 4 > frame.length) bad('its header overruns it');
  let header: BatchFrameHeader;
  try {
    header = JSON.parse(frame.toString('utf8', 5, 5 + headLen)) as BatchFrameHeader;
  } catch {
    return bad('its header is not JSON');
  }
  if (!Number.isSafeInteger(header?.id)) bad('its header has no id');
  return { header, events: decodeBody(frame.subarray(5 + headLen), maxMessageBytes, (why) => fault(why, header.id)) };
}

/** The ends and events after a frame's header, checked. */
function decodeBody(frame: Buffer, maxMessageBytes: number, bad: (why: string) => never): EncodedEvents {
  if (frame.length < 4) bad('it has no event count');
  let at = 0;
  const count = frame.readUInt32LE(at);
  at += 4;
  if (at + 8 * count > frame.length) bad('its offsets overrun it');
  const ends = new Float64Array(count);
  for (let i = 0; i < count; i++, at += 8) {
    ends[i] = frame.readDoubleLE(at);
    if (!(ends[i]! > (i === 0 ? -1 : ends[i - 1]!)) || !Number.isSafeInteger(ends[i])) bad('producer offsets must increase');
  }
  const region = frame.subarray(at);
  let pos = 0;
  let lastTs = -Infinity;
  for (let i = 0; i < count; i++) {
    if (pos + EVENT_HEAD_BYTES > region.length) bad('its events overrun it');
    const ts = region.readDoubleLE(pos);
    const len = region.readUInt32LE(pos + 8);
    if (!(ts >= lastTs) || ts < 0 || !Number.isSafeInteger(ts)) bad('timestamps must not go back');
    if (len === 0 || len > maxMessageBytes) bad(`a message of ${len} bytes`);
    lastTs = ts;
    pos += EVENT_HEAD_BYTES + len;
  }
  if (pos !== region.length) bad('bytes after its events');
  return { count, region, ends };
}
