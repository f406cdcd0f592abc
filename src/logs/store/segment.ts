/**
 * A segment as memory knows it (its summary, and its batch index when loaded), and the file
 * operations the group log does on segments: whole writes, whole reads, the first line of a
 * sealed index, directory fsyncs.
 */
import { closeSync, fdatasync as fsFdatasync, fsyncSync, openSync, readSync, writev as fsWritev } from 'node:fs';
import { promisify } from 'node:util';

/** One batch as the index knows it: where it is, whose it is, which times it covers. */
export interface IndexEntry {
  readonly streamId: string;
  readonly offset: number;
  readonly length: number;
  readonly minTs: number;
  readonly maxTs: number;
  readonly count: number;
  /** The producer offset a batch from the awslogs driver carries (format.ts, version 2). */
  readonly producerOffset?: number;
}

/** What the store knows of a stream's events (DescribeLogStreams' numbers). */
export interface StreamStats {
  firstEventTimestamp: number;
  lastEventTimestamp: number;
  lastIngestionTime: number;
  storedBytes: number;
  /** The highest producer offset of the stream's batches (awslogs driver), if any carried one. */
  producerOffset?: number;
}

export interface Segment {
  readonly n: number;
  minTs: number;
  maxTs: number;
  /** Bytes of whole, durable records. */
  size: number;
  readonly streams: Map<string, StreamStats>;
  /** The batch index: always for the active segment, else loaded on demand (LRU). */
  entries: IndexEntry[] | undefined;
}

export function addEntry(seg: Segment, entry: IndexEntry, ingestionTime: number, bytes: number): void {
  seg.entries!.push(entry);
  seg.size = entry.offset + entry.length;
  if (entry.minTs < seg.minTs) seg.minTs = entry.minTs;
  if (entry.maxTs > seg.maxTs) seg.maxTs = entry.maxTs;
  const add: StreamStats = {
    firstEventTimestamp: entry.minTs, lastEventTimestamp: entry.maxTs, lastIngestionTime: ingestionTime, storedBytes: bytes,
    ...(entry.producerOffset !== undefined && { producerOffset: entry.producerOffset }),
  };
  const s = seg.streams.get(entry.streamId);
  if (!s) seg.streams.set(entry.streamId, add);
  else mergeStats(s, add);
}

export function mergeStats(into: StreamStats, s: StreamStats): void {
  into.firstEventTimestamp = Math.min(into.firstEventTimestamp, s.firstEventTimestamp);
  into.lastEventTimestamp = Math.max(into.lastEventTimestamp, s.lastEventTimestamp);
  into.lastIngestionTime = Math.max(into.lastIngestionTime, s.lastIngestionTime);
  into.storedBytes += s.storedBytes;
  if (s.producerOffset !== undefined) into.producerOffset = Math.max(into.producerOffset ?? 0, s.producerOffset);
}

export function loadSealed(n: number, text: string): Segment {
  const parsed = JSON.parse(text) as { minTs: number; maxTs: number; size: number; streams: [string, StreamStats][] };
  return { n, minTs: parsed.minTs, maxTs: parsed.maxTs, size: parsed.size, streams: new Map(parsed.streams), entries: undefined };
}

/** The first line of a file, read a chunk at a time (a sealed index's summary, without its batch index). */
export function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (let pos = 0; ; ) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) throw new Error(`${path} has no complete first line`);
      const nl = chunk.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        parts.push(Buffer.from(chunk.subarray(0, nl)));
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(Buffer.from(chunk.subarray(0, n)));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

const writev = promisify(fsWritev);
export const fdatasync = promisify(fsFdatasync);

export async function writeAll(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let pos = position;
  let rest = buffers;
  while (rest.length > 0) {
    let written = (await writev(fd, rest, pos)).bytesWritten;
    pos += written;
    const left: Buffer[] = [];
    for (const b of rest) {
      if (written >= b.length) written -= b.length;
      else {
        left.push(b.subarray(written));
        written = 0;
      }
    }
    rest = left;
  }
}

export function readFully(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw new Error(`log segment ended early at ${position + got}`);
    got += n;
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
