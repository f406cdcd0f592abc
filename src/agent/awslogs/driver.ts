/**
 * One container's awslogs driver: follows the container's k8s-file log (conmon writes it;
 * the driver never slows the container), turns lines into events (multiline.ts), batches
 * them (batcher.ts) and sends one batch at a time over the agent's session, writing down
 * how far it got after each acknowledgement (position-file.ts).
 *
 *   log file ──read──▶ K8sFileReader ──lines──▶ [MultilineJoiner] ──events──▶ Batcher
 *      ▲                                                                        │ take
 *      │ resume at the position after a restart        one batch in flight ◀────┘
 *      └──────────── position file ◀── written on ack ◀── transport.put
 *
 * blocking (the default): every line is delivered; when BLOCKING_BUFFER_BYTES wait to be
 * sent the driver stops reading and the file holds the rest. non-blocking: lines that come
 * while `max-buffer-size` bytes wait are dropped, counted and said in the agent's log.
 */
import { closeSync, fstatSync, linkSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { AGENT_BATCH_LIMITS, Batcher } from './batcher.ts';
import type { EventBatch } from './event-batch.ts';
import { K8sFileReader, type LineSink } from './k8s-file.ts';
import { MultilineJoiner, type Line } from './multiline.ts';
import type { AwslogsConfig } from './options.ts';
import { readPosition, writePosition, type Position } from './position-file.ts';
import { punchHole, punchRange } from './punch.ts';

/** How often the file is looked at when it has nothing new: the delay a line can wait before it is read. */
export const POLL_MS = 50;
/** Read at most this much at a time (one readSync). */
const CHUNK_BYTES = 1024 * 1024;
/** A tick reads at most this much before it lets the event loop go on (other drivers, the session). */
const TICK_READ_BYTES = 4 * CHUNK_BYTES;
/**
 * One read buffer for every driver of the agent: reads are synchronous and each chunk is
 * decoded (or copied) before the next read, so drivers need not hold one each.
 */
const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
/**
 * blocking mode: bytes of messages held in memory at most (two full batches besides the one
 * being sent: the next is read while one is stored); past it the file is the buffer.
 */
export const BLOCKING_BUFFER_BYTES = 2 * AGENT_BATCH_LIMITS.bytes;
/** A multiline event no line has added to for this long is complete (Docker flushes it at its 5 s tick; a second keeps `aws logs tail` live). */
export const MULTILINE_FLUSH_MS = 1_000;
/** A failed send is tried again after this long, doubling up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;
/** Drops in non-blocking mode are said at most this often. */
const DROP_REPORT_MS = 10_000;
/**
 * conmon's `--log-size-max` for an awslogs container: the file is the buffer, and the
 * driver frees what it delivered (punch.ts) instead of conmon rotating it. conmon replaces
 * the file only past this many bytes written since the last time, which loses lines only
 * when the driver is that far behind (an agent down while a container writes a GiB).
 */
export const AWSLOGS_LOG_SIZE_MAX = 1024 * 1024 * 1024;

export interface Target {
  readonly taskArn: string;
  readonly region: string;
  readonly group: string;
  readonly stream: string;
  readonly createGroup: boolean;
}

/** The agent's session, as the driver uses it. */
export interface AwslogsTransport {
  /** Makes sure the group (with createGroup) and the stream exist; rejects with AWS's error text. */
  setup(target: Target): Promise<void>;
  /** Stores a batch; resolves once it is durable on the control plane. */
  put(target: Target, batch: EventBatch): Promise<void>;
}

export interface DriverOptions {
  /** The container's log file, and where the driver keeps its position and its hard link. */
  readonly logPath: string;
  readonly config: AwslogsConfig;
  readonly target: Target;
  readonly transport: AwslogsTransport;
  /** conmon's k8s-file records (the default), or a gVisor sandbox's raw output. */
  readonly format?: 'k8s-file' | 'raw';
  log(line: string): void;
  now(): number;
}

export class AwslogsDriver {
  readonly #o: DriverOptions;
  readonly #positionPath: string;
  readonly #linkPath: string;
  #fd = -1;
  #ino = 0;
  #base = 0;
  #fileOffset = 0;
  #reader!: K8sFileReader;
  readonly #joiner: MultilineJoiner | undefined;
  readonly #batcher = new Batcher(AGENT_BATCH_LIMITS);
  #inFlight: EventBatch | undefined;
  /** blocking mode: reading stopped because BLOCKING_BUFFER_BYTES wait (an ack makes room). */
  #full = false;
  /** Lines read in this tick. */
  #read = 0;
  /** Where the reader's lines go: straight into the batcher as bytes, or as strings through the multiline joiner. */
  readonly #sink: LineSink = {
    line: (timestamp, buf, start, end, endOffset) => {
      this.#read++;
      if (this.#joiner) {
        const e = this.#joiner.push({ timestamp, message: buf.toString('utf8', start, end), end: endOffset });
        if (e) this.#add(e);
      } else if (this.#overMaxBuffer()) {
        this.#dropped++;
      } else {
        this.#batcher.add(timestamp, buf, start, end, endOffset);
      }
    },
  };
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #lastLineAt = 0;
  #stopped = false;
  #draining: { resolve(): void } | undefined;
  #dropped = 0;
  #droppedSaid = 0;
  #droppedAt = 0;
  #failing = false;
  /** File offset up to which holes are punched in the file being read (punch.ts), and the punch under way. */
  #punched = 0;
  #punching: Promise<void> | undefined;

  constructor(o: DriverOptions) {
    this.#o = o;
    this.#positionPath = `${o.logPath}.awslogs.json`;
    this.#linkPath = `${o.logPath}.awslogs`;
    this.#joiner = o.config.startPattern ? new MultilineJoiner(o.config.startPattern) : undefined;
  }

  /** Lines dropped in non-blocking mode. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Starts following from the saved position (or the file's start). */
  start(): void {
    this.#open(readPosition(this.#positionPath));
    this.#tick();
  }

  /**
   * The container is gone: reads the file to its end, sends everything, and resolves (or
   * after `timeoutMs`, saying what was left).
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#o.log(`awslogs ${this.#o.target.stream}: ${this.#batcher.size + (this.#inFlight?.count ?? 0)} events not delivered ${timeoutMs / 1000} s after the container ended; they are sent if the agent restarts`);
        this.stop();
        resolve();
      }, timeoutMs);
      this.#draining = { resolve: () => { clearTimeout(timer); resolve(); } };
      clearTimeout(this.#timer);
      this.#tick();
    });
  }

  /** Stops without draining (the agent is going away; the next one resumes from the position). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const fd = this.#fd;
    this.#fd = -1;
    // A punch under way names the file by this descriptor: its number must not go to another file first.
    if (fd >= 0) {
      if (this.#punching) void this.#punching.finally(() => closeSync(fd));
      else closeSync(fd);
    }
  }

  /** Opens the file to read: the saved one (or its link) after a restart; `next` when moving on from a rotated one. */
  #open(saved: Position | undefined, next = false): void {
    let ino: number;
    try {
      ino = statSync(this.#o.logPath).ino;
    } catch {
      return; // not there yet: the next tick tries again
    }
    let path = this.#o.logPath;
    if (saved && saved.ino !== ino && !next) {
      const linked = safeIno(this.#linkPath);
      if (linked === saved.ino) path = this.#linkPath;
      else this.#o.log(`awslogs ${this.#o.target.stream}: the log was rotated away while the agent was down; what it held past the last delivery is lost`);
    }
    this.#fd = openSync(path, 'r');
    this.#ino = fstatSync(this.#fd).ino;
    if (saved && saved.ino === this.#ino) {
      this.#base = saved.base;
      this.#fileOffset = saved.fileOffset;
    } else if (saved) {
      this.#base = saved.base + saved.fileOffset;
      this.#fileOffset = 0;
    }
    this.#punched = 0;
    if (next) this.#reader.rebase(this.#base + this.#fileOffset);
    else this.#reader = new K8sFileReader(this.#base + this.#fileOffset, this.#o.format === 'raw' ? this.#o.now : undefined);
    if (path === this.#o.logPath) this.#link();
  }

  /** Points the hard link at the file being read, so a rotation during an agent restart loses nothing. */
  #link(): void {
    const tmp = `${this.#linkPath}.tmp`;
    try {
      rmSync(tmp, { force: true });
      linkSync(this.#o.logPath, tmp);
      if (safeIno(tmp) === this.#ino) renameSync(tmp, this.#linkPath);
      else rmSync(tmp, { force: true });
    } catch (e) {
      this.#o.log(`awslogs ${this.#o.target.stream}: cannot keep a link to the log (${(e as Error).message}); a rotation while the agent is down may lose lines`);
    }
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    if (this.#fd < 0) this.#open(readPosition(this.#positionPath));
    let eof = this.#fd < 0;
    const limit = this.#o.config.mode === 'blocking' ? BLOCKING_BUFFER_BYTES : Infinity;
    this.#read = 0;
    // Read position: the file offset of the next byte to read, ahead of what was delivered.
    for (let bytes = 0; !eof && this.#batcher.held < limit && bytes < TICK_READ_BYTES;) {
      const n = readSync(this.#fd, chunk, 0, CHUNK_BYTES, this.#reader.offset - this.#base + this.#pendingBytes());
      if (n === 0) { eof = true; break; }
      bytes += n;
      this.#reader.pushTo(chunk.subarray(0, n), this.#sink);
    }
    const now = this.#o.now();
    if (this.#read > 0) this.#lastLineAt = now;
    if (this.#joiner?.pending && (now - this.#lastLineAt >= MULTILINE_FLUSH_MS || (eof && this.#draining))) {
      const e = this.#joiner.flush();
      if (e) this.#add(e);
    }
    // Moved on to the next file: it has not been read yet, so this is not its end.
    if (eof && this.#fd >= 0 && this.#checkRotation()) eof = false;
    this.#pump();
    this.#sayDrops(now);
    if (this.#draining && eof && !this.#inFlight && this.#batcher.size === 0 && !this.#joiner?.pending) {
      const d = this.#draining;
      this.stop();
      d.resolve();
      return;
    }
    this.#full = !eof && this.#batcher.held >= limit;
    this.#timer = setTimeout(() => this.#tick(), eof || this.#full ? POLL_MS : 0);
  }

  /** Bytes read from the file past the reader's whole records (an incomplete last record). */
  #pendingBytes(): number {
    return this.#reader.buffered;
  }

  /** non-blocking mode with max-buffer-size bytes waiting: a line now is dropped. */
  #overMaxBuffer(): boolean {
    return this.#o.config.mode === 'non-blocking' && this.#batcher.held >= this.#o.config.maxBufferBytes;
  }

  #add(e: Line): void {
    if (this.#overMaxBuffer()) this.#dropped++;
    else this.#batcher.addLine(e);
  }

  #sayDrops(now: number): void {
    if (this.#dropped === this.#droppedSaid || now - this.#droppedAt < DROP_REPORT_MS) return;
    this.#o.log(`awslogs ${this.#o.target.stream}: dropped ${this.#dropped - this.#droppedSaid} lines (${this.#dropped} in all): mode non-blocking and max-buffer-size ${this.#o.config.maxBufferBytes} bytes were waiting to be sent`);
    this.#droppedSaid = this.#dropped;
    this.#droppedAt = now;
  }

  /** At the end of the file: has conmon replaced it (rotation) or cut it? Moves on once all of it is delivered; true when it did. */
  #checkRotation(): boolean {
    const st = safeStat(this.#o.logPath);
    const readTo = this.#reader.offset - this.#base;
    const replaced = st !== undefined && st.ino !== this.#ino;
    const truncated = st !== undefined && st.ino === this.#ino && st.size < readTo;
    if (!replaced && !truncated) return false;
    // Positions are saved relative to the file being read: move on only when all of it was
    // acknowledged (and its punch, which names the descriptor, is done).
    if (this.#inFlight || this.#batcher.size > 0 || this.#joiner?.pending || this.#punching) {
      if (this.#joiner?.pending) { const e = this.#joiner.flush(); if (e) this.#add(e); }
      return false;
    }
    if (truncated) this.#o.log(`awslogs ${this.#o.target.stream}: the log was truncated; lines written just before are lost`);
    closeSync(this.#fd);
    this.#fd = -1;
    this.#open({ ino: -1, base: this.#base, fileOffset: readTo }, true);
    if (this.#fd >= 0) writePosition(this.#positionPath, { ino: this.#ino, base: this.#base, fileOffset: 0 });
    return this.#fd >= 0;
  }

  #pump(): void {
    if (this.#inFlight || this.#stopped) return;
    const batch = this.#batcher.take();
    if (!batch) return;
    this.#send(batch);
  }

  #send(batch: EventBatch): void {
    this.#inFlight = batch;
    this.#o.transport.put(this.#o.target, batch).then(() => {
      if (this.#stopped) return;
      const end = batch.ends[batch.count - 1]!;
      writePosition(this.#positionPath, { ino: this.#ino, base: this.#base, fileOffset: end - this.#base });
      this.#punch(end - this.#base);
      this.#inFlight = undefined;
      this.#retryMs = RETRY_MIN_MS;
      if (this.#failing) { this.#failing = false; this.#o.log(`awslogs ${this.#o.target.stream}: delivering again`); }
      this.#pump();
      // A drain waits on the tick: make it come now.
      if (this.#draining && !this.#timer) this.#tick();
      // Reading stopped for room: there is room now, so read on without waiting for the poll.
      else if (this.#full && this.#timer) { clearTimeout(this.#timer); this.#timer = setTimeout(() => this.#tick(), 0); }
    }, (e: unknown) => {
      if (this.#stopped) return;
      if (!this.#failing) this.#o.log(`awslogs ${this.#o.target.stream}: sending failed (${(e as Error).message}); retrying`);
      this.#failing = true;
      setTimeout(() => { if (!this.#stopped) this.#send(batch); }, this.#retryMs).unref();
      this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    });
  }

  /** Frees the blocks of the file delivered so far (punch.ts), a few MiB at a time, one punch at a time. */
  #punch(delivered: number): void {
    const range = this.#punching ? undefined : punchRange(this.#punched, delivered);
    if (!range || this.#fd < 0) return;
    const fd = this.#fd;
    this.#punching = punchHole(fd, range.offset, range.length).then(() => {
      if (this.#fd === fd) this.#punched = range.offset + range.length;
    }, (e: unknown) => {
      this.#o.log(`awslogs ${this.#o.target.stream}: cannot free the delivered part of the log (${(e as Error).message}); it keeps its disk space`);
    }).finally(() => { this.#punching = undefined; });
  }
}

function safeIno(path: string): number | undefined {
  return safeStat(path)?.ino;
}

function safeStat(path: string): { ino: number; size: number } | undefined {
  try {
    const s = statSync(path);
    return { ino: s.ino, size: s.size };
  } catch {
    return undefined;
  }
}
