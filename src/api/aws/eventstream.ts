/**
 * The AWS event stream framing (application/vnd.amazon.eventstream) that streaming answers
 * use (CloudWatch Logs StartLiveTail): a sequence of messages, each
 *
 *   u32 total length | u32 headers length | u32 CRC32 of the 8 bytes before
 *   headers: u8 name length | name | u8 type (7 = string) | u16 value length | value
 *   payload | u32 CRC32 of everything before
 *
 * Big-endian. Every header Berth sends is a string.
 */
import { crc32 } from 'node:zlib';

const STRING = 7;

export function eventMessage(headers: Readonly<Record<string, string>>, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.allocUnsafe(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(STRING, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    parts.push(h);
  }
  const headerBytes = Buffer.concat(parts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const msg = Buffer.allocUnsafe(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headerBytes.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  headerBytes.copy(msg, 12);
  payload.copy(msg, 12 + headerBytes.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
  return msg;
}

/** An event of a stream's union member `eventType`, its payload the member's JSON. */
export function jsonEvent(eventType: string, payload: object): Buffer {
  return eventMessage({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' }, Buffer.from(JSON.stringify(payload), 'utf8'));
}

/** A modeled exception inside the stream (the stream ends after it). */
export function exceptionEvent(exceptionType: string, message: string): Buffer {
  return eventMessage({ ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': 'application/json' }, Buffer.from(JSON.stringify({ message }), 'utf8'));
}

/** Decodes messages (for tests and clients of Berth's own): headers and payload of each. */
export function decodeMessages(buf: Buffer): { headers: Record<string, string>; payload: Buffer }[] {
  const out: { headers: Record<string, string>; payload: Buffer }[] = [];
  let at = 0;
  while (at + 16 <= buf.length) {
    const total = buf.readUInt32BE(at);
    const headersLen = buf.readUInt32BE(at + 4);
    if (crc32(buf.subarray(at, at + 8)) !== buf.readUInt32BE(at + 8)) throw new Error('event stream prelude CRC mismatch');
    if (crc32(buf.subarray(at, at + total - 4)) !== buf.readUInt32BE(at + total - 4)) throw new Error('event stream message CRC mismatch');
    const headers: Record<string, string> = {};
    let h = at + 12;
    while (h < at + 12 + headersLen) {
      const n = buf.readUInt8(h);
      const name = buf.toString('utf8', h + 1, h + 1 + n);
      if (buf.readUInt8(h + 1 + n) !== STRING) throw new Error(`header ${name} is not a string`);
      const len = buf.readUInt16BE(h + 2 + n);
      headers[name] = buf.toString('utf8', h + 4 + n, h + 4 + n + len);
      h += 4 + n + len;
    }
    out.push({ headers, payload: buf.subarray(at + 12 + headersLen, at + total - 4) });
    at += total;
  }
  return out;
}
