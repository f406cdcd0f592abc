/**
 * Raw HTTPS requests to a test Kubernetes API server (its CA), so tests see status codes,
 * headers and bodies exactly as sent; and a watch reader for newline-delimited events.
 */
import { request } from 'node:https';
import type { KubeTestServer } from './kube.ts';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): Record<string, unknown>;
}

export function kubeRequest(s: KubeTestServer, path: string, options: { method?: string; token?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, s.url), {
      method: options.method ?? 'GET', ca: s.ca,
      headers: { ...(options.token !== undefined && { Authorization: `Bearer ${options.token}` }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface WatchReader {
  /** Events received so far, parsed. */
  readonly events: { type: string; object: Record<string, unknown> }[];
  /** Resolves once at least `n` events arrived (rejects after `timeoutMs`). */
  atLeast(n: number, timeoutMs?: number): Promise<void>;
  readonly contentType: Promise<string | undefined>;
  close(): void;
}

export function kubeWatch(s: KubeTestServer, path: string, token: string, headers: Record<string, string> = {}): WatchReader {
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let buffered = '';
  let setType: (t: string | undefined) => void = () => undefined;
  const contentType = new Promise<string | undefined>((r) => (setType = r));
  const req = request(new URL(path, s.url), { ca: s.ca, headers: { Authorization: `Bearer ${token}`, ...headers } }, (res) => {
    setType(res.headers['content-type']);
    res.on('data', (c: Buffer) => {
      buffered += c.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffered.slice(0, nl)) as { type: string; object: Record<string, unknown> });
        buffered = buffered.slice(nl + 1);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return {
    events, contentType,
    atLeast: async (n, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`watch ${path}: ${events.length} of ${n} events within ${timeoutMs} ms: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => req.destroy(),
  };
}
