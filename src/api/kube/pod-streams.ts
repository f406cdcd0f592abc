/**
 * A pod's streaming subresources, as the API server serves them by proxying to the kubelet:
 * `pods/log` (GET, plain text, followed or not), `pods/exec` and `pods/attach` (WebSocket,
 * the channel protocol of src/exec/kube-channel.ts) and `pods/portforward` (SPDY in WebSocket,
 * src/exec/kube-port-forward.ts). Berth's kubelet is the task's agent: the pod is resolved to
 * its task (pod-target.ts), and the bytes go over the agent session (PodAgents: the agent
 * gateway). server.ts authenticates and authorizes before anything here runs.
 *
 *   GET  …/pods/<p>/log?follow&tailLines… ─▶ resolve ─▶ agents.logs ─▶ LogFilter (pod-logs.ts) ─▶ text/plain
 *   GET  …/pods/<p>/exec?command=…  (Upgrade) ─▶ resolve, container ─▶ serveKubeExec ⇄ agents.interactiveExec
 *   GET  …/pods/<p>/attach          (Upgrade) ─▶ resolve, container ─▶ serveKubeExec ⇄ the container's log, followed
 *   GET  …/pods/<p>/attach?stdin|tty (Upgrade) ─▶ resolve, container ─▶ serveKubeExec ⇄ agents.interactiveExec({attach}) ⇄ conmon's attach socket (a tty: the pty)
 *   GET  …/pods/<p>/portforward     (Upgrade) ─▶ resolve ─▶ servePortForward ⇄ agents.portForward
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { chooseProtocol, type ChannelProtocol } from '../../exec/kube-channel.ts';
import { serveKubeExec, type ExecStreams, type KubeExecIo, type KubeExecRelay } from '../../exec/kube-exec-stream.ts';
import { acceptPortForwardUpgrade, servePortForward } from '../../exec/kube-port-forward.ts';
import { LogFilter, parseLogOptions, parseRecord, type LogOptions } from './pod-logs.ts';
import { chooseContainer, type PodTarget, type ResolvePod } from './pod-target.ts';
import { badRequest, invalid, StatusError } from './status.ts';


/** Subresources answered by an upgraded connection. */
export const UPGRADE_SUBRESOURCES: ReadonlySet<string> = new Set(['attach', 'exec', 'portforward']);

/** Streams (exec, attach and port-forward connections, followed logs) open at once on one API server; more get 429. */
export const MAX_POD_STREAMS = 1024;
/** A client message on an exec or attach connection: keystrokes and stdin chunks (kubectl sends at most 32 KiB). */
export const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;
/** A log reader may fall this far behind a followed log before its answer is ended (memory bound). */
export const MAX_LOG_BUFFERED_BYTES = 8 * 1024 * 1024;

type TaskRef = { readonly taskArn: string; readonly containerInstanceArn: string | undefined };

/** What the API server needs of the pod's agent: the agent gateway (src/server/agent-gateway.ts) is one. */
export interface PodAgents {
  logs(task: TaskRef, container: string, follow: boolean, onData: (text: string) => void, options: { previous?: boolean; caughtUp?: () => void }): { done: Promise<void>; cancel(): void };
  /** A command in the container (`kubectl exec`), or with `attach` its own process's stdin and output (`kubectl attach -i`). */
  interactiveExec(task: TaskRef, container: string, command: string[], io: { output(data: Buffer, stream: 'stdout' | 'stderr'): void; exit(exitCode: number | undefined, error?: string): void }, options: { tty?: boolean; attach?: boolean }): KubeExecRelay;
  portForward(task: TaskRef, port: number): Duplex;
}

export interface PodStreamsDeps {
  readonly resolvePod: ResolvePod;
  readonly agents: PodAgents;
  readonly now: () => number;
}

const isTrue = (v: string | null): boolean => v === 'true' || v === '1';
const FINISHED = new Set(['Succeeded', 'Failed']);

/** A Status error written on a socket not yet upgraded, as the API server answers a refused upgrade. */
export function refuseUpgrade(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' };
  socket.end(`HTTP/1.1 ${err.code} ${reasons[err.code] ?? 'Error'}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * What an attach may not ask for, refused before the upgrade (kubectl prints the Status):
 * a terminal of a container started without one (kubectl itself never asks: it drops -t
 * for such a container), and stdin of a container whose stdin is closed. containerd drops
 * such input silently; refusing says why instead.
 */
function refuseAttach(pod: string, c: PodTarget['containers'][number], streams: ExecStreams): void {
  if (streams.tty && c.tty !== true) throw badRequest(`unable to attach to container ${c.name} in pod ${pod} with a terminal: the container was started without one (set tty: true in its spec)`);
  if (streams.stdin && c.stdin !== true) throw badRequest(`unable to attach to the stdin of container ${c.name} in pod ${pod}: the container does not have stdin enabled (set stdin: true in its spec)`);
}

export class PodStreams {
  readonly #deps: PodStreamsDeps;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, handleProtocols: (offered) => chooseProtocol(offered) ?? false });
  readonly #logs = new Set<() => void>();
  #open = 0;

  constructor(deps: PodStreamsDeps) {
    this.#deps = deps;
  }

  /** Terminates every open stream (the server closes). */
  close(): void {
    for (const c of this.#wss.clients) c.terminate();
    for (const cancel of this.#logs) cancel();
    this.#wss.close();
  }

  async #target(namespace: string, name: string): Promise<PodTarget> {
    const t = await this.#deps.resolvePod(namespace, name);
    if (t instanceof StatusError) throw t;
    return t;
  }

  /** `GET pods/<name>/log`: the container's log as text, as the kubelet answers it. */
  async log(namespace: string, name: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const options = parseLogOptions(query, this.#deps.now());
    if (Array.isArray(options)) throw invalid('', 'PodLogOptions', name, options);
    const pod = await this.#target(namespace, name);
    const container = chooseContainer(name, pod.containers, options.container);
    if (container instanceof StatusError) throw container;
    if (pod.containerInstanceArn === undefined) throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
    if (options.follow && this.#open >= MAX_POD_STREAMS) throw new StatusError(429, 'TooManyRequests', `too many streams open on this server (${MAX_POD_STREAMS}); try again later`);
    await this.#streamLog(pod, name, container, options, res);
  }

  #streamLog(pod: PodTarget, name: string, container: string, options: LogOptions, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
        // A followed log with nothing new yet: the client sees its answer begin.
        res.flushHeaders();
      };
      // The agent's stream, once asked for (a limit reached by its first bytes stops it as it starts).
      let cancel: () => void = () => {};
      const filter = new LogFilter(options, (text) => {
        start();
        if (text.length > 0) res.write(text);
        if (res.writableLength > MAX_LOG_BUFFERED_BYTES) stop();
      });
      const stop = () => {
        cancel();
        finish();
      };
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        this.#logs.delete(stop);
        if (options.follow) this.#open--;
        start();
        res.end();
        resolve();
      };
      this.#logs.add(stop);
      if (options.follow) this.#open++;
      const stream = this.#deps.agents.logs(pod, container, options.follow, (text) => {
        filter.push(text);
        if (filter.done) stop();
      }, {
        ...(options.previous && { previous: true }),
        caughtUp: () => {
          filter.flush();
          start();
        },
      });
      cancel = () => stream.cancel();
      res.on('close', () => { if (!finished) stop(); });
      stream.done.then(() => {
        filter.flush();
        finish();
      }, (e: Error) => {
        if (started) return finish();
        finished = true;
        this.#logs.delete(stop);
        if (options.follow) this.#open--;
        // The kubelet's words for a container with no earlier run.
        if (options.previous) return reject(badRequest(`previous terminated container "${container}" in pod "${name}" not found`));
        reject(new StatusError(500, 'InternalError', `Internal error occurred: ${e.message}`));
      });
    });
  }

  /**
   * An upgrade of `pods/<name>/<sub>` (exec, attach, portforward), already authorized: the
   * pod and container checked as the API server checks them (a refusal is answered as HTTP,
   * which kubectl prints), then the connection served.
   */
  async upgrade(sub: string, namespace: string, name: string, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const pod = await this.#target(namespace, name);
      if (pod.containerInstanceArn === undefined) throw badRequest(`pod ${name} does not have a host assigned`);
      if (this.#open >= MAX_POD_STREAMS) throw new StatusError(429, 'TooManyRequests', `too many streams open on this server (${MAX_POD_STREAMS}); try again later`);
      if (sub === 'portforward') {
        const accepted = acceptPortForwardUpgrade(this.#wss, req, socket, head, (ws) => {
          this.#opened(ws);
          servePortForward(ws, { pod: `${namespace}/${name}`, dial: async (port) => this.#deps.agents.portForward(pod, port) });
        });
        if (!accepted) throw badRequest('unable to upgrade connection: this server forwards ports over WebSocket (SPDY/3.1+portforward.k8s.io), not SPDY alone');
        return;
      }
      const streams: ExecStreams = { stdin: isTrue(query.get('stdin')), stdout: isTrue(query.get('stdout')), stderr: isTrue(query.get('stderr')), tty: isTrue(query.get('tty')) };
      if (!streams.stdin && !streams.stdout && !streams.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
      const container = chooseContainer(name, pod.containers, query.get('container') ?? undefined);
      if (container instanceof StatusError) throw container;
      const verb = sub === 'exec' ? 'exec into' : 'attach to';
      if (FINISHED.has(pod.phase)) throw badRequest(`cannot ${verb} a container in a completed pod; current phase is ${pod.phase}`);
      const command = query.getAll('command');
      if (sub === 'exec' && command.length === 0) throw badRequest('you must specify at least one command for the container');
      if (sub === 'attach') refuseAttach(name, pod.containers.find((c) => c.name === container)!, streams);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      const protocol = chooseProtocol(offered);
      if (req.headers.upgrade?.toLowerCase() !== 'websocket' || protocol === undefined) {
        throw badRequest('unable to upgrade connection: this server speaks the WebSocket remote-command protocols (v5.channel.k8s.io, v4.channel.k8s.io), not SPDY');
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#opened(ws);
        const open = sub === 'exec'
          ? (io: KubeExecIo) => this.#deps.agents.interactiveExec(pod, container, command, { output: (data, stream) => io.output(stream, data), exit: (code, error) => io.exit(code, error) }, { tty: streams.tty })
          : (io: KubeExecIo) => this.#attach(pod, pod.containers.find((c) => c.name === container)!, streams, io);
        serveKubeExec(ws, protocol as ChannelProtocol, command, streams, open);
      });
    } catch (e) {
      refuseUpgrade(socket, e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    }
  }

  #opened(ws: WebSocket): void {
    this.#open++;
    ws.on('close', () => { this.#open--; });
  }

  /**
   * `kubectl attach`. With `-i` (the container has `stdin: true`, refuseAttach checked) or
   * `-t` (it has `tty: true`; kubectl asks for the terminal of such a container even
   * without -i): its process's stdin and output through the agent, which dials conmon's
   * attach socket (src/runtime/container/attach.ts) — on a terminal the pty itself, its size
   * following the client's (resize channel). The end of the client's input ends the
   * container's stdin when it is `stdinOnce`. Otherwise: the container's output from now on,
   * stdout and stderr apart, read from its log as it grows (which works on every sandbox).
   */
  #attach(pod: PodTarget, c: PodTarget['containers'][number], streams: ExecStreams, io: KubeExecIo): KubeExecRelay {
    const container = c.name;
    if (streams.stdin || streams.tty) {
      return this.#deps.agents.interactiveExec(pod, container, [], { output: (data, stream) => io.output(stream, data), exit: (code, error) => io.exit(code, error) }, { attach: true, ...(streams.tty && { tty: true }) });
    }
    const none: KubeExecRelay = { input: () => {}, endInput: () => {}, resize: () => {}, close: () => {} };
    let live = false;
    let rest = '';
    const stream = this.#deps.agents.logs(pod, container, true, (text) => {
      const lines = (rest + text).split('\n');
      rest = lines.pop()!;
      if (!live) return;
      for (const line of lines) {
        if (line === '') continue;
        const r = parseRecord(line);
        io.output(r.stream, Buffer.from(r.partial ? r.text : `${r.text}\n`));
      }
    }, { caughtUp: () => { live = true; } });
    stream.done.then(() => io.exit(0), (e: Error) => io.exit(undefined, e.message));
    return { ...none, close: () => stream.cancel() };
  }
}
