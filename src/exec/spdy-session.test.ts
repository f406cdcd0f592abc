import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants as zc, createDeflate } from 'node:zlib';
import dictionaries from 'spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js';
import { encodeHeaderBlock, parseHeaderBlock, SpdySession, type SpdyStream } from './spdy-session.ts';

const dictionary = dictionaries['3']!;

/** A client's side of the framing: what kubectl's spdystream sends. */
function client() {
  const deflate = createDeflate({ dictionary });
  const compress = (block: Buffer) => new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    deflate.on('data', onData);
    deflate.write(block);
    deflate.flush(zc.Z_SYNC_FLUSH, () => { deflate.off('data', onData); resolve(Buffer.concat(chunks)); });
  });
  const control = (type: number, flags: number, body: Buffer) => {
    const f = Buffer.alloc(8 + body.length);
    f.writeUInt16BE(0x8003, 0);
    f.writeUInt16BE(type, 2);
    f[4] = flags;
    f.writeUIntBE(body.length, 5, 3);
    body.copy(f, 8);
    return f;
  };
  return {
    async synStream(id: number, headers: Record<string, string>, fin = false) {
      const head = Buffer.alloc(10);
      head.writeUInt32BE(id, 0);
      return control(1, fin ? 1 : 0, Buffer.concat([head, await compress(encodeHeaderBlock(headers))]));
    },
    data(id: number, bytes: Buffer, fin = false) {
      const f = Buffer.alloc(8 + bytes.length);
      f.writeUInt32BE(id, 0);
      f[4] = fin ? 1 : 0;
      f.writeUIntBE(bytes.length, 5, 3);
      bytes.copy(f, 8);
      return f;
    },
    ping: (id: number) => control(6, 0, Buffer.from([0, 0, 0, id])),
    control,
  };
}

function session() {
  const out: Buffer[] = [];
  const streams: SpdyStream[] = [];
  let closed: string | undefined | null = null;
  const s = new SpdySession((b) => out.push(b), (st) => streams.push(st), (why) => { closed = why; });
  return { s, out, streams, closed: () => closed };
}
const settle = () => new Promise((r) => setTimeout(r, 20));
/** Until `done()` holds (frames out wait for zlib, which runs on the thread pool: slow on a loaded machine). */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await settle()) if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}

test('a SYN_STREAM opens a stream with its headers and is answered with a SYN_REPLY; data flows both ways', async () => {
  const c = client();
  const { s, out, streams } = session();
  // Split across arbitrary chunk boundaries, as WebSocket messages split them.
  const bytes = Buffer.concat([await c.synStream(1, { streamtype: 'data', port: '80', requestid: '0' }), c.data(1, Buffer.from('GET /'), true)]);
  for (let i = 0; i < bytes.length; i += 3) s.receive(bytes.subarray(i, i + 3));
  await until(() => streams.length > 0);
  await settle();
  assert.equal(streams.length, 1);
  assert.deepEqual(streams[0]!.headers, { streamtype: 'data', port: '80', requestid: '0' });
  const received: Buffer[] = [];
  streams[0]!.on('data', (d: Buffer) => received.push(d));
  await new Promise((r) => streams[0]!.once('end', r));
  assert.equal(Buffer.concat(received).toString(), 'GET /');
  await until(() => out.length > 0);
  assert.equal(out[0]!.readUInt16BE(2), 2, 'a SYN_REPLY first');
  assert.equal(out[0]!.readUInt32BE(8) & 0x7fffffff, 1);
  streams[0]!.end('200 OK');
  await until(() => out.length >= 3);
  await settle();
  const data = out.slice(1);
  assert.deepEqual(data.map((f) => [f.readUInt32BE(0), f[4], f.subarray(8).toString()]), [[1, 0, '200 OK'], [1, 1, '']]);
});

test('a ping is answered with its own id', async () => {
  const c = client();
  const { s, out } = session();
  s.receive(c.ping(7));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.readUInt16BE(2), 6);
  assert.equal(out[0]!.readUInt32BE(8), 7);
});

test('a stream id the client may not use is reset; another SPDY version or an oversized frame ends the session', async () => {
  const c = client();
  const a = session();
  a.s.receive(await c.synStream(2, { streamtype: 'data', port: '80', requestid: '0' }));
  await until(() => a.out.length > 0);
  assert.equal(a.streams.length, 0);
  assert.equal(a.out.at(-1)!.readUInt16BE(2), 3, 'RST_STREAM');
  const b = session();
  const v2 = c.control(6, 0, Buffer.alloc(4));
  v2.writeUInt16BE(0x8002, 0);
  b.s.receive(v2);
  assert.equal(b.closed(), 'SPDY version 2');
  const big = session();
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(1, 0);
  huge.writeUIntBE(0xffffff, 5, 3);
  big.s.receive(huge);
  assert.match(String(big.closed()), /a frame of 16777215 bytes/);
});

test('header blocks: names lowercased, the first of several values, truncation refused', () => {
  const block = encodeHeaderBlock({ StreamType: 'error', port: '8080\u0000ignored' });
  assert.deepEqual(parseHeaderBlock(block), { streamtype: 'error', port: '8080' });
  assert.equal(parseHeaderBlock(block.subarray(0, block.length - 2)), undefined);
  assert.equal(parseHeaderBlock(Buffer.alloc(2)), undefined);
});
