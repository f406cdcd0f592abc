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
    frac = Number(`0.${t.slice(20, zoneAt)}`);
  }
  const zone = t.slice(zoneAt);
  const key = secs + zone;
  if (key !== cachedPrefix) {
    const ms = Date.parse(secs + (zone === '' ? 'Z' : zone));
    if (Number.isNaN(ms)) return Number.NaN;
    cachedPrefix = key;
    cachedMs = ms;
  }
  return cachedMs + Math.floor(frac * 1000);
}

/**
 * Splits chunks of the file into lines. Feed it the bytes in order with `push`; it keeps
 * an incomplete record (and the pieces of a `P` line) across chunks.
 */
export class K8sFileReader {
  /** Producer offset of the first byte not yet consumed into a line (a line's pieces included). */
  #offset: number;
  #rest: Buffer = Buffer.alloc(0);
  #pieces: string[] = [];
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

  /** Complete lines in `chunk` (after what earlier chunks left). */
  push(chunk: Buffer, out: Line[]): void {
    const buf = this.#rest.length > 0 ? Buffer.concat([this.#rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(10, at);
      if (nl < 0) break;
      this.#record(buf, at, nl, out);
      at = nl + 1;
    }
    this.#rest = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
  }

  #record(buf: Buffer, start: number, nl: number, out: Line[]): void {
    const end = this.#offset + (nl + 1 - start);
    this.#offset = end;
    if (this.#raw) {
      out.push({ timestamp: this.#raw(), message: buf.toString('utf8', start, nl), end });
      return;
    }
    // "<time> <stream> <tag> <text>": three spaces before the text.
    const s1 = buf.indexOf(32, start);
    const s2 = s1 < 0 ? -1 : buf.indexOf(32, s1 + 1);
    const s3 = s2 < 0 ? -1 : buf.indexOf(32, s2 + 1);
    if (s3 < 0 || s3 > nl) {
      // An empty text has no third space on some conmon versions ("... stdout F\n").
      if (s2 < 0 || s2 > nl) return;
    }
    const tagAt = s2 + 1;
    const partial = buf[tagAt] === 80; // 'P'
    const text = s3 < 0 || s3 > nl ? '' : buf.toString('utf8', s3 + 1, nl);
    if (partial) {
      if (this.#pieces.length === 0) this.#pieceTs = parseRecordTime(buf.toString('latin1', start, s1));
      if (this.#piecesBytes < MAX_JOINED_LINE_BYTES) {
        this.#pieces.push(text);
        this.#piecesBytes += text.length;
      }
      return;
    }
    let message = text;
    let ts: number;
    if (this.#pieces.length > 0) {
      this.#pieces.push(text);
      message = this.#pieces.join('');
      ts = this.#pieceTs;
      this.#pieces = [];
      this.#piecesBytes = 0;
    } else {
      ts = parseRecordTime(buf.toString('latin1', start, s1));
    }
    out.push({ timestamp: ts, message, end });
  }
}
