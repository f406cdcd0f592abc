/**
 * The on-disk record of the log store: one record per accepted PutLogEvents batch, appended
 * to a segment file. A record is self-describing and checksummed, so a segment can be read
 * from its first byte without any other file, and a torn tail (a write cut by kill -9) is
 * recognised and cut off at open.
 *
 *   record  = u32 payloadLength | u32 crc32(payload) | payload
 *   payload = u8 version(1|2) | u16 idLen | streamId | u16 nameLen | streamName
 *             | f64 ingestionTime | u32 count | [v2: f64 producerOffset] | count × event
 *   event   = f64 timestamp | u32 messageLength | message (UTF-8)
 *
 * Version 2 is a batch the awslogs driver sent (src/logs/agent-put.ts): it carries where
 * in the container's output the batch ends (the producer offset), in the same write as
 * the events, so a batch the agent sends again after a crash is recognised from what is
 * on disk and not stored twice. Batches from PutLogEvents stay version 1.
 *
 * Timestamps are epoch milliseconds, exact as f64 up to 2^53. Little-endian throughout.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
const VERSION = 1;
/** A batch that carries its producer offset. */
const VERSION_WITH_OFFSET = 2;
/** A record's payload never exceeds this: a batch is at most 1 MiB of messages plus framing. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export interface InputEvent {
  readonly timestamp: number;
  readonly message: string;
}

export interface BatchHead {
  readonly streamId: string;
  readonly streamName: string;
  readonly ingestionTime: number;
  readonly count: number;
  /** Offset in the payload of the first event. */
  readonly eventsAt: number;
  /** Where the batch ends in its producer's output (version 2 records only). */
  readonly producerOffset: number | undefined;
}

/** Encodes one batch as a whole record (header included). */
export function encodeBatch(streamId: string, streamName: string, ingestionTime: number, events: readonly InputEvent[], producerOffset?: number): Buffer {
  const messages = events.map((e) => Buffer.from(e.message, 'utf8'));
  const head = recordHead(streamId, streamName, producerOffset);
  const size = messages.reduce((n, m) => n + EVENT_HEAD_BYTES + m.length, head.size);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + size);
  let at = head.write(buf, ingestionTime, events.length);
  for (let i = 0; i < events.length; i++) {
    at = buf.writeDoubleLE(events[i]!.timestamp, at);
    at = buf.writeUInt32LE(messages[i]!.length, at);
    at += messages[i]!.copy(buf, at);
  }
  return seal(buf, size);
}

/**
 * A record's head (version, stream id and name, ingestion time, event count, the producer
 * offset when there is one): its size, and a writer that puts it after the frame header and
 * answers where the events go.
 */
function recordHead(streamId: string, streamName: string, producerOffset: number | undefined) {
  const id = Buffer.from(streamId, 'utf8');
  const name = Buffer.from(streamName, 'utf8');
  return {
    size: 1 + 2 + id.length + 2 + name.length + 8 + 4 + (producerOffset === undefined ? 0 : 8),
    write(buf: Buffer, ingestionTime: number, count: number): number {
      let at = HEADER_BYTES;
      at = buf.writeUInt8(producerOffset === undefined ? VERSION : VERSION_WITH_OFFSET, at);
      at = buf.writeUInt16LE(id.length, at);
      at += id.copy(buf, at);
      at = buf.writeUInt16LE(name.length, at);
      at += name.copy(buf, at);
      at = buf.writeDoubleLE(ingestionTime, at);
      at = buf.writeUInt32LE(count, at);
      if (producerOffset !== undefined) at = buf.writeDoubleLE(producerOffset, at);
      return at;
    },
  };
}

/** The frame header: the record's size and its CRC32. */
function seal(buf: Buffer, size: number): Buffer {
  buf.writeUInt32LE(size, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

/** Bytes of an event besides its message in a record: f64 timestamp, u32 length. */
export const EVENT_HEAD_BYTES = 12;

/**
 * Encodes a batch whose events are already in a record's encoding (`region`: `count`
 * events one after the other), as the awslogs driver sends them: its events region is
 * copied as it is, with no message decoded.
 */
export function encodeRecordOf(streamId: string, streamName: string, ingestionTime: number, count: number, region: Buffer, producerOffset?: number): Buffer {
  const head = recordHead(streamId, streamName, producerOffset);
  const size = head.size + region.length;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + size);
  region.copy(buf, head.write(buf, ingestionTime, count));
  return seal(buf, size);
}

/** Events in a record's encoding (count × event), for encodeRecordOf. */
export function encodeEvents(events: readonly InputEvent[]): Buffer {
  const messages = events.map((e) => Buffer.from(e.message, 'utf8'));
  let size = 0;
  for (const m of messages) size += EVENT_HEAD_BYTES + m.length;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < events.length; i++) {
    at = buf.writeDoubleLE(events[i]!.timestamp, at);
    at = buf.writeUInt32LE(messages[i]!.length, at);
    at += messages[i]!.copy(buf, at);
  }
  return buf;
}

/** The events of an encoded region (count × event), messages decoded. */
export function decodeEvents(region: Buffer, count: number): InputEvent[] {
  const out: InputEvent[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const len = region.readUInt32LE(at + 8);
    out.push({ timestamp: region.readDoubleLE(at), message: region.toString('utf8', at + EVENT_HEAD_BYTES, at + EVENT_HEAD_BYTES + len) });
    at += EVENT_HEAD_BYTES + len;
  }
  return out;
}

/**
 * The length of the whole record starting at `at` in `buf` when it is complete and its
 * checksum holds; 0 when the bytes there are not a whole valid record (a torn tail).
 */
export function validRecordLength(buf: Buffer, at: number): number {
  if (at + HEADER_BYTES > buf.length) return 0;
  const size = buf.readUInt32LE(at);
  if (size === 0 || size > MAX_PAYLOAD_BYTES || at + HEADER_BYTES + size > buf.length) return 0;
  const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + size);
  if (crc32(payload) !== buf.readUInt32LE(at + 4) || (payload[0] !== VERSION && payload[0] !== VERSION_WITH_OFFSET)) return 0;
  return HEADER_BYTES + size;
}

/** The head of the batch whose payload is `payload` (a record without its 8-byte header). */
export function readHead(payload: Buffer): BatchHead {
  let at = 1;
  const idLen = payload.readUInt16LE(at);
  at += 2;
  const streamId = payload.toString('utf8', at, at + idLen);
  at += idLen;
  const nameLen = payload.readUInt16LE(at);
  at += 2;
  const streamName = payload.toString('utf8', at, at + nameLen);
  at += nameLen;
  const ingestionTime = payload.readDoubleLE(at);
  const count = payload.readUInt32LE(at + 8);
  if (payload[0] === VERSION_WITH_OFFSET) return { streamId, streamName, ingestionTime, count, eventsAt: at + 20, producerOffset: payload.readDoubleLE(at + 12) };
  return { streamId, streamName, ingestionTime, count, eventsAt: at + 12, producerOffset: undefined };
}

/**
 * Calls `visit(index, timestamp, messageStart, messageEnd)` for each event of a payload,
 * without decoding messages: readers decode only the events they return.
 */
export function forEachEvent(payload: Buffer, head: BatchHead, visit: (index: number, timestamp: number, start: number, end: number) => boolean | void): void {
  let at = head.eventsAt;
  for (let i = 0; i < head.count; i++) {
    const ts = payload.readDoubleLE(at);
    const len = payload.readUInt32LE(at + 8);
    const start = at + 12;
    if (visit(i, ts, start, start + len) === false) return;
    at = start + len;
  }
}
