/**
 * Where names outside the cluster go: the host's own resolvers, read from resolv.conf, asked
 * over UDP (TCP when the client came over TCP, or the UDP answer was truncated). Each relayed
 * query gets an id of our own, so two clients' equal ids never cross; the answer goes back
 * with the client's id.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';

/** Relayed queries waiting for an upstream answer; past it, new ones get SERVFAIL at once (a flood must not grow memory). */
export const MAX_PENDING_FORWARDS = 4096;
/** How long one upstream has to answer before the next is tried (glibc's resolver default is 5 s; pods retry on their own). */
export const UPSTREAM_TIMEOUT_MS = 2000;
/** The largest DNS message over TCP (two-byte length prefix). */
const MAX_TCP_MESSAGE = 65535;

export interface Upstream {
  /** The upstream's answer to `query` (the client's own bytes), with the client's id, or undefined when none answered in time. */
  ask(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined>;
  close(): void;
}

/** The `nameserver` lines of a resolv.conf, without `exclude` (our own address: never ask ourselves). */
export function nameservers(resolvConf: string, exclude: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const ip = m?.[1]?.replace(/%.*$/, '');
    if (ip && isIP(ip) && !exclude.includes(ip)) out.push(ip);
  }
  return out;
}

export function hostNameservers(exclude: readonly string[]): string[] {
  try {
    return nameservers(readFileSync('/etc/resolv.conf', 'utf8'), exclude);
  } catch {
    return [];
  }
}

interface Pending {
  readonly clientId: number;
  readonly resolve: (answer: Buffer | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

export function createUpstream(servers: readonly { host: string; port: number }[]): Upstream {
  const pending = new Map<number, Pending>();
  let udp4: Socket | undefined;
  let udp6: Socket | undefined;
  const socketFor = (host: string): Socket => {
    const v6 = isIP(host) === 6;
    let s = v6 ? udp6 : udp4;
    if (!s) {
      s = createSocket(v6 ? 'udp6' : 'udp4');
      s.on('message', (msg) => {
        if (msg.length < 12) return;
        const p = pending.get(msg.readUInt16BE(0));
        if (!p) return;
        pending.delete(msg.readUInt16BE(0));
        clearTimeout(p.timer);
        p.resolve(withId(msg, p.clientId));
      });
      s.on('error', () => undefined);
      s.unref();
      if (v6) udp6 = s; else udp4 = s;
    }
    return s;
  };

  const askUdp = (query: Buffer, server: { host: string; port: number }): Promise<Buffer | undefined> => new Promise((resolve) => {
    if (pending.size >= MAX_PENDING_FORWARDS) return resolve(undefined);
    let id = randomInt(0, 65536);
    for (let i = 0; pending.has(id) && i < 16; i++) id = randomInt(0, 65536);
    if (pending.has(id)) return resolve(undefined);
    const timer = setTimeout(() => { pending.delete(id); resolve(undefined); }, UPSTREAM_TIMEOUT_MS);
    pending.set(id, { clientId: query.readUInt16BE(0), resolve, timer });
    socketFor(server.host).send(withId(query, id), server.port, server.host);
  });

  const askTcp = (query: Buffer, server: { host: string; port: number }): Promise<Buffer | undefined> => new Promise((resolve) => {
    const socket = connect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (answer: Buffer | undefined) => { socket.destroy(); clearTimeout(timer); resolve(answer); };
    const timer = setTimeout(() => done(undefined), UPSTREAM_TIMEOUT_MS);
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (d) => {
      chunks.push(d);
      size += d.length;
      const all = Buffer.concat(chunks, size);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) done(all.subarray(2, 2 + all.readUInt16BE(0)));
      else if (size > MAX_TCP_MESSAGE + 2) done(undefined);
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
  });

  return {
    async ask(query, transport) {
      for (const server of servers) {
        // A truncated UDP answer is passed on as it is: the client retries over TCP itself.
        const answer = transport === 'udp' ? await askUdp(query, server) : await askTcp(query, server);
        if (answer) return answer;
      }
      return undefined;
    },
    close() {
      for (const p of pending.values()) { clearTimeout(p.timer); p.resolve(undefined); }
      pending.clear();
      udp4?.close();
      udp6?.close();
    },
  };
}

function withId(message: Buffer, id: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(id, 0);
  return copy;
}
