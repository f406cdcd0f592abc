import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { discardBody } from './http.ts';

/**
 * A server whose handler only calls discardBody(req, maxBytes, maxMs); a raw client sends
 * `head` of a body whose Content-Length is `length`, then stalls. Resolves with what
 * discardBody said and how long it took.
 */
async function discardOf(length: number, sent: number, maxBytes: number, maxMs: number): Promise<{ ended: boolean; ms: number }> {
  let result!: (r: { ended: boolean; ms: number }) => void;
  const done = new Promise<{ ended: boolean; ms: number }>((r) => (result = r));
  const server = createServer((req: IncomingMessage, res) => {
    const t0 = performance.now();
    void discardBody(req, maxBytes, maxMs).then((ended) => {
      result({ ended, ms: performance.now() - t0 });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`);
  socket.write(Buffer.alloc(sent, 1));
  try {
    return await done;
  } finally {
    socket.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('discardBody reads a whole body that fits the limits: ended', async () => {
  assert.equal((await discardOf(100_000, 100_000, 1_000_000, 5_000)).ended, true);
});

/** A time limit no test reaches: a discardBody that answers at all under it gave up for another reason. */
const UNREACHED_MS = 600_000;

test('discardBody gives up past its byte limit without waiting for the rest', async () => {
  // The client stalls with most of its body unsent: only the byte limit can end the read.
  const { ended, ms } = await discardOf(10_000_000, 3_000_000, 1_000_000, UNREACHED_MS);
  assert.equal(ended, false);
  assert.ok(ms < UNREACHED_MS, `${ms.toFixed(0)} ms: not the time limit`);
});

test('discardBody gives up on a client that stops sending, after its time limit', async () => {
  const { ended, ms } = await discardOf(1_000_000, 1_000, 1_000_000, 200);
  assert.equal(ended, false);
  // The client never sends the rest, so answering at all is the time limit; not before it.
  assert.ok(ms >= 190, `${ms.toFixed(0)} ms`);
});
