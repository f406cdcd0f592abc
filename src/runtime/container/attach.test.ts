import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeqpacketServer, type SeqpacketSocket } from 'node-unix-socket';
import { attach, ATTACH_STDIN_PACKET_BYTES, parseOutputPacket, stdinPackets } from './attach.ts';
import { conmonArgs } from './conmon.ts';
import type { OciRuntime } from './oci-runtime.ts';

test('parseOutputPacket: the first byte is conmon\'s stream id (2 stdout, 3 stderr), the rest the chunk', () => {
  assert.deepEqual(parseOutputPacket(Buffer.from([2, 104, 105])), { stream: 'stdout', data: Buffer.from('hi') });
  assert.deepEqual(parseOutputPacket(Buffer.from([3, 33])), { stream: 'stderr', data: Buffer.from('!') });
  // NO_PIPE / STDIN_PIPE are never output; an id alone carries nothing.
  assert.equal(parseOutputPacket(Buffer.from([1, 65])), undefined);
  assert.equal(parseOutputPacket(Buffer.from([2])), undefined);
  assert.equal(parseOutputPacket(Buffer.alloc(0)), undefined);
});

test('stdinPackets: raw bytes, cut at conmon\'s read size so no packet is truncated', () => {
  assert.deepEqual(stdinPackets(Buffer.from('abc')), [Buffer.from('abc')]);
  assert.deepEqual(stdinPackets(Buffer.alloc(0)), []);
  const big = Buffer.alloc(ATTACH_STDIN_PACKET_BYTES * 2 + 5, 7);
  const packets = stdinPackets(big);
  assert.deepEqual(packets.map((p) => p.length), [ATTACH_STDIN_PACKET_BYTES, ATTACH_STDIN_PACKET_BYTES, 5]);
  assert.deepEqual(Buffer.concat(packets), big);
});

test('conmonArgs: -i only for a container with stdin; --leave-stdin-open unless stdinOnce', () => {
  const runtime = { createCommand: ['/usr/bin/runc'], root: '/run/x' } as unknown as OciRuntime;
  const base = { id: 'c1', stateDir: '/s', runtime, logPath: '/s/log' };
  const tail = (args: string[]) => args.slice(args.indexOf('--log-size-max') + 2);
  assert.deepEqual(tail(conmonArgs(base)), []);
  assert.deepEqual(tail(conmonArgs({ ...base, stdin: true })), ['-i', '--leave-stdin-open']);
  assert.deepEqual(tail(conmonArgs({ ...base, stdin: true, stdinOnce: true })), ['-i']);
  assert.deepEqual(tail(conmonArgs({ ...base, stdinOnce: true })), []);
});

/** A stand-in for conmon's side of the socket (same type, same framing), in a long directory as a task's state dir can be. */
function fakeConmon(t: { after(fn: () => void): void }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'berth-attach-')), 'x'.repeat(90));
  mkdirSync(dir);
  // Bound as conmon binds it: relative to the directory, whose full path is past sun_path's 108 bytes.
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const server = new SeqpacketServer();
  server.listen(`/proc/self/fd/${fd}/attach`);
  closeSync(fd);
  t.after(() => { server.close(); rmSync(dir, { recursive: true, force: true }); });
  const peer = new Promise<SeqpacketSocket>((resolve) => server.on('connection', resolve));
  return { dir, peer };
}

test('attach: stdin in as raw packets (written before the connection too), output out by stream, end of input half-closes, the peer\'s end ends it', async (t) => {
  const conmon = fakeConmon(t);
  const got: string[] = [];
  const a = attach(conmon.dir, (data, stream) => got.push(`${stream}:${data.toString()}`));
  a.write(Buffer.from('early\n'));
  const peer = await conmon.peer;
  const received: Buffer[] = [];
  const inputEnded = new Promise<void>((resolve) => peer.on('end', resolve));
  peer.on('data', (b: Buffer) => received.push(b));
  a.write(Buffer.from('late\n'));
  a.endInput();
  a.write(Buffer.from('after the end: dropped\n'));
  await inputEnded;
  assert.equal(Buffer.concat(received).toString(), 'early\nlate\n');
  // conmon may still send output after the client's input ended; then it closes.
  peer.write(Buffer.from([2, ...Buffer.from('out')]));
  peer.write(Buffer.from([3, ...Buffer.from('err')]));
  peer.end();
  await a.done;
  assert.deepEqual(got, ['stdout:out', 'stderr:err']);
});

test('attach: a container without an attach socket rejects with the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-attach-none-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(attach(dir, () => {}).done, /attach socket .* is not there/);
});

test('attach: close detaches without waiting for the peer', async (t) => {
  const conmon = fakeConmon(t);
  const a = attach(conmon.dir, () => {});
  const peer = await conmon.peer;
  const peerClosed = new Promise<void>((resolve) => peer.on('end', resolve));
  a.close();
  await a.done;
  await peerClosed;
});
