/**
 * conmon's k8s-file log, read as a stream of lines with their producer offsets.
 *
 *   <RFC 3339 time, ns> <stdout|stderr> <F|P> <text>\n
 *
 * A line the container wrote is one `F` record, or `P` records (conmon's buffer filled
 * mid-line) ended by an `F`. Offsets count bytes of records from the container's first
 * output (`base` plus the position in the current file), so the offset where a line ends
 * is where to resume after it.
 *
 * A gVisor sandbox's containers (Fargate tasks) write their output to the file as it is,
 * without records: in `raw` mode each line is a line, timed when it is read.
 */
import type { Line } from './multiline.ts';

/** A line longer than this (in pieces) is cut: PutLogEvents takes at most 256 KiB an event, and the driver cuts at that anyway. */
export const MAX_JOINED_LINE_BYTES = 1024 * 1024;

/** Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS" plus a zone, cached: lines of one second share it. */
let cachedPrefix = '';
let cachedMs = 0;

/** Epoch milliseconds of a record's time (conmon writes nanoseconds and a numeric zone or Z). */
export function parseRecordTime(t: string): number {
  // 2026-12-07T08:51:49.123456789+00:00
  const secs = t.slice(0, 19);
  let zoneAt = 19;
  let frac = 0;
  if (t[19] === '.') {
    zoneAt = 20;
    while (zoneAt < t.length && t.charCodeAt(zoneAt) >= 48 && t.charCodeAt(zoneAt) <= 57) zoneAt++;
    // The first three digits, as integers: 0.57 * 1000 is 569.99… in floating point.
    frac = Number(t.slice(20, Math.min(zoneAt, 23)).padEnd(3, '0'));
  }
  const zone = t.slice(zoneAt);
  const key = secs + zone;
  if (key !== cachedPrefix) {
    const ms = Date.parse(secs + (zone === '' ? 'Z' : zone));
    if (Number.isNaN(ms)) return Number.NaN;
    cachedPrefix = key;
    cachedMs = ms;
  }
  return cachedMs + frac;
}

/** Where lines go as bytes: the message is `buf[start, end)`, valid only during the call. */
export interface LineSink {
  line(timestamp: number, buf: Buffer, start: number, end: number, endOffset: number): void;
}

/** The day part of the last record time parsed from bytes ("YYYY-MM-DD", as a number) and its epoch ms. */
let cachedDay = -1;
let cachedDayMs = 0;

/** Digits `buf[at, at+n)` as a number; NaN if one is not a digit. */
function digits(buf: Buffer, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Epoch milliseconds of the record time in `buf[start, end)`, read from the bytes (no
 * string): `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`. Anything else goes to parseRecordTime.
 */
export function recordTimeOf(buf: Buffer, start: number, end: number): number {
  if (end - start < 20 || buf[start + 4] !== 45 || buf[start + 10] !== 84 || buf[start + 13] !== 58) return parseRecordTime(buf.toString('latin1', start, end));
  const day = digits(buf, start, 4) * 10_000 + digits(buf, start + 5, 2) * 100 + digits(buf, start + 8, 2);
  const secs = digits(buf, start + 11, 2) * 3600 + digits(buf, start + 14, 2) * 60 + digits(buf, start + 17, 2);
  let at = start + 19;
  let ms = 0;
  if (buf[at] === 46) { // '.': milliseconds are its first three digits (conmon writes nine)
    at++;
    let n = 0;
    for (; at < end; at++) {
      const d = buf[at]! - 48;
      if (d < 0 || d > 9) break;
      if (n < 3) { ms = ms * 10 + d; n++; }
    }
    for (; n < 3; n++) ms *= 10;
  }
  let zone = 0;
  if (at === end - 1 && buf[at] === 90) zone = 0; // 'Z'
  else if (at === end - 6 && (buf[at] === 43 || buf[at] === 45) && buf[at + 3] === 58) {
    zone = (digits(buf, at + 1, 2) * 60 + digits(buf, at + 4, 2)) * 60_000 * (buf[at] === 43 ? 1 : -1);
  } else if (at !== end) return parseRecordTime(buf.toString('latin1', start, end));
  if (Number.isNaN(day) || Number.isNaN(secs) || Number.isNaN(zone)) return Number.NaN;
  if (day !== cachedDay) {
    cachedDayMs = Date.UTC(Math.floor(day / 10_000), (Math.floor(day / 100) % 100) - 1, day % 100);
    cachedDay = day;
  }
  return cachedDayMs + secs * 1000 + ms - zone;
}

/**
 * Splits chunks of the file into lines. Feed it the bytes in order with `push` (lines as
 * strings) or `pushTo` (lines as bytes, to a sink); it keeps an incomplete record (and the
 * pieces of a `P` line) across chunks.
 */
export class K8sFileReader {
  /** Producer offset of the first byte not yet consumed into a line (a line's pieces included). */
  #offset: number;
  #rest: Buffer = Buffer.alloc(0);
  #pieces: Buffer[] = [];
  #piecesBytes = 0;
  #pieceTs = 0;
  readonly #raw: (() => number) | undefined;

  /** `rawClock`: read raw output (no records), timing each line with it. */
  constructor(offset: number, rawClock?: () => number) {
    this.#offset = offset;
    this.#raw = rawClock;
  }

  /** The producer offset just past the last whole record pushed (a `P` piece's included). */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes pushed past the last whole record (an incomplete record waiting for its end). */
  get buffered(): number {
    return this.#rest.length;
  }

  /**
   * Goes on in the next file (conmon rotated the log): a line whose `P` pieces began in the
   * old file ends in the new one; an incomplete record at the old file's end is dropped.
   */
  rebase(offset: number): void {
    this.#offset = offset;
    this.#rest = Buffer.alloc(0);
  }

  /** Complete lines in `chunk` (after what earlier chunks left), as strings. */
  push(chunk: Buffer, out: Line[]): void {
    this.pushTo(chunk, { line: (timestamp, buf, start, end, endOffset) => out.push({ timestamp, message: buf.toString('utf8', start, end), end: endOffset }) });
  }

  /** Complete lines in `chunk` (after what earlier chunks left), as bytes to `sink`. */
  pushTo(chunk: Buffer, sink: LineSink): void {
    const buf = this.#rest.length > 0 ? Buffer.concat([this.#rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(10, at);
      if (nl < 0) break;
      this.#record(buf, at, nl, sink);
      at = nl + 1;
    }
    this.#rest = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
  }

  #record(buf: Buffer, start: number, nl: number, sink: LineSink): void {
    const end = this.#offset + (nl + 1 - start);
    this.#offset = end;
    if (this.#raw) {
      sink.line(this.#raw(), buf, start, nl, end);
      return;
    }
    // "<time> <stream> <tag> <text>": three spaces before the text. The time has none, and
    // conmon's is 20 to 35 bytes: the first space is looked for from its 20th byte.
    const s1 = buf.indexOf(32, start + 19);
    if (s1 < 0 || s1 > nl) return;
    // The stream is "stdout" or "stderr": its space is 7 bytes on (else looked for).
    const s2 = buf[s1 + 7] === 32 ? s1 + 7 : buf.indexOf(32, s1 + 1);
    if (s2 < 0 || s2 > nl) return;
    const tagAt = s2 + 1;
    // An empty text has no third space on some conmon versions ("... stdout F\n").
    const s3 = buf[tagAt + 1] === 32 ? tagAt + 1 : -1;
    const textAt = s3 < 0 || s3 > nl ? nl : s3 + 1;
    if (buf[tagAt] === 80) { // 'P'
      if (this.#pieces.length === 0) this.#pieceTs = recordTimeOf(buf, start, s1);
      if (this.#piecesBytes < MAX_JOINED_LINE_BYTES) {
        this.#pieces.push(Buffer.from(buf.subarray(textAt, nl)));
        this.#piecesBytes += nl - textAt;
      }
      return;
    }
    if (this.#pieces.length > 0) {
      this.#pieces.push(buf.subarray(textAt, nl));
      const joined = Buffer.concat(this.#pieces);
      this.#pieces = [];
      this.#piecesBytes = 0;
      sink.line(this.#pieceTs, joined, 0, joined.length, end);
      return;
    }
    sink.line(recordTimeOf(buf, start, s1), buf, textAt, nl, end);
  }
}
