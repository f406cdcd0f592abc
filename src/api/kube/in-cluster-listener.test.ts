import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { InClusterListener } from './in-cluster-listener.ts';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('a present address is served at once, and its connections go to the server given', async () => {
  const port = await freePort();
  const accepted: Socket[] = [];
  const l = new InClusterListener('127.0.0.1', port, (s) => {
    accepted.push(s);
    s.end('hello');
  });
  await l.start();
  assert.equal(l.listening, true);
  const got = await new Promise<string>((resolve, reject) => {
    let text = '';
    connect(port, '127.0.0.1').on('data', (d) => (text += String(d))).on('end', () => resolve(text)).on('error', reject);
  });
  assert.equal(got, 'hello');
  assert.equal(accepted.length, 1);
  l.close();
  assert.equal(l.listening, false);
});

test('an address the host does not have yet is waited for, not an error; close stops the waiting', async () => {
  // 192.0.2.1 (TEST-NET-1) is on no interface here: the kernel answers EADDRNOTAVAIL.
  const l = new InClusterListener('192.0.2.1', await freePort(), (s) => s.destroy());
  await l.start();
  assert.equal(l.listening, false);
  assert.equal(l.error, undefined, 'a missing address is waited for');
  l.close();
});

test('a port taken on the address is kept as the error and not retried', async () => {
  const port = await freePort();
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(port, '127.0.0.1', () => r()));
  const l = new InClusterListener('127.0.0.1', port, (s) => s.destroy());
  await l.start();
  assert.equal(l.listening, false);
  assert.equal(l.error?.code, 'EADDRINUSE');
  l.close();
  await new Promise<void>((r) => taken.close(() => r()));
});
