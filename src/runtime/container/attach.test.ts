import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeqpacketServer, type SeqpacketSocket } from 'node-unix-socket';
import { attach, ATTACH_STDIN_PACKET_BYTES, controlFifoPath, parseOutputPacket, stdinPackets, windowSizeMessage } from './attach.ts';
import { conmonArgs } from './conmon.ts';
import type { OciRuntime } from './oci-runtime.ts';
import { until } from '../../../test/support/until.ts';

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

test('conmonArgs: -t for a container on a terminal (conmon makes the console socket and passes it to the runtime)', () => {
  const runtime = { createCommand: ['/usr/bin/runc'], root: '/run/x' } as unknown as OciRuntime;
  const base = { id: 'c1', stateDir: '/s', runtime, logPath: '/s/log' };
  const tail = (args: string[]) => args.slice(args.indexOf('--log-size-max') + 2);
  assert.deepEqual(tail(conmonArgs({ ...base, terminal: true })), ['-t']);
  assert.deepEqual(tail(conmonArgs({ ...base, terminal: true, stdin: true, stdinOnce: true })), ['-t', '-i']);
  assert.deepEqual(tail(conmonArgs({ ...base, terminal: false })), []);
  assert.ok(!conmonArgs({ ...base, terminal: true }).includes('--console-socket'), 'conmon adds --console-socket to the runtime\'s create itself');
});

test('windowSizeMessage: conmon\'s ctl line, type 1 then height then width; sizes the kernel cannot hold are dropped', () => {
  assert.equal(windowSizeMessage(80, 24), '1 24 80\n');
  assert.equal(windowSizeMessage(1, 0), '1 0 1\n');
  assert.equal(windowSizeMessage(0, 0), undefined, 'no terminal on the client side');
  assert.equal(windowSizeMessage(65_536, 24), undefined);
  assert.equal(windowSizeMessage(-1, 24), undefined);
  assert.equal(windowSizeMessage(80.5, 24), undefined);
});

/**
 * A stand-in for conmon's side of the socket (same type, same framing), in a long directory as
 * a task's state dir can be. Everything it made (the temporary parent included) goes when the
 * test ends, whether it passed or not.
 */
function fakeConmon(t: { after(fn: () => void): void }, o: { ctl?: boolean } = {}) {
  const parent = mkdtempSync(join(tmpdir(), 'berth-attach-'));
  const server = new SeqpacketServer();
  let ctl: number | undefined;
  t.after(() => {
    try {
      if (ctl !== undefined) closeSync(ctl);
      server.close();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
  const dir = join(parent, 'x'.repeat(90));
  mkdirSync(dir);
  if (o.ctl) {
    // conmon's ctl FIFO, its reading end held open as conmon holds it.
    execFileSync('mkfifo', ['-m', '0660', controlFifoPath(dir)]);
    ctl = openSync(controlFifoPath(dir), constants.O_RDONLY | constants.O_NONBLOCK);
  }
  // Bound as conmon binds it: relative to the directory, whose full path is past sun_path's 108 bytes.
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  server.listen(`/proc/self/fd/${fd}/attach`);
  closeSync(fd);
  const peer = new Promise<SeqpacketSocket>((resolve) => server.on('connection', resolve));
  /** What conmon would read from its ctl FIFO now. */
  const control = (): string => {
    const buf = Buffer.alloc(4096);
    try {
      return buf.subarray(0, readSync(ctl!, buf)).toString();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return '';
      throw e;
    }
  };
  return { dir, peer, control };
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

test('attach on a terminal: sizes go to conmon\'s ctl FIFO, the first at once, then spaced with the latest winning', async (t) => {
  const conmon = fakeConmon(t, { ctl: true });
  const a = attach(conmon.dir, () => {}, { terminal: true });
  await conmon.peer;
  a.resize(80, 24);
  assert.equal(conmon.control(), '1 24 80\n');
  a.resize(100, 30);
  a.resize(120, 40);
  let got = '';
  await until('the latest size written', async () => ((got += conmon.control()).endsWith('\n') ? true : undefined), 10_000, 10);
  assert.equal(got, '1 40 120\n', 'one line per write: conmon parses only the first line of a read');
  a.close();
  await a.done;
  a.resize(90, 20);
  assert.equal(conmon.control(), '', 'nothing after the attach ended');
});

test('attach without a terminal: a resize writes nothing', async (t) => {
  const conmon = fakeConmon(t, { ctl: true });
  const a = attach(conmon.dir, () => {});
  await conmon.peer;
  a.resize(80, 24);
  assert.equal(conmon.control(), '');
  a.close();
  await a.done;
});

test('the fake conmon leaves nothing in the temporary directory', async () => {
  let parent = '';
  await test('a subtest that makes one', async (t) => {
    const conmon = fakeConmon(t);
    parent = join(conmon.dir, '..');
    assert.ok(existsSync(parent));
  });
  assert.ok(!existsSync(parent), `${parent} removed`);
});
