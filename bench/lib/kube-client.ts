/**
 * A small HTTPS client for the Kubernetes API benchmark: requests with a bearer token over
 * kept-alive HTTP/1.1 connections trusting one CA, and watch streams that hand over each
 * line with the moment it arrived (performance.now()), unparsed: with a hundred watchers
 * in one process, parsing every event would measure the client.
 */
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

/** Connections kept per client (requests beyond wait for one). */
const MAX_SOCKETS = 64;
/** A line of a watch stream at most (a pod is a few KB); longer means the stream is not line-delimited. */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** A transport error with the request it ended (Node's own, `read ECONNRESET at TLSWrap…`, names none). */
function failedOn(method: string, path: string, e: Error): Error {
  return new Error(`${method} ${path}: ${e.message}`, { cause: e });
}

export interface Answer {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

export interface WatchStream {
  /** Resolves once the server answered the watch's headers. */
  readonly opened: Promise<void>;
  close(): void;
}

export class KubeClient {
  readonly #agent: Agent;
  readonly #url: string;
  readonly #token: string | undefined;
  readonly #ca: string;

  constructor(url: string, ca: string, token?: string) {
    this.#url = url;
    this.#ca = ca;
    this.#token = token;
    this.#agent = new Agent({ ca, keepAlive: true, maxSockets: MAX_SOCKETS });
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.#url), {
        method, agent: this.#agent,
        headers: {
          Accept: 'application/json',
          ...(this.#token !== undefined && { Authorization: `Bearer ${this.#token}` }),
          ...(data && { 'Content-Type': contentType, 'Content-Length': data.length }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: res.headers['content-type'] }));
        res.on('error', (e) => reject(failedOn(method, path, e)));
      });
      req.on('error', (e) => reject(failedOn(method, path, e)));
      req.end(data);
    });
  }

  /** A JSON request that must answer 2xx; its parsed body. */
  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const a = await this.request(method, path, body, contentType);
    if (a.status >= 300) throw new Error(`${method} ${path} answered ${a.status}: ${a.body.toString('utf8').slice(0, 500)}`);
    return JSON.parse(a.body.toString('utf8')) as T;
  }

  /** Opens a watch on its own connection; `onLine` gets every line and when it arrived. */
  watch(path: string, onLine: (line: string, at: number) => void): WatchStream {
    let resolveOpened!: () => void;
    let rejectOpened!: (e: Error) => void;
    const opened = new Promise<void>((resolve, reject) => { resolveOpened = resolve; rejectOpened = reject; });
    let closing = false;
    const req = request(new URL(path, this.#url), {
      ca: this.#ca, agent: false,
      headers: { Accept: 'application/json', ...(this.#token !== undefined && { Authorization: `Bearer ${this.#token}` }) },
    }, (res) => {
      if (res.statusCode !== 200) {
        rejectOpened(new Error(`watch ${path} answered ${res.statusCode}`));
        res.resume();
        return;
      }
      resolveOpened();
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        const at = performance.now();
        buffered += s;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          onLine(buffered.slice(0, nl), at);
          buffered = buffered.slice(nl + 1);
        }
        if (buffered.length > MAX_LINE_BYTES) req.destroy(new Error(`watch ${path}: a line over ${MAX_LINE_BYTES} bytes`));
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => { if (!closing) rejectOpened(failedOn('GET (watch)', path, e)); });
    req.end();
    return { opened, close: () => { closing = true; req.destroy(); } };
  }

  /** Polls `path` until it answers 2xx. */
  async waitReady(path: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await this.request('GET', path)).status < 300) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`${this.#url}${path} did not answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}
