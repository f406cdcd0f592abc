/**
 * What one probe does, as the kubelet's handlers do it, from the agent into the task's
 * network (its address; a host-mode task's is localhost): exec through the runtime's exec,
 * httpGet (HTTP or HTTPS, certificates not verified, 200-399 passes), tcpSocket (a
 * connection opens), grpc (grpc-health.ts). Each is held to the probe's timeout; any error
 * is a failure. The thin I/O edge of the probes: what the results mean is probe-state.ts's.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProbeHandler } from '../../core/workload/spec.ts';
import { grpcHealthCheck } from './grpc-health.ts';

/** The kubelet's User-Agent on its HTTP probes (a probe's own header replaces it). */
export const PROBE_USER_AGENT = 'kube-probe/1.31';

/** Where a probe reaches its container. */
export interface ProbeTarget {
  /** The container's address as the agent reaches it: the task's (awsvpc, bridge) or 127.0.0.1 (host mode). */
  readonly address: string;
  /** Runs a command in the container: its exit code, or a rejection (timed out, gone). */
  exec(argv: readonly string[], timeoutMs: number): Promise<number>;
}

/** Runs `handler` once against `target`: true when it passed within `timeoutMs`. */
export async function runProbe(handler: ProbeHandler, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  try {
    if ('exec' in handler) return (await target.exec(handler.exec.command, timeoutMs)) === 0;
    if ('httpGet' in handler) return await httpProbe(handler.httpGet, target.address, timeoutMs);
    if ('tcpSocket' in handler) return await tcpProbe(handler.tcpSocket.host ?? target.address, handler.tcpSocket.port, timeoutMs);
    return await grpcHealthCheck(target.address, handler.grpc.port, handler.grpc.service ?? '', timeoutMs);
  } catch {
    return false;
  }
}

type HttpGet = Extract<ProbeHandler, { httpGet: unknown }>['httpGet'];

/** An HTTP(S) GET: passes on a status from 200 to 399 (a redirect is not followed: it passes as a 3xx). */
export function httpProbe(h: HttpGet, address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
    for (const { name, value } of h.headers) {
      // A probe's own header replaces the default of the same name, whatever its case.
      for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
      headers[name] = value;
    }
    const options = { host: h.host ?? address, port: h.port, path: h.path.startsWith('/') ? h.path : `/${h.path}`, method: 'GET', headers, timeout: timeoutMs };
    const req = h.scheme === 'HTTPS' ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      // The body is not read: the status is the verdict.
      res.destroy();
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => { clearTimeout(timer); resolve(false); });
    req.end();
  });
}

/** A TCP connection to host:port opens within the timeout. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
