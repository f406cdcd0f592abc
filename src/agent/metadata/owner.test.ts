import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { heldBy, socketInode } from './owner.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:8FB3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8019708 1 0 100 0 0 10 0
   1: 0500A8C0:9C40 02AAFEA9:0050 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 30 10 -1
`;

test('the client socket by its port and the address it dialled (little-endian, as /proc/net/tcp writes it)', () => {
  assert.equal(socketInode(TCP, 0x9c40, '169.254.170.2:80'), '4242');
  assert.equal(socketInode(TCP, 0x9c41, '169.254.170.2:80'), undefined);
  assert.equal(socketInode(TCP, 0x9c40, '169.254.170.2:81'), undefined);
});

test('a real connection\'s client socket is found among this process\'s fds, not among another pid\'s', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  t.after(() => { client.destroy(); server.close(); });
  const inode = socketInode(readFileSync('/proc/net/tcp', 'utf8'), client.localPort!, `127.0.0.1:${port}`);
  assert.ok(inode, 'found in /proc/net/tcp');
  assert.equal(heldBy([process.pid], inode), true);
  assert.equal(heldBy([1], inode), false);
});
