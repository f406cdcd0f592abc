/**
 * The cluster DNS server: UDP and TCP on one address, the cluster's names answered from the
 * zone (zone.ts), every other name relayed to the host's resolvers (upstream.ts).
 *
 *   client ─ udp/tcp ─▶ handleQuery (message.ts) ─ cluster name ─▶ answer from the zone
 *                                 └─ other name ─▶ Upstream.ask ─▶ its answer, or SERVFAIL
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import { handleQuery, servFail } from './message.ts';
import type { Upstream } from './upstream.ts';
import type { ZoneData } from './zone.ts';

/** TCP clients served at once; more are refused (closed) until one leaves. */
export const MAX_TCP_CONNECTIONS = 256;
/** A TCP client silent this long is closed (RFC 7766 suggests seconds, not minutes). */
export const TCP_IDLE_MS = 10_000;
/** The largest DNS message a TCP client may send (the two-byte length's limit). */
const MAX_TCP_MESSAGE = 65535;

export interface DnsServerOptions {
  readonly host: string;
  /** 53 in a cluster; 0 picks a free port (tests). */
  readonly port: number;
  /** The zone as it is now, and its serial (it changes when the records do). */
  readonly zone: () => { readonly data: ZoneData; readonly serial: number };
  readonly upstream: Upstream;
}

export interface DnsServer {
  readonly host: string;
  /** The UDP and TCP port (the same). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const udp: Socket = createSocket({ type: isIP(o.host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
  const resolveBytes = async (bytes: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    const { data, serial } = o.zone();
    const handled = handleQuery(data, serial, bytes, transport);
    if (handled.kind === 'drop') return undefined;
    if (handled.kind === 'reply') return handled.bytes;
    return (await o.upstream.ask(bytes, transport)) ?? servFail(bytes);
  };

  udp.on('message', (msg, from) => {
    void resolveBytes(msg, 'udp').then((out) => {
      if (out) udp.send(out, from.port, from.address);
    });
  });
  udp.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(o.port, o.host, () => { udp.off('error', reject); resolve(); });
  });
  const port = udp.address().port;

  const clients = new Set<TcpSocket>();
  const tcp: Server = createServer((socket) => {
    if (clients.size >= MAX_TCP_CONNECTIONS) return socket.destroy();
    clients.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      // Each message is length-prefixed (RFC 1035 §4.2.2); a client may pipeline several.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length === 0 || length > MAX_TCP_MESSAGE) return socket.destroy();
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void resolveBytes(message, 'tcp').then((out) => {
          if (!out || socket.destroyed) return;
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, o.host, () => { tcp.off('error', reject); resolve(); });
  });

  return {
    host: o.host,
    port,
    async close() {
      for (const c of clients) c.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
      o.upstream.close();
    },
  };
}
