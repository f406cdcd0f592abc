import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import type { TaskNetwork } from '../runtime/network/types.ts';
import { MAX_PORT_FORWARDS, PortForwards, portRoute } from './port-forwards.ts';
import type { AgentMessage } from './protocol.ts';

const isRoot = process.getuid?.() === 0;
const net = (n: Partial<TaskNetwork>): TaskNetwork => ({ taskId: 't', mode: 'awsvpc', hostNetwork: false, containers: [], ...n });

test('a port is reached in the task\'s own namespace, on the host\'s loopback in host mode, at the address of a sandboxed task', () => {
  assert.deepEqual(portRoute(net({ netnsPath: '/run/netns/t', ip: '10.0.0.5' }), false), { kind: 'netns', path: '/run/netns/t' });
  assert.deepEqual(portRoute(net({ mode: 'host', hostNetwork: true }), false), { kind: 'address', host: '127.0.0.1' });
  assert.deepEqual(portRoute(net({ netnsPath: '/run/netns/t', ip: '10.0.0.5' }), true), { kind: 'address', host: '10.0.0.5' });
  assert.equal(portRoute(undefined, false), 'the task has no network yet');
  assert.match(portRoute(net({ mode: 'none' }), false) as string, /no network namespace or address/);
});

/** An echo server that answers `<what it read>!` once the client's side ends. */
async function echo(): Promise<{ port: number; close(): void }> {
  const server = createServer((s) => {
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.on('end', () => s.end(`${got}!`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** Runs one forwarded connection through `ports`: writes `input`, ends it, collects the answer and the close. */
async function forward(ports: PortForwards, route: Parameters<PortForwards['handle']>[2], port: number, input: string): Promise<{ data: string; closed: Extract<AgentMessage, { type: 'portClosed' }> }> {
  let data = '';
  return new Promise((resolve) => {
    const answer = (m: Extract<AgentMessage, { type: 'portData' | 'portClosed' }>) => {
      if (m.type === 'portData') data += Buffer.from(m.data, 'base64').toString();
      else resolve({ data, closed: m });
    };
    ports.handle('owner', { type: 'portOpen', id: 'c1', taskArn: 'task', port }, route, answer);
    ports.handle('owner', { type: 'portData', id: 'c1', data: Buffer.from(input).toString('base64'), eof: true }, route, answer);
  });
}

test('bytes flow both ways to an address, and the port\'s close ends the connection', async () => {
  const server = await echo();
  const ports = new PortForwards();
  const r = await forward(ports, () => ({ kind: 'address', host: '127.0.0.1' }), server.port, 'ping');
  assert.deepEqual(r, { data: 'ping!', closed: { type: 'portClosed', id: 'c1' } });
  assert.equal(ports.size, 0);
  server.close();
});

test('a closed port, an unknown task and a task without a network are answered with why', async () => {
  const server = await echo();
  server.close();
  const ports = new PortForwards();
  const refused = await forward(ports, () => ({ kind: 'address', host: '127.0.0.1' }), server.port, 'x');
  assert.equal(refused.closed.error, `dial tcp4 127.0.0.1:${server.port}: connect: connection refused`);
  assert.match((await forward(ports, () => undefined, 80, 'x')).closed.error!, /task is not running on this host/);
  assert.equal((await forward(ports, () => 'the task has no network yet', 80, 'x')).closed.error, 'the task has no network yet');
  assert.ok(MAX_PORT_FORWARDS > 0);
});

test('inside a network namespace, through nsenter and a relay there (this process\'s own namespace)', { skip: !isRoot && 'entering a namespace needs root' }, async () => {
  const server = await echo();
  const ports = new PortForwards();
  const r = await forward(ports, () => ({ kind: 'netns', path: '/proc/self/ns/net' }), server.port, 'through the relay');
  assert.deepEqual(r, { data: 'through the relay!', closed: { type: 'portClosed', id: 'c1' } });
  server.close();
  const refused = await forward(ports, () => ({ kind: 'netns', path: '/proc/self/ns/net' }), server.port, 'x');
  assert.equal(refused.closed.error, `dial tcp4 127.0.0.1:${server.port}: connect: connection refused`);
});
