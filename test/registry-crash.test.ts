/**
 * kill -9 of `berth up` in the middle of pushes: what was acknowledged is there after the
 * restart, byte for byte; what was not is invisible; an upload session resumes from
 * the offset the registry reports and completes to the right digest.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { sha256 } from './registry-harness.ts';
import { startBerth, type BerthProcess } from './support/berth.ts';

/** Opens a request whose body is `total` bytes, sends `sent` of them and leaves it hanging. */
function hangingRequest(berth: BerthProcess, method: string, path: string, total: number, sent: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(berth.port, '127.0.0.1', () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${berth.port}\r\nContent-Length: ${total}\r\nContent-Type: application/octet-stream\r\n\r\n`);
      socket.write(sent, () => resolve(socket));
    });
    socket.on('error', () => undefined); // the server is about to be killed under it
    socket.once('error', reject);
  });
}

test('kill -9 of berth up mid-push: acknowledged blobs and chunks survive, partial blobs stay invisible, the session resumes', async (t) => {
  const berth = await startBerth(['--no-registry-auth']);
  t.after(() => berth.stop());
  const url = (path: string) => `${berth.endpoint}${path}`;

  // Acknowledged before the kill: a whole blob, and the first chunk of a session (unaligned length).
  const whole = randomBytes(3 * 1024 * 1024 + 17);
  const put = await fetch(url(`/v2/crash/app/blobs/uploads/?digest=${sha256(whole)}`), { method: 'POST', body: whole });
  assert.equal(put.status, 201, await put.text());
  const chunked = randomBytes(6 * 1024 * 1024 + 333);
  const session = (await fetch(url('/v2/crash/app/blobs/uploads/'), { method: 'POST' })).headers.get('location')!;
  const first = 2 * 1024 * 1024 + 1000;
  const p1 = await fetch(url(session), { method: 'PATCH', body: chunked.subarray(0, first), headers: { 'Content-Range': `0-${first - 1}` } });
  assert.equal(p1.status, 202);

  // In flight at the kill: a monolithic blob half sent, and the session's second chunk half sent.
  const partial = randomBytes(8 * 1024 * 1024);
  const sockets = [
    await hangingRequest(berth, 'POST', `/v2/crash/app/blobs/uploads/?digest=${sha256(partial)}`, partial.length, partial.subarray(0, 4 * 1024 * 1024)),
    await hangingRequest(berth, 'PATCH', session, chunked.length - first, chunked.subarray(first, first + 1024 * 1024)),
  ];
  await new Promise((r) => setTimeout(r, 300));
  await berth.kill9();
  for (const s of sockets) s.destroy();
  await berth.restart();

  const got = await fetch(url(`/v2/crash/app/blobs/${sha256(whole)}`));
  assert.equal(got.status, 200);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(whole), 'the acknowledged blob, byte for byte');
  assert.equal((await fetch(url(`/v2/crash/app/blobs/${sha256(partial)}`), { method: 'HEAD' })).status, 404, 'the half-sent blob is not there');

  // The session says how far it got: at least the acknowledged chunk; the client goes on from there.
  const status = await fetch(url(session));
  assert.equal(status.status, 204);
  const offset = Number(/^0-(\d+)$/.exec(status.headers.get('range') ?? '')?.[1]) + 1;
  assert.ok(offset >= first && offset <= first + 1024 * 1024, `offset ${offset} after the kill`);
  const done = await fetch(url(`${session}?digest=${sha256(chunked)}`), { method: 'PUT', body: chunked.subarray(offset) });
  assert.equal(done.status, 201, await done.text());
  const back = await fetch(url(`/v2/crash/app/blobs/${sha256(chunked)}`));
  assert.ok(Buffer.from(await back.arrayBuffer()).equals(chunked), 'the resumed blob, byte for byte');
});
