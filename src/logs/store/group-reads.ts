/**
 * Reading a group's log (group-log.ts): one stream's events by time (GetLogEvents), and the
 * whole group in log order (FilterLogEvents). Functions over what a reader may see of the
 * log — its segments, their batch indexes, a file to read each from — so the writer keeps
 * its files and the reads keep their algorithms apart.
 */
import { closeSync, openSync } from 'node:fs';
import { fail } from '../../core/errors.ts';
import { forEachEvent, HEADER_BYTES, readHead } from './format.ts';
import { eventKey, keyTimestamp, type Position } from './position.ts';
import { readFully, type IndexEntry, type Segment } from './segment.ts';

/** A scan reads a segment in chunks of this size (one record is at most 4 MiB + 8). */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** One event read back, its message decoded. */
export interface StoredEvent {
  readonly streamId: string;
  readonly streamName: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
  /** Sorts as (timestamp, place in the log); AWS's eventId shape (56 digits). */
  readonly key: string;
}

/** What the reads see of a log. */
export interface SegmentReader {
  /** Oldest first; the last is the active one. */
  readonly segments: readonly Segment[];
  /** A segment's batch index (loaded from its .idx file when not in memory). */
  entriesOf(seg: Segment): IndexEntry[];
  /** A descriptor to read the segment from, and how to let it go. */
  open(seg: Segment): { fd: number; close(): void };
}

/** A file opened for one read and closed after. */
export function openForRead(path: string): { fd: number; close(): void } {
  const fd = openSync(path, 'r');
  return { fd, close: () => closeSync(fd) };
}

export interface StreamQuery {
  from: number;
  to: number;
  after?: string;
  before?: string;
  limit: number;
  fromEnd: boolean;
}

export interface ScanQuery {
  from: Position | undefined;
  minTs: number;
  maxTs: number;
  streams: ((streamId: string, streamName: string) => boolean) | undefined;
  test: (payload: Buffer) => (start: number, end: number) => boolean;
  limit: number;
  maxBytes: number;
  /** Stop before the messages returned would pass this many bytes (an answer's size bound). */
  maxResultBytes?: number;
}

/** Reads one whole record's payload. */
function readRecord(r: SegmentReader, seg: Segment, entry: IndexEntry): Buffer {
  const file = r.open(seg);
  try {
    const buf = Buffer.allocUnsafe(entry.length);
    readFully(file.fd, buf, entry.offset);
    return buf.subarray(HEADER_BYTES);
  } finally {
    file.close();
  }
}

/**
 * One stream's events with timestamps in [from, to] and keys after `after` (or before
 * `before`), in key order: the first `limit` of them, or the last `limit` when `fromEnd`.
 * Reads batches in time order and stops as soon as no unread batch can hold a better
 * event, so memory is `limit` events plus one batch.
 */
export function readStream(r: SegmentReader, streamId: string, q: StreamQuery): StoredEvent[] {
  // A key starts with its timestamp: nothing before `after`'s time (or after `before`'s) can qualify.
  const from = Math.max(q.from, q.after === undefined ? 0 : keyTimestamp(q.after));
  const to = Math.min(q.to, q.before === undefined ? Number.MAX_SAFE_INTEGER : keyTimestamp(q.before));
  const candidates: { seg: Segment; entry: IndexEntry }[] = [];
  for (const seg of r.segments) {
    const s = seg.streams.get(streamId);
    if (!s || s.lastEventTimestamp < from || s.firstEventTimestamp > to) continue;
    for (const entry of r.entriesOf(seg)) {
      if (entry.streamId === streamId && entry.maxTs >= from && entry.minTs <= to) candidates.push({ seg, entry });
    }
  }
  if (q.fromEnd) candidates.sort((a, b) => b.entry.maxTs - a.entry.maxTs);
  else candidates.sort((a, b) => a.entry.minTs - b.entry.minTs);
  let best: StoredEvent[] = [];
  for (const { seg, entry } of candidates) {
    if (best.length >= q.limit) {
      const edge = best[q.fromEnd ? 0 : best.length - 1]!.timestamp;
      if (q.fromEnd ? entry.maxTs < edge : entry.minTs > edge) break;
    }
    const payload = readRecord(r, seg, entry);
    const head = readHead(payload);
    forEachEvent(payload, head, (i, ts, s, e) => {
      if (ts < q.from || ts > q.to) return;
      const key = eventKey({ timestamp: ts, segment: seg.n, offset: entry.offset, index: i });
      if ((q.after !== undefined && key <= q.after) || (q.before !== undefined && key >= q.before)) return;
      best.push({ streamId, streamName: head.streamName, timestamp: ts, ingestionTime: head.ingestionTime, message: payload.toString('utf8', s, e), key });
    });
    best.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (best.length > q.limit) best = q.fromEnd ? best.slice(best.length - q.limit) : best.slice(0, q.limit);
  }
  return best;
}

/**
 * Events of the whole group in log order (the order they were acknowledged), from
 * position `from` on, that `accept` takes: for FilterLogEvents. Stops after `limit`
 * events or `maxBytes` of records read; `next` is where to go on (undefined: the end).
 */
export function scan(r: SegmentReader, q: ScanQuery): { events: StoredEvent[]; next: Position | undefined } {
  if (q.from && !isRecordStart(r, q.from)) fail('InvalidParameterException', 'The specified nextToken is invalid.');
  const events: StoredEvent[] = [];
  let budget = q.maxBytes;
  let resultBytes = 0;
  const maxResult = q.maxResultBytes ?? Infinity;
  for (const seg of r.segments) {
    if (q.from && seg.n < q.from.segment) continue;
    if (seg.size === 0 || seg.maxTs < q.minTs || seg.minTs > q.maxTs) continue;
    const file = r.open(seg);
    const fd = file.fd;
    try {
      let at = q.from && seg.n === q.from.segment ? q.from.offset : 0;
      const skipThrough = q.from && seg.n === q.from.segment ? q.from.index : -1;
      let firstRecord = true;
      while (at < seg.size) {
        if (budget <= 0 || events.length >= q.limit) return { events, next: { timestamp: 0, segment: seg.n, offset: at, index: -1 } };
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, seg.size - at));
        readFully(fd, chunk, at);
        let pos = 0;
        while (pos + HEADER_BYTES <= chunk.length) {
          const len = chunk.readUInt32LE(pos) + HEADER_BYTES;
          if (pos + len > chunk.length) break;
          const recordAt = at + pos;
          const payload = chunk.subarray(pos + HEADER_BYTES, pos + len);
          pos += len;
          budget -= len;
          const head = readHead(payload);
          const skip = firstRecord ? skipThrough : -1;
          firstRecord = false;
          if (q.streams && !q.streams(head.streamId, head.streamName)) continue;
          const test = q.test(payload);
          let stoppedAt = -1;
          forEachEvent(payload, head, (i, ts, s, e) => {
            if (i <= skip || ts < q.minTs || ts > q.maxTs || !test(s, e)) return;
            if (events.length >= q.limit || (events.length > 0 && resultBytes + (e - s) > maxResult)) {
              stoppedAt = i;
              return false;
            }
            resultBytes += e - s;
            events.push({
              streamId: head.streamId, streamName: head.streamName, timestamp: ts, ingestionTime: head.ingestionTime,
              message: payload.toString('utf8', s, e), key: eventKey({ timestamp: ts, segment: seg.n, offset: recordAt, index: i }),
            });
          });
          if (stoppedAt >= 0) return { events, next: { timestamp: 0, segment: seg.n, offset: recordAt, index: stoppedAt - 1 } };
          if (budget <= 0 || events.length >= q.limit) return { events, next: { timestamp: 0, segment: seg.n, offset: at + pos, index: -1 } };
        }
        if (pos === 0) throw new Error(`log segment ${seg.n} has no whole record at ${at} though its index says it does`);
        at += pos;
      }
    } finally {
      file.close();
    }
  }
  return { events, next: undefined };
}

/**
 * True when a scan may start at `p`: a record's first byte (or a segment's end), or a
 * segment retention has dropped since. A token made up, or made for another group, is not.
 */
function isRecordStart(r: SegmentReader, p: Position): boolean {
  const seg = r.segments.find((x) => x.n === p.segment);
  if (!seg) return r.segments.length > 0 && p.segment >= 0 && p.segment < r.segments[0]!.n;
  if (p.offset === seg.size) return true;
  const entries = r.entriesOf(seg);
  let lo = 0, hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const o = entries[mid]!.offset;
    if (o === p.offset) return p.index < entries[mid]!.count;
    if (o < p.offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
