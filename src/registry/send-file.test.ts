import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { constants } from 'node:fs';
import { BLOCK_BYTES, giveStagingPair, openDirect } from './direct-io.ts';
import { sendFileRange } from './send-file.ts';
import { diskTempDir, takesDirect } from './testing.ts';

/**
 * A server answering every GET with bytes start..end of `path` through sendFileRange; `sent`
 * settles per request. `direct`: the file is opened O_DIRECT and read into staging blocks.
 */
async function serve(path: string, start: number, end: number, { declared = end - start + 1, direct = false } = {}) {
  const sent: Promise<FileHandle>[] = [];
  const server: Server = createServer((_req, res) => {
    const done = (async () => {
      const file = direct ? await openDirect(path, constants.O_RDONLY) : undefined;
      assert.equal(Boolean(file), direct && await takesDirect(dirname(path)), 'opened past the page cache when asked for, where the filesystem takes it');
      const handle = file?.handle ?? await open(path, 'r');
      const staging = file?.staging;
      res.writeHead(200, { 'Content-Length': declared });
      try {
        await sendFileRange({ handle, staging, close: async () => { if (staging) giveStagingPair(staging); await handle.close(); } }, start, end, res);
      } catch (err) {
        res.destroy();
        throw Object.assign(err as Error, { handle });
      }
      return handle;
    })();
    // Rejections are asserted by the tests, maybe after they happened.
    done.catch(() => undefined);
    sent.push(done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, port, sent, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function tempFile(t: { after(fn: () => Promise<void>): void }, bytes: Buffer): Promise<string> {
  const path = join(await diskTempDir(t, 'berth-send-file-'), 'blob');
  await writeFile(path, bytes);
  return path;
}

test('a file of several chunks arrives whole and in order, and the file is closed after', async (t) => {
  const bytes = randomBytes(2 * BLOCK_BYTES + BLOCK_BYTES / 2 + 123);
  const s = await serve(await tempFile(t, bytes), 0, bytes.length - 1);
  t.after(s.close);
  const body = Buffer.from(await (await fetch(s.url)).arrayBuffer());
  assert.ok(body.equals(bytes));
  assert.equal((await s.sent[0]!).fd, -1, 'the handle is closed');
});

for (const direct of [false, true]) {
  test(`ranges that start and end inside chunks, smaller than a chunk, and a file's unaligned end${direct ? ', read past the page cache in aligned blocks' : ''}`, async (t) => {
    const bytes = randomBytes(3 * BLOCK_BYTES + 1234);
    const path = await tempFile(t, bytes);
    const last = bytes.length - 1;
    for (const [start, end] of [[BLOCK_BYTES - 10, 2 * BLOCK_BYTES + 5], [7, 7], [100, 4100], [4095, 4096], [0, last], [last - 5000, last], [last, last]] as const) {
      const s = await serve(path, start, end, { direct });
      const body = Buffer.from(await (await fetch(s.url)).arrayBuffer());
      await s.close();
      assert.ok(body.equals(bytes.subarray(start, end + 1)), `${start}-${end}`);
      assert.equal((await s.sent[0]!).fd, -1, 'the handle is closed');
    }
  });
}

test('a client that goes away mid-file: the send rejects as a premature close and the file is closed', async (t) => {
  // Far more than the socket buffers hold, so the sender is still writing when the client leaves.
  const bytes = randomBytes(16 * BLOCK_BYTES);
  const s = await serve(await tempFile(t, bytes), 0, bytes.length - 1);
  t.after(s.close);
  const socket = connect(s.port, '127.0.0.1');
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((resolve) => socket.once('data', resolve));
  socket.destroy();
  await assert.rejects(s.sent[0]!, (err: Error & { code?: string; handle?: FileHandle }) => {
    // Whichever the sender notices first (a write failing, the response closing), said one way.
    assert.equal(err.code, 'ERR_STREAM_PREMATURE_CLOSE');
    assert.equal(err.handle?.fd, -1, 'the handle is closed');
    return true;
  });
});

test('a file shorter than the range rejects, and the file is closed', async (t) => {
  const bytes = randomBytes(1000);
  const s = await serve(await tempFile(t, bytes), 0, 1999, { direct: true });
  t.after(s.close);
  await assert.rejects(fetch(s.url).then((r) => r.arrayBuffer()));
  await assert.rejects(s.sent[0]!, (err: Error & { handle?: FileHandle }) => {
    assert.match(err.message, /ended at byte 1000, before byte 1999/);
    assert.equal(err.handle?.fd, -1);
    return true;
  });
});
