/**
 * `kubectl port-forward` (1.31+): SPDY/3.1 tunnelled in a WebSocket's binary messages
 * (sub-protocol `SPDY/3.1+portforward.k8s.io`), as the API server accepts it. Each forwarded
 * connection is two SPDY streams the client opens with the same `requestid`: `error` (the
 * server writes why a connection failed) and `data` (the bytes, both ways), for one `port` of
 * the pod. SPDY itself is spdy-session.ts; this file is what port-forward adds on top.
 *
 *   kubectl ══ ws: SPDY ══▶ SpdySession ── stream {streamtype, port, requestid}
 *                                      data ⇄ dial(port) (the pod's agent, or a test's socket)
 *                                      error ◀ "error forwarding port 80 to pod …: …"
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { SpdySession, type SpdyStream } from './spdy-session.ts';

/** The sub-protocol kubectl asks for; the only one served (pure SPDY over an HTTP upgrade is not). */
export const PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** Connections waiting for their second stream: a client that opens only one of each pair must not grow memory. */
export const MAX_PENDING_PAIRS = 256;
/** Forwarded connections open at once on one port-forward session. */
export const MAX_OPEN_CONNECTIONS = 256;
/** The client may fall this far behind what the pod sends before the session is ended (memory bound). */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * Accepts a port-forward upgrade on `wss`, if the client asked for the port-forward
 * sub-protocol (false otherwise: answer it some other way). `ws` refuses that name as a
 * sub-protocol ("/" is not a token character in RFC 6455's grammar), where the API server's
 * WebSocket library takes it; so the request's header is taken out before `ws` reads it and
 * the answer's put back in as the handshake is written.
 */
export function acceptPortForwardUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): boolean {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes(PORT_FORWARD_PROTOCOL)) return false;
  delete req.headers['sec-websocket-protocol'];
  const onHeaders = (headers: string[], request: IncomingMessage) => {
    if (request !== req) return;
    wss.off('headers', onHeaders);
    headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_PROTOCOL}`);
  };
  wss.on('headers', onHeaders);
  socket.once('close', () => wss.off('headers', onHeaders));
  wss.handleUpgrade(req, socket, head, done);
  return true;
}

export interface PortForwardTarget {
  /** The pod's name and namespace, for error messages as the kubelet words them. */
  readonly pod: string;
  /** A connection to `port` in the pod, or a reason it cannot be made. */
  dial(port: number): Promise<Duplex>;
}

export function servePortForward(ws: WebSocket, target: PortForwardTarget): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  let open = 0;
  const session = new SpdySession(
    (frame) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return session.close(`the client fell ${MAX_BUFFERED_BYTES} bytes behind`);
      ws.send(frame);
    },
    (stream) => {
      stream.on('error', () => undefined);
      const type = stream.headers.streamtype;
      const requestId = stream.headers.requestid ?? '';
      const port = Number(stream.headers.port);
      if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) return void stream.destroy();
      const pair = pairs.get(requestId) ?? {};
      if (pair[type] || (!pairs.has(requestId) && pairs.size >= MAX_PENDING_PAIRS)) return void stream.destroy();
      pair[type] = stream;
      pairs.set(requestId, pair);
      if (!pair.error || !pair.data) return;
      pairs.delete(requestId);
      forward(pair.error, pair.data, port);
    },
    () => { if (ws.readyState === ws.OPEN) ws.close(1000); },
  );
  ws.on('message', (data, isBinary) => {
    if (isBinary) session.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
  });
  ws.on('close', () => session.close());
  ws.on('error', () => undefined);

  function forward(error: SpdyStream, data: SpdyStream, port: number): void {
    // The client writes nothing on the error stream; it waits for its end.
    error.resume();
    if (open >= MAX_OPEN_CONNECTIONS) return fail(error, data, port, `this session already forwards ${MAX_OPEN_CONNECTIONS} connections`);
    open++;
    target.dial(port).then((upstream) => {
      upstream.on('error', (e: Error) => fail(error, data, port, e.message));
      data.pipe(upstream);
      upstream.pipe(data);
      upstream.on('close', () => { open--; if (error.writable) error.end(); });
    }, (e: Error) => { open--; fail(error, data, port, e.message); });
  }

  function fail(error: SpdyStream, data: SpdyStream, port: number, why: string): void {
    // The kubelet's words; kubectl prints them, then closes the session (and exits).
    if (error.writable) error.end(`error forwarding port ${port} to pod ${target.pod}: ${why}`);
    data.end();
  }
}
