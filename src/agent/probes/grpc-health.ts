/**
 * The standard gRPC health check (grpc.health.v1.Health/Check), as the kubelet's grpc probe
 * calls it: plaintext HTTP/2, one unary call. Written on node:http2 rather than with
 * @grpc/grpc-js: the call is one length-prefixed message each way holding one field, while
 * grpc-js brings a protobuf toolchain (@grpc/proto-loader, protobufjs) to every host for it.
 * The test talks to a real grpc-js server (devDependency).
 */
import { connect, constants } from 'node:http2';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
/** HealthCheckResponse.ServingStatus SERVING. */
const SERVING = 1;
/** The largest answer read: a HealthCheckResponse is 2 bytes; anything this big is not one. */
const MAX_ANSWER_BYTES = 4096;

/** A gRPC message: compressed flag (0), 4-byte big-endian length, the protobuf bytes. */
export function frameRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  // HealthCheckRequest { string service = 1; }: tag 0x0a, varint length, bytes (omitted when empty).
  const body = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** The status of a framed HealthCheckResponse { ServingStatus status = 1; } (0, UNKNOWN, when absent). */
export function servingStatus(framed: Buffer): number | undefined {
  if (framed.length < 5 || framed[0] !== 0) return undefined;
  const length = framed.readUInt32BE(1);
  const body = framed.subarray(5, 5 + length);
  if (body.length !== length) return undefined;
  let status = 0;
  for (let i = 0; i < body.length;) {
    const [key, afterKey] = readVarint(body, i);
    if (key === undefined) return undefined;
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      const [value, next] = readVarint(body, afterKey);
      if (value === undefined) return undefined;
      if (field === 1) status = value;
      i = next;
    } else if (wire === 2) {
      const [len, next] = readVarint(body, afterKey);
      if (len === undefined) return undefined;
      i = next + len;
    } else {
      return undefined;
    }
  }
  return status;
}

/** Calls Health/Check on host:port for `service` ('' = the server as a whole); true when it answers SERVING in time. */
export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const session = connect(`http://${authority}`);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    session.on('error', () => done(false));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: HEALTH_CHECK_PATH,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'user-agent': 'kube-probe',
    });
    req.on('error', () => done(false));
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER_BYTES) return done(false);
      chunks.push(c);
    });
    // grpc-status arrives in the trailers (or, for an error without a message, in the headers).
    let grpcStatus: string | undefined;
    req.on('response', (h) => { if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']); });
    req.on('trailers', (t) => { if (t['grpc-status'] !== undefined) grpcStatus = String(t['grpc-status']); });
    req.on('end', () => done(grpcStatus === '0' && servingStatus(Buffer.concat(chunks)) === SERVING));
    req.end(frameRequest(service));
  });
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (let v = n; ; v >>>= 7) {
    if (v < 0x80) { out.push(v); break; }
    out.push((v & 0x7f) | 0x80);
  }
  return Buffer.from(out);
}

function readVarint(b: Buffer, at: number): [number | undefined, number] {
  let value = 0;
  for (let i = at, shift = 0; i < b.length && shift < 35; i++, shift += 7) {
    value += (b[i]! & 0x7f) * 2 ** shift;
    if (b[i]! < 0x80) return [value, i + 1];
  }
  return [undefined, b.length];
}
