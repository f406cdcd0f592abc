/**
 * SPDY/3.1 as Kubernetes uses it: a plain stream multiplexer (moby/spdystream) with no HTTP
 * on top, for `kubectl port-forward`. Written here because the npm SPDY library
 * (spdy-transport) insists every stream is an HTTP request (`:method` and `:path`), which
 * kubectl's streams are not; only its copy of the protocol's header-compression dictionary is
 * used. The server side only: the client opens streams, the server replies and carries data.
 *
 * Frames (draft-mbelshe-httpbis-spdy-00 §2.2):
 *   control: 1 | version(15) | type(16) | flags(8) | length(24) | body
 *   data:    0 | stream id(31)          | flags(8) | length(24) | bytes
 * Header blocks are zlib-compressed with one context per direction for the whole connection.
 *
 * Flow control: like spdystream, this side neither enforces nor sends window updates (the
 * client ignores them): backpressure is the WebSocket's and TCP's.
 */
import { Duplex } from 'node:stream';
import { constants as zc, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import dictionaries from 'spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js';

const SPDY_VERSION = 3;
const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goaway: 7, headers: 8, windowUpdate: 9 } as const;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here (§2.6.2). */
export const RST = { protocolError: 1, refusedStream: 3, cancel: 5, internalError: 6 } as const;
/** The largest frame accepted from a client: spdystream's frames are far smaller; a bigger length is garbage or an attack. */
export const MAX_FRAME_BYTES = 1 << 20;
/** The most data per DATA frame sent. */
const MAX_DATA_FRAME = 32 * 1024;
/** Streams open at once per connection; SYN_STREAMs past it are refused. */
export const MAX_STREAMS = 512;

/** SPDY/3's header-compression dictionary (the same for 3.1), as spdy-transport ships it. */
const dictionary = dictionaries['3']!;

export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: Record<string, string>;
  readonly #session: SpdySession;
  #finSent = false;

  constructor(session: SpdySession, id: number, headers: Record<string, string>) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.id = id;
    this.headers = headers;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    for (let at = 0; at < chunk.length; at += MAX_DATA_FRAME) this.#session.sendData(this.id, chunk.subarray(at, at + MAX_DATA_FRAME), false);
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.#finSent = true;
    this.#session.sendData(this.id, Buffer.alloc(0), true);
    this.#session.forgetIfDone(this);
    done();
  }

  override _destroy(error: Error | null, done: (e: Error | null) => void): void {
    if (!this.#finSent || !this.readableEnded) this.#session.reset(this.id, RST.cancel);
    this.#session.forget(this.id);
    done(error);
  }

  /** Both directions ended. */
  get finished(): boolean {
    return this.#finSent && this.readableEnded;
  }
}

export class SpdySession {
  readonly #write: (bytes: Buffer) => void;
  readonly #onStream: (s: SpdyStream) => void;
  readonly #streams = new Map<number, SpdyStream>();
  readonly #inflate: Inflate;
  readonly #deflate: Deflate;
  /** Header blocks are decompressed one at a time, in order, on the one context. */
  #headerQueue: Promise<void> = Promise.resolve();
  #buffer: Buffer = Buffer.alloc(0);
  /** Frames out go through one chain, so a stream's data never overtakes its reply's compression. */
  #outQueue: Promise<void> = Promise.resolve();
  #closed = false;
  #onClose: (why?: string) => void;

  constructor(write: (bytes: Buffer) => void, onStream: (s: SpdyStream) => void, onClose: (why?: string) => void) {
    this.#write = write;
    this.#onStream = onStream;
    this.#onClose = onClose;
    this.#inflate = createInflate({ dictionary });
    this.#deflate = createDeflate({ dictionary });
    this.#inflate.on('error', () => this.close('bad header compression'));
  }

  /** Bytes from the client, in order. */
  receive(bytes: Buffer): void {
    if (this.#closed) return;
    this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
    while (this.#buffer.length >= 8) {
      const length = this.#buffer.readUIntBE(5, 3);
      if (length > MAX_FRAME_BYTES) return this.close(`a frame of ${length} bytes`);
      if (this.#buffer.length < 8 + length) return;
      const frame = this.#buffer.subarray(0, 8 + length);
      this.#buffer = this.#buffer.subarray(8 + length);
      this.#frame(frame);
    }
  }

  #frame(frame: Buffer): void {
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      // Data is handed over after any header block still being decompressed, so order holds.
      this.#inOrder(() => {
        const s = this.#streams.get(id);
        if (!s) return;
        if (body.length > 0) s.push(Buffer.from(body));
        if (flags & FLAG_FIN) { s.push(null); this.forgetIfDone(s); }
      });
      return;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    const type = frame.readUInt16BE(2);
    if (version !== SPDY_VERSION) return this.close(`SPDY version ${version}`);
    if (type === TYPE.synStream) {
      if (body.length < 10) return this.close('short SYN_STREAM');
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const block = body.subarray(10);
      this.#headerQueue = this.#headerQueue.then(async () => {
        const headers = await this.#decompress(block);
        if (this.#closed) return;
        if (!headers) return this.close('bad header block');
        if (id === 0 || id % 2 === 0 || this.#streams.has(id)) return this.reset(id, RST.protocolError);
        if (this.#streams.size >= MAX_STREAMS) return this.reset(id, RST.refusedStream);
        const stream = new SpdyStream(this, id, headers);
        this.#streams.set(id, stream);
        this.#sendReply(id);
        if (flags & FLAG_FIN) stream.push(null);
        this.#onStream(stream);
      });
    } else if (type === TYPE.rstStream) {
      if (body.length < 8) return;
      const id = body.readUInt32BE(0) & 0x7fffffff;
      this.#inOrder(() => this.#streams.get(id)?.destroy());
    } else if (type === TYPE.ping) {
      // A ping is answered with its own body (§2.6.5).
      if (body.length === 4) this.#control(TYPE.ping, 0, Buffer.from(body));
    } else if (type === TYPE.goaway) {
      this.close();
    } else if (type === TYPE.headers) {
      // Extra headers on a stream carry nothing port-forward uses, but their block must still
      // go through the decompressor to keep its context in step.
      const block = body.subarray(4);
      this.#headerQueue = this.#headerQueue.then(async () => { await this.#decompress(block); });
    }
    // SETTINGS and WINDOW_UPDATE: no flow control on this side (see the file comment).
  }

  #inOrder(f: () => void): void {
    this.#headerQueue = this.#headerQueue.then(f);
  }

  #decompress(block: Buffer): Promise<Record<string, string> | undefined> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      this.#inflate.on('data', onData);
      this.#inflate.write(block, () => {
        this.#inflate.flush(zc.Z_SYNC_FLUSH, () => {
          this.#inflate.off('data', onData);
          resolve(parseHeaderBlock(Buffer.concat(chunks)));
        });
      });
    });
  }

  #sendReply(id: number): void {
    // An empty header block, compressed on our own context (the client inflates every block).
    this.#outQueue = this.#outQueue.then(() => new Promise<void>((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      this.#deflate.on('data', onData);
      this.#deflate.write(Buffer.alloc(4));
      this.#deflate.flush(zc.Z_SYNC_FLUSH, () => {
        this.#deflate.off('data', onData);
        const head = Buffer.alloc(4);
        head.writeUInt32BE(id & 0x7fffffff, 0);
        this.#control(TYPE.synReply, 0, Buffer.concat([head, ...chunks]));
        resolve();
      });
    }));
  }

  sendData(id: number, data: Buffer, fin: boolean): void {
    this.#outQueue = this.#outQueue.then(() => {
      if (this.#closed) return;
      const frame = Buffer.allocUnsafe(8 + data.length);
      frame.writeUInt32BE(id & 0x7fffffff, 0);
      frame[4] = fin ? FLAG_FIN : 0;
      frame.writeUIntBE(data.length, 5, 3);
      data.copy(frame, 8);
      this.#write(frame);
    });
  }

  reset(id: number, status: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(status, 4);
    this.#control(TYPE.rstStream, 0, body);
    this.forget(id);
  }

  #control(type: number, flags: number, body: Buffer): void {
    if (this.#closed) return;
    const frame = Buffer.allocUnsafe(8 + body.length);
    frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    frame.writeUInt16BE(type, 2);
    frame[4] = flags;
    frame.writeUIntBE(body.length, 5, 3);
    body.copy(frame, 8);
    this.#write(frame);
  }

  forget(id: number): void {
    this.#streams.delete(id);
  }

  forgetIfDone(s: SpdyStream): void {
    if (s.finished) this.#streams.delete(s.id);
  }

  /** Ends every stream and the session (the transport is the caller's to close). */
  close(why?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#streams.values()) s.destroy();
    this.#streams.clear();
    this.#inflate.destroy();
    this.#deflate.destroy();
    this.#onClose(why);
  }
}

/** A decompressed header block: a count, then length-prefixed names and values (§2.6.10). */
export function parseHeaderBlock(block: Buffer): Record<string, string> | undefined {
  if (block.length < 4) return undefined;
  const count = block.readUInt32BE(0);
  const headers: Record<string, string> = {};
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 4 > block.length) return undefined;
    const nameLength = block.readUInt32BE(at);
    at += 4;
    if (at + nameLength + 4 > block.length) return undefined;
    const name = block.toString('latin1', at, at + nameLength).toLowerCase();
    at += nameLength;
    const valueLength = block.readUInt32BE(at);
    at += 4;
    if (at + valueLength > block.length) return undefined;
    // Several values of one name are NUL-separated; the first is the one port-forward reads.
    headers[name] = block.toString('latin1', at, at + valueLength).split('\0')[0]!;
    at += valueLength;
  }
  return headers;
}

/** A header block before compression (for tests: what a client sends). */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(Object.keys(headers).length, 0);
  parts.push(count);
  for (const [k, v] of Object.entries(headers)) {
    for (const s of [k, v]) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(s, 'latin1'), 0);
      parts.push(len, Buffer.from(s, 'latin1'));
    }
  }
  return Buffer.concat(parts);
}
