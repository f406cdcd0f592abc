/**
 * The agent's end of `kubectl port-forward`: each forwarded connection (portOpen) is a TCP
 * connection to a port inside a task's network, its bytes relayed over the session as
 * portData both ways until either side closes. As the kubelet does it, a task with a network
 * namespace of its own is dialled at 127.0.0.1 inside that namespace (so a server bound to the
 * pod's loopback is reached): `nsenter --net` runs a small relay there, since a Node process
 * cannot enter a namespace itself. Host mode dials the host's loopback; a gVisor sandbox
 * (its loopback is the sandbox's own netstack) the task's address.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { TaskNetwork } from '../runtime/network/types.ts';
import type { AgentMessage, ServerMessage } from './protocol.ts';

/** Forwarded connections open at once on one agent: each may hold a relay process. */
export const MAX_PORT_FORWARDS = 256;
/** Bytes per portData frame: small session frames, well under the session's MAX_FRAME_BYTES once base64. */
export const PORT_CHUNK_BYTES = 64 * 1024;

/** How the agent reaches a port of a task: a network namespace to enter, or an address it can dial from its own. */
export type PortRoute = { readonly kind: 'netns'; readonly path: string } | { readonly kind: 'address'; readonly host: string };

/** Pure: where a forwarded port of a task is reached, or why it cannot be. */
export function portRoute(net: TaskNetwork | undefined, sandboxed: boolean): PortRoute | string {
  if (!net) return 'the task has no network yet';
  if (net.hostNetwork) return { kind: 'address', host: '127.0.0.1' };
  if (net.netnsPath && !sandboxed) return { kind: 'netns', path: net.netnsPath };
  if (net.ip) return { kind: 'address', host: net.ip };
  return 'the task has no network namespace or address to forward to';
}

/**
 * The relay run inside the namespace: a TCP connection to 127.0.0.1:<port> on its stdio, the
 * connect error's words on stderr (exit 1). The agent's own Node, so nothing else is needed on the host.
 */
const RELAY = `const s=require('node:net').connect(+process.argv[1],'127.0.0.1');
s.on('connect',()=>{process.stdin.pipe(s);s.pipe(process.stdout);});
s.on('error',(e)=>{process.stderr.write('dial tcp4 127.0.0.1:'+process.argv[1]+': connect: '+(e.code==='ECONNREFUSED'?'connection refused':e.message));process.exit(1);});
s.on('close',()=>process.exit(0));`;

export interface Dialled {
  /** What the port sends. */
  readonly from: Readable;
  /** What goes to the port. */
  readonly to: Writable;
  /** Settles with the reason, if the connection could not be made or broke. */
  readonly failed: Promise<string>;
  kill(): void;
}

/** Opens a connection to `port` by `route`: a socket, or a relay process's stdio. */
export function dialPort(route: PortRoute, port: number, nsenter = 'nsenter'): Dialled {
  if (route.kind === 'address') {
    const s = connect(port, route.host);
    const failed = new Promise<string>((resolve) => s.once('error', (e: NodeJS.ErrnoException) => resolve(`dial tcp4 ${route.host}:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`)));
    return { from: s, to: s, failed, kill: () => s.destroy() };
  }
  const child = spawn(nsenter, [`--net=${route.path}`, '--', process.execPath, '-e', RELAY, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let said = '';
  child.stderr.on('data', (c: Buffer) => { if (said.length < 4096) said += c.toString(); });
  const failed = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`cannot enter the task's network: ${e.message}`));
    child.once('close', (code) => { if (code !== 0) resolve(said.trim() || `the relay into the task's network exited ${code}`); });
  });
  child.stdin.on('error', () => undefined);
  return { from: child.stdout, to: child.stdin, failed, kill: () => child.kill('SIGKILL') };
}

type Answer = (msg: Extract<AgentMessage, { type: 'portData' | 'portClosed' }>) => void;

interface Open {
  readonly owner: unknown;
  write(data: Buffer): void;
  end(): void;
  close(): void;
}

export class PortForwards {
  readonly #open = new Map<string, Open>();

  /**
   * Handles one port message from `owner` (the agent session it came on); `routeOf` finds
   * how to reach a task of this host's ports (undefined: no such task here).
   */
  handle(owner: unknown, req: Extract<ServerMessage, { type: 'portOpen' | 'portData' | 'cancel' }>, routeOf: (taskArn: string) => PortRoute | string | undefined, answer: Answer, nsenter?: string): void {
    if (req.type === 'portData') {
      const o = this.#open.get(req.id);
      if (req.data.length > 0) o?.write(Buffer.from(req.data, 'base64'));
      if (req.eof) o?.end();
      return;
    }
    if (req.type === 'cancel') return this.#open.get(req.id)?.close();
    const route = routeOf(req.taskArn);
    if (route === undefined) return answer({ type: 'portClosed', id: req.id, error: `${req.taskArn} is not running on this host` });
    if (typeof route === 'string') return answer({ type: 'portClosed', id: req.id, error: route });
    if (this.#open.size >= MAX_PORT_FORWARDS) return answer({ type: 'portClosed', id: req.id, error: `this host already forwards ${MAX_PORT_FORWARDS} connections: close one and try again` });
    const dialled = dialPort(route, req.port, nsenter);
    let closed = false;
    const finish = (error?: string) => {
      if (closed) return;
      closed = true;
      this.#open.delete(req.id);
      dialled.kill();
      answer({ type: 'portClosed', id: req.id, ...(error !== undefined && { error }) });
    };
    this.#open.set(req.id, { owner, write: (d) => dialled.to.write(d), end: () => dialled.to.end(), close: () => finish() });
    void dialled.failed.then((why) => finish(why));
    dialled.from.on('data', (c: Buffer) => {
      for (let i = 0; i < c.length; i += PORT_CHUNK_BYTES) answer({ type: 'portData', id: req.id, data: c.subarray(i, i + PORT_CHUNK_BYTES).toString('base64') });
    });
    // The port closed its side: let a failure's words (which come as the relay exits) win the race.
    dialled.from.on('end', () => setTimeout(() => finish(), 50));
  }

  /** Closes the connections `owner` opened: its session ended. */
  closeOwner(owner: unknown): void {
    for (const o of [...this.#open.values()]) if (o.owner === owner) o.close();
  }

  closeAll(): void {
    for (const o of [...this.#open.values()]) o.close();
  }

  get size(): number {
    return this.#open.size;
  }
}
