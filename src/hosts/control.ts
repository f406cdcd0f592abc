/**
 * How `berth host` talks to the `berth up` that supervises the hosts: a Unix socket in its
 * data dir (0600, so root's only, as the hosts are), one JSON request line and one JSON
 * answer line per connection.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { HostError, type HostStatus, type HostSupervisor } from './supervisor.ts';

/** The socket's name in `berth up`'s data dir. */
export const CONTROL_SOCKET = 'hosts.sock';
/** Longest request line accepted: a name is a few bytes. */
const MAX_REQUEST_BYTES = 4096;
/** A kill or start takes seconds; past this the client gives up. */
const CLIENT_TIMEOUT_MS = 120_000;

export type HostRequest = { op: 'ls' } | { op: 'kill' | 'start'; name: string; agentOnly?: boolean };
export type HostAnswer = { hosts: HostStatus[] } | { message: string } | { error: string };

/** Serves `supervisor` at `<dataDir>/hosts.sock`; returns the stop function. */
export async function serveHostControl(dataDir: string, supervisor: HostSupervisor, log: (line: string) => void): Promise<() => Promise<void>> {
  const path = join(dataDir, CONTROL_SOCKET);
  // A socket file left by a `berth up` that was killed: the data dir's lock says none runs now.
  if (existsSync(path)) rmSync(path);
  const server: Server = createServer((socket) => {
    let buf = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      if (buf.length > MAX_REQUEST_BYTES) { socket.end(`${JSON.stringify({ error: 'request too long' })}\n`); return; }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      socket.pause();
      void answer(supervisor, buf.slice(0, nl)).then((a) => socket.end(`${JSON.stringify(a)}\n`), (e: Error) => {
        log(`berth host: ${e.stack ?? e.message}`);
        socket.end(`${JSON.stringify({ error: e.message })}\n`);
      });
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(path, () => resolve()); });
  chmodSync(path, 0o600);
  return () => new Promise((resolve) => server.close(() => { rmSync(path, { force: true }); resolve(); }));
}

async function answer(supervisor: HostSupervisor, line: string): Promise<HostAnswer> {
  let req: HostRequest;
  try {
    req = JSON.parse(line) as HostRequest;
  } catch {
    return { error: 'not a JSON request' };
  }
  try {
    if (req.op === 'ls') return { hosts: supervisor.list() };
    // `berth host kill 2` means host-2.
    if (typeof req.name === 'string' && /^\d+$/.test(req.name)) req = { ...req, name: `host-${req.name}` };
    if (req.op === 'kill' && req.agentOnly) { await supervisor.killAgent(req.name); return { message: `${req.name}'s agent was killed; its containers run on` }; }
    if (req.op === 'kill') return { message: `${req.name} is down: its agent and ${await supervisor.kill(req.name)} processes were killed` };
    if (req.op === 'start') { await supervisor.start(req.name); return { message: `${req.name} is up` }; }
    return { error: `unknown op ${(req as { op: string }).op}` };
  } catch (e) {
    if (e instanceof HostError) return { error: e.message };
    throw e;
  }
}

/** Sends one request to the `berth up` whose data dir is `dataDir`. */
export function askHostControl(dataDir: string, req: HostRequest): Promise<HostAnswer> {
  const path = join(dataDir, CONTROL_SOCKET);
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buf = '';
    socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy(new Error(`no answer from berth up within ${CLIENT_TIMEOUT_MS / 1000} s`)));
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('data', (c: Buffer) => (buf += c.toString()));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(buf) as HostAnswer);
      } catch {
        reject(new Error(`berth up answered something else than JSON: ${buf.slice(0, 200)}`));
      }
    });
  });
}
