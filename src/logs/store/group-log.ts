/**
 * The log of one log group: numbered segment files, appended to with group commit, read by
 * stream and time through a per-batch index, dropped whole when retention passes them.
 *
 *   <dir>/<n>.seg   records (format.ts), append-only; the highest n is the active segment
 *   <dir>/<n>.idx   a sealed segment's summary (time range, stream table) on its first
 *                   line and its batch index on the second (JSON), written and fsync'd
 *                   before the next segment is created; opening reads the first line only
 *
 * Only what is fsync'd is visible to readers: the index and the readable size of the
 * active segment move after the fdatasync that made the batch durable.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEvents, encodeBatch, encodeRecordOf, EVENT_HEAD_BYTES, forEachEvent, HEADER_BYTES, readHead, validRecordLength, type InputEvent } from './format.ts';
import { openForRead, readStream, scan, type ScanQuery, type SegmentReader, type StoredEvent, type StreamQuery } from './group-reads.ts';
import type { Position } from './position.ts';
import { addEntry, fdatasync, firstLine, fsyncDir, loadSealed, mergeStats, writeAll, type IndexEntry, type Segment, type StreamStats } from './segment.ts';

export type { IndexEntry, StreamStats } from './segment.ts';
export type { StoredEvent } from './group-reads.ts';

/** A segment is sealed when it reaches this size: the unit retention drops and a scan reads. */
export const SEGMENT_MAX_BYTES = 32 * 1024 * 1024;
/** … or this many batches, so an active segment's in-memory index stays small (≈100 B each). */
export const SEGMENT_MAX_BATCHES = 50_000;
/** Sealed segments whose batch index is held in memory per group (least recently used out). */
export const INDEX_CACHE_SEGMENTS = 16;
/** Told of every batch once it is durable, in log order (live tail). */
export type AppendListener = (streamId: string, streamName: string, ingestionTime: number, events: readonly InputEvent[]) => void;
/** The log's own hook: the events are decoded only if someone listens (an encoded batch's are not strings yet). */
export type AppendHook = (streamId: string, streamName: string, ingestionTime: number, events: () => readonly InputEvent[]) => void;

interface Pending {
  readonly record: Buffer;
  readonly events: () => readonly InputEvent[];
  readonly streamName: string;
  readonly entry: Omit<IndexEntry, 'offset'>;
  readonly ingestionTime: number;
  readonly bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class GroupLog {
  readonly dir: string;
  private readonly segments: Segment[] = [];
  private fd = -1;
  private pending: Pending[] = [];
  private flushing = false;
  private readonly lru: Segment[] = [];
  private closed = false;
  private readonly maxBytes: number;
  private readonly maxBatches: number;

  private readonly onAppend: AppendHook | undefined;

  /** `limits` are for tests that need many segments from few events. */
  constructor(dir: string, limits: { segmentMaxBytes?: number; segmentMaxBatches?: number } = {}, onAppend?: AppendHook) {
    this.dir = dir;
    this.onAppend = onAppend;
    this.maxBytes = limits.segmentMaxBytes ?? SEGMENT_MAX_BYTES;
    this.maxBatches = limits.segmentMaxBatches ?? SEGMENT_MAX_BATCHES;
    mkdirSync(dir, { recursive: true });
    const numbers = readdirSync(dir).filter((f) => f.endsWith('.seg')).map((f) => Number(f.slice(0, -4))).sort((a, b) => a - b);
    for (const [i, n] of numbers.entries()) {
      const last = i === numbers.length - 1;
      const idx = join(dir, `${n}.idx`);
      if (!last) {
        try {
          this.segments.push(loadSealed(n, firstLine(idx)));
          continue;
        } catch { /* no index (cannot happen past the last segment, but a scan rebuilds it) */ }
      }
      this.segments.push(this.recover(n, last));
    }
    if (this.segments.length === 0) this.segments.push(this.create(0));
    this.fd = openSync(this.path(this.active.n), 'r+');
  }

  /** True while appends are pending or being written: such a log must stay the only one open on its files. */
  get busy(): boolean {
    return this.flushing || this.pending.length > 0;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private path(n: number): string {
    return join(this.dir, `${n}.seg`);
  }

  /** Scans a segment file, rebuilding its index; the active one's torn tail is cut off. */
  private recover(n: number, truncate: boolean): Segment {
    const buf = readFileSync(this.path(n));
    const seg: Segment = { n, minTs: Infinity, maxTs: -Infinity, size: 0, streams: new Map(), entries: [] };
    let at = 0;
    for (;;) {
      const len = validRecordLength(buf, at);
      if (len === 0) break;
      const payload = buf.subarray(at + HEADER_BYTES, at + len);
      const head = readHead(payload);
      let minTs = Infinity, maxTs = -Infinity, bytes = 0;
      forEachEvent(payload, head, (_i, ts, s, e) => {
        if (ts < minTs) minTs = ts;
        if (ts > maxTs) maxTs = ts;
        bytes += e - s;
      });
      addEntry(seg, { streamId: head.streamId, offset: at, length: len, minTs, maxTs, count: head.count, ...(head.producerOffset !== undefined && { producerOffset: head.producerOffset }) }, head.ingestionTime, bytes);
      at += len;
    }
    if (at < buf.length && truncate) {
      const fd = openSync(this.path(n), 'r+');
      try {
        ftruncateSync(fd, at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return seg;
  }

  private create(n: number): Segment {
    closeSync(openSync(this.path(n), 'a'));
    fsyncDir(this.dir);
    return { n, minTs: Infinity, maxTs: -Infinity, size: 0, streams: new Map(), entries: [] };
  }

  /**
   * Appends one batch (chronological, validated by the caller) and resolves once it is on
   * disk. Batches arriving while a flush is under way share the next one's fdatasync.
   * `producerOffset` (the awslogs driver's) is written in the same record.
   */
  append(streamId: string, streamName: string, ingestionTime: number, events: readonly InputEvent[], producerOffset?: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log group closed'));
    const record = encodeBatch(streamId, streamName, ingestionTime, events, producerOffset);
    let minTs = Infinity, maxTs = -Infinity, bytes = 0;
    for (const e of events) {
      if (e.timestamp < minTs) minTs = e.timestamp;
      if (e.timestamp > maxTs) maxTs = e.timestamp;
      bytes += Buffer.byteLength(e.message, 'utf8');
    }
    return this.enqueue(record, () => events, streamId, streamName, ingestionTime, { minTs, maxTs, count: events.length, bytes }, producerOffset);
  }

  /**
   * `append` for a batch already in a record's event encoding (`region`: `count` events,
   * chronological, checked by the caller): the awslogs driver's, stored with no message
   * decoded.
   */
  appendEncoded(streamId: string, streamName: string, ingestionTime: number, count: number, region: Buffer, producerOffset?: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log group closed'));
    const record = encodeRecordOf(streamId, streamName, ingestionTime, count, region, producerOffset);
    let minTs = Infinity, maxTs = -Infinity, bytes = 0;
    for (let i = 0, at = 0; i < count; i++) {
      const ts = region.readDoubleLE(at);
      const len = region.readUInt32LE(at + 8);
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
      bytes += len;
      at += EVENT_HEAD_BYTES + len;
    }
    return this.enqueue(record, () => decodeEvents(region, count), streamId, streamName, ingestionTime, { minTs, maxTs, count, bytes }, producerOffset);
  }

  private enqueue(record: Buffer, events: () => readonly InputEvent[], streamId: string, streamName: string, ingestionTime: number, s: { minTs: number; maxTs: number; count: number; bytes: number }, producerOffset: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, events, streamName, entry: { streamId, length: record.length, minTs: s.minTs, maxTs: s.maxTs, count: s.count, ...(producerOffset !== undefined && { producerOffset }) }, ingestionTime, bytes: s.bytes, resolve, reject });
      if (!this.flushing) setImmediate(() => this.flush());
    });
  }

  /**
   * Writes and syncs everything pending. The write and the fdatasync run on libuv's thread
   * pool, so the control plane's other requests go on meanwhile; batches that arrive then
   * wait for the next flush, which makes them durable together (group commit).
   */
  private flush(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending;
    this.pending = [];
    void this.write(batch).then(
      () => {
        for (const p of batch) p.resolve();
        if (this.onAppend) for (const p of batch) this.onAppend(p.entry.streamId, p.streamName, p.ingestionTime, p.events);
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    ).finally(() => {
      this.flushing = false;
      if (this.pending.length > 0) setImmediate(() => this.flush());
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    let i = 0;
    while (i < batch.length) {
      // Fill the active segment up to its bound, sealing it when the next batch would not fit.
      const seg = this.active;
      if (seg.size > 0 && (seg.size + batch[i]!.record.length > this.maxBytes || seg.entries!.length >= this.maxBatches)) {
        this.seal();
        continue;
      }
      let size = seg.size;
      const take: Pending[] = [];
      while (i < batch.length && (take.length === 0 || (size + batch[i]!.record.length <= this.maxBytes && seg.entries!.length + take.length < this.maxBatches))) {
        take.push(batch[i]!);
        size += batch[i]!.record.length;
        i++;
      }
      await writeAll(this.fd, take.map((p) => p.record), seg.size);
      await fdatasync(this.fd);
      let at = seg.size;
      for (const p of take) {
        addEntry(seg, { ...p.entry, offset: at }, p.ingestionTime, p.bytes);
        at += p.record.length;
      }
    }
  }

  /** Writes the active segment's index, then starts the next segment. */
  private seal(): void {
    const seg = this.active;
    const idx = join(this.dir, `${seg.n}.idx`);
    const tmp = `${idx}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ minTs: seg.minTs, maxTs: seg.maxTs, size: seg.size, streams: [...seg.streams] })}\n${JSON.stringify(seg.entries)}\n`);
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, idx);
    closeSync(this.fd);
    const next = this.create(seg.n + 1);
    this.segments.push(next);
    this.fd = openSync(this.path(next.n), 'r+');
    this.touch(seg);
  }

  /** Stats of every stream that has events here, summed over the segments still kept. */
  streamStats(): Map<string, StreamStats> {
    const out = new Map<string, StreamStats>();
    for (const seg of this.segments) {
      for (const [id, s] of seg.streams) {
        const o = out.get(id);
        if (!o) out.set(id, { ...s });
        else mergeStats(o, s);
      }
    }
    return out;
  }

  /**
   * The highest producer offset stored for a stream (durable batches only), from the newest
   * segment that has the stream's batches with one: what the awslogs receiver compares with.
   */
  producerOffset(streamId: string): number | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const at = this.segments[i]!.streams.get(streamId)?.producerOffset;
      if (at !== undefined) return at;
    }
    return undefined;
  }

  /** Bytes of messages kept for the whole group. */
  storedBytes(): number {
    let total = 0;
    for (const seg of this.segments) for (const s of seg.streams.values()) total += s.storedBytes;
    return total;
  }

  /** Drops the sealed segments whose newest event is older than `cutoff`; returns how many. */
  dropBefore(cutoff: number): number {
    let dropped = 0;
    while (this.segments.length > 1 && this.segments[0]!.maxTs < cutoff) {
      const seg = this.segments.shift()!;
      const at = this.lru.indexOf(seg);
      if (at >= 0) this.lru.splice(at, 1);
      unlinkSync(join(this.dir, `${seg.n}.idx`));
      unlinkSync(this.path(seg.n));
      dropped++;
    }
    if (dropped > 0) fsyncDir(this.dir);
    return dropped;
  }

  private entriesOf(seg: Segment): IndexEntry[] {
    if (seg.entries) {
      if (seg !== this.active) this.touch(seg);
      return seg.entries;
    }
    const text = readFileSync(join(this.dir, `${seg.n}.idx`), 'utf8');
    seg.entries = JSON.parse(text.slice(text.indexOf('\n') + 1)) as IndexEntry[];
    this.touch(seg);
    return seg.entries;
  }

  /** Keeps the index of at most INDEX_CACHE_SEGMENTS sealed segments in memory. */
  private touch(seg: Segment): void {
    const at = this.lru.indexOf(seg);
    if (at >= 0) this.lru.splice(at, 1);
    this.lru.push(seg);
    while (this.lru.length > INDEX_CACHE_SEGMENTS) this.lru.shift()!.entries = undefined;
  }

  /** What the reads (group-reads.ts) see of this log: its segments, their indexes, their files. */
  private get reader(): SegmentReader {
    return {
      segments: this.segments,
      entriesOf: (seg) => this.entriesOf(seg),
      open: (seg) => (seg === this.active ? { fd: this.fd, close: () => undefined } : openForRead(this.path(seg.n))),
    };
  }

  /**
   * One stream's events with timestamps in [from, to] and keys after `after` (or before
   * `before`), in key order: the first `limit` of them, or the last `limit` when `fromEnd`.
   */
  readStream(streamId: string, q: StreamQuery): StoredEvent[] {
    return readStream(this.reader, streamId, q);
  }

  /** Events of the whole group in log order from `q.from` on (FilterLogEvents): group-reads.ts. */
  scan(q: ScanQuery): { events: StoredEvent[]; next: Position | undefined } {
    return scan(this.reader, q);
  }

  /** Waits for appends under way, then closes the active segment's file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Removes every file of the group (DeleteLogGroup). */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
